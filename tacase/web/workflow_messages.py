"""The workflow files' texts for the translation catalogs (a Babel extraction method).

Labels, titles, descriptions and help texts live in `workflows/*.yaml`, in English; the pages pass
them through gettext when they show them. `make translations` runs this over the files (see
tacase/translations/babel.cfg), so the catalogs list every one to translate.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import yaml

from tacase.web.views.case_forms import humanise

TEXT_KEYS = ("title", "description", "staff_label", "public_label", "record_label", "label", "help")


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in TEXT_KEYS and isinstance(value, str) and value.strip():
                yield value.strip() if key == "description" else value
            elif key == "choices" and isinstance(value, list):
                yield from (humanise(c) for c in value if isinstance(c, str))
            else:
                yield from _texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from _texts(item)


def extract(fileobj: Any, keywords: Any, comment_tags: Any,
            options: Any) -> Iterator[tuple[int, str, str, list[str]]]:
    """Babel's extraction signature: (line number, function name, message, comments)."""
    data = yaml.safe_load(fileobj.read().decode("utf-8"))
    seen: set[str] = set()
    for text in _texts(data):
        if text not in seen:
            seen.add(text)
            yield 0, "_", text, ["workflow file"]
