"""Charts drawn on the server as SVG (pygal), without scripts: they are shown as images, each with a
text alternative and the same figures in a table beside it."""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence

import pygal
from pygal.style import Style

# pygal adds an old-style import hook for its map plugins, which tacase does not use; left in place it
# would be asked about every module that is not found, with a warning each time.
sys.meta_path[:] = [finder for finder in sys.meta_path if type(finder).__name__ != "PluginImportFixer"]

# GOV.UK colours: blue, dark blue, and orange for the target, with text in near-black.
STYLE = Style(
    background="#ffffff", plot_background="#ffffff", foreground="#0b0c0c", foreground_strong="#0b0c0c",
    foreground_subtle="#505a5f", opacity="1", opacity_hover="1", transition="none",
    colors=("#1d70b8", "#003078", "#f47738", "#00703c", "#4c2c92"),
    font_family="Arial, Helvetica, sans-serif", label_font_size=14, major_label_font_size=14,
    legend_font_size=14, title_font_size=18, value_font_size=12, tooltip_font_size=12,
)
_SCRIPT = re.compile(rb"<script\b.*?</script>", re.DOTALL)
Series = Sequence[tuple[str, Sequence[float | None]]]


def _common(title: str, y_title: str, empty: str) -> dict[str, object]:
    return {"style": STYLE, "js": [], "title": title, "y_title": y_title, "no_data_text": empty,
            "width": 760, "height": 440,
            "legend_at_bottom": True, "legend_at_bottom_columns": 2, "show_y_guides": True,
            "print_values": False, "truncate_label": -1, "truncate_legend": -1, "margin": 16,
            "margin_bottom": 48}


def _svg(chart: pygal.graph.graph.Graph) -> bytes:
    # pygal writes its tooltips' settings as a script; the charts are images, so it goes.
    return _SCRIPT.sub(b"", chart.render())


def bars(title: str, y_title: str, labels: Sequence[str], series: Series, *, empty: str) -> bytes:
    """Grouped bars: one group a label, one bar a series; a missing value leaves a gap. `empty` is
    what the chart says when there is no figure at all."""
    chart = pygal.Bar(**_common(title, y_title, empty), min_scale=4)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _svg(chart)


def lines(title: str, y_title: str, labels: Sequence[str], series: Series, *, empty: str,
          percent: bool = False) -> bytes:
    """One line a series over the labels (months); a missing value breaks the line."""
    options = _common(title, y_title, empty)
    if percent:
        options.update(range=(0, 100), value_formatter=lambda v: f"{v:.0f}%")
    # Every third month named: 24 names side by side would not be read.
    chart = pygal.Line(**options, x_label_rotation=45, x_labels_major_every=3, show_minor_x_labels=False,
                       allow_interruptions=True, dots_size=3)
    chart.x_labels = list(labels)
    for name, values in series:
        chart.add(name, list(values))
    return _svg(chart)


def count_bars(title: str, y_title: str, labels: Sequence[str], counts: Sequence[int], *, empty: str,
               rotate: bool = False, horizontal: bool = False) -> bytes:
    """One bar a label, for counts of answers: whole numbers on the axis (never "0.2 responses");
    `rotate` slants the labels, for long ones such as the ranges of a distribution; `horizontal` lays
    the bars across, each label written out on its own line, first one on top (the options of a
    question, in their order)."""
    top = max([*counts, 1])
    step = max(1, -(-top // 8))  # at most about eight lines across the chart
    options = _common(title, y_title, empty)
    options.update(show_legend=False, range=(0, top), y_labels=list(range(0, top + step, step)))
    if horizontal:
        # The counts run along the bottom, so their title goes there.
        options.update(height=max(240, 130 + 36 * len(labels)), show_x_guides=True, show_y_guides=False,
                       x_title=y_title, y_title=None)
        chart = pygal.HorizontalBar(**options)
        chart.x_labels = list(labels)[::-1]
        chart.add(y_title, list(counts)[::-1])
        return _svg(chart)
    if rotate:
        options.update(x_label_rotation=30, margin_bottom=96)
    chart = pygal.Bar(**options)
    chart.x_labels = list(labels)
    chart.add(y_title, list(counts))
    return _svg(chart)
