"""A report (tacase.services.report_tables.Report) as a file: HTML from the Jinja template the page
uses too, PDF made by WeasyPrint from that same HTML, CSV, and XLSX.

- CSV: a zip archive with one CSV file per table (`requests_by_type.csv`, ...), plus `report.csv`
  with the report's facts; UTF-8 with a byte order mark, so that spreadsheets read the names of
  States in every script. One file per table keeps each table's own columns.
- XLSX: one sheet per table (named like the CSV files), plus a first sheet with the facts.
- PDF: tables break across pages with their headings repeated, every page has its number and the
  report's date. Nothing is fetched: the fonts are the system's (DejaVu, WenQuanYi Micro Hei for
  Chinese; `make system-packages`), and the fetcher refuses every address.

Nothing here knows Flask; the words are translated with the Babel catalogs given.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations
from jinja2 import Environment, PackageLoader, select_autoescape

from tacase.services.report_tables import Cell, Report, Table

FORMATS = ("html", "pdf", "csv", "xlsx")
MEDIA_TYPES = {
    "html": "text/html; charset=utf-8", "pdf": "application/pdf", "csv": "application/zip",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
EXTENSIONS = {"html": "html", "pdf": "pdf", "csv": "zip", "xlsx": "xlsx"}
DOCUMENT_TEMPLATE = "web/report_document.html"
# A spreadsheet reads a cell starting with one of these as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def cell_formatter(locale: str) -> Callable[[Cell], str]:
    """Numbers and dates as people read them in `locale`; an empty cell is a dash."""

    def fmt(value: Cell) -> str:
        if value is None:
            return "\u2013"  # an en dash: no figure
        if value == "":
            return ""  # a cell left empty on purpose (the region of the total)
        if isinstance(value, bool):
            return str(value)
        if isinstance(value, int):
            return format_decimal(value, format="#,##0", locale=locale)
        if isinstance(value, Decimal):
            return format_decimal(value, format="#,##0.00", locale=locale)
        if isinstance(value, float):
            return format_decimal(value, format="#,##0.0", locale=locale)
        if isinstance(value, dt.date):
            return format_date(value, "d MMM y", locale=locale)
        return str(value)

    return fmt


def _environment(translations: NullTranslations) -> Environment:
    env = Environment(loader=PackageLoader("tacase", "templates"), autoescape=select_autoescape(["html"]),
                      extensions=["jinja2.ext.i18n"])

    # As Flask-Babel's: the values are put in only when there are any, so "80%" stays as it is.
    def gettext(text: str, **values: Any) -> str:
        found = translations.gettext(text)
        return found % values if values else found

    def ngettext(one: str, many: str, n: int, **values: Any) -> str:
        return translations.ngettext(one, many, n) % {"num": n, **values}

    env.install_gettext_callables(gettext, ngettext, newstyle=False)  # type: ignore[attr-defined]
    env.globals["label"] = gettext
    return env


def render_html(report: Report, translations: NullTranslations | None = None, *,
                page: bool = False) -> str:
    """The report as a standalone HTML document (for the file and for the PDF)."""
    env = _environment(translations or NullTranslations())
    return env.get_template(DOCUMENT_TEMPLATE).render(
        report=report, fmt=cell_formatter(report.language), lang=report.language, for_print=not page)


def render_pdf(report: Report, translations: NullTranslations | None = None) -> bytes:
    from weasyprint import HTML  # imported when used: it loads Pango

    return HTML(string=render_html(report, translations), url_fetcher=_no_fetching()).write_pdf()


def render_csv(report: Report) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("report.csv", _csv([("title", report.title), ("period", report.period),
                                             ("made_at", report.made_at.isoformat()),
                                             *((f.label, f.value) for f in report.facts)], ("item", "value")))
        for table in report.tables:
            archive.writestr(f"{table.key}.csv", _csv(table.rows, table.columns))
    return out.getvalue()


def _csv(rows: Any, columns: tuple[str, ...]) -> str:
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_plain(v) for v in row])
    return "\ufeff" + text.getvalue()


def _plain(value: Cell) -> Any:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value  # read as text, never run as a formula
    return value


def render_xlsx(report: Report) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    facts = book.active
    facts.title = "report"
    for row in (("Title", report.title), ("Period", report.period),
                ("Made at (UTC)", report.made_at.strftime("%Y-%m-%d %H:%M")),
                *((f.label, f.value) for f in report.facts)):
        facts.append([_plain(v) for v in row])
    facts.column_dimensions["A"].width = 40
    for table in report.tables:
        sheet = book.create_sheet(_sheet_name(table, book.sheetnames))
        sheet.append([*table.columns])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_plain(v) for v in row])
        sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _sheet_name(table: Table, taken: list[str]) -> str:
    name = table.key[:31]  # Excel's limit
    n = 2
    while name in taken:
        name = f"{table.key[:28]}_{n}"
        n += 1
    return name


def render(report: Report, fmt: str, translations: NullTranslations | None = None) -> bytes:
    if fmt == "html":
        return render_html(report, translations).encode("utf-8")
    if fmt == "pdf":
        return render_pdf(report, translations)
    if fmt == "csv":
        return render_csv(report)
    if fmt == "xlsx":
        return render_xlsx(report)
    raise ValueError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")


def translations_for(language: str, directory: str) -> NullTranslations:
    """The catalog of `language` (the pages' own), or none for English."""
    return Translations.load(directory, [language]) if language != "en" else NullTranslations()


def _no_fetching() -> Any:
    """A WeasyPrint fetcher that refuses every address: the report's document has everything in it,
    so making a PDF never reaches the network nor reads a file (a font, an image, a style sheet)."""
    from weasyprint.urls import URLFetcher

    class NoFetching(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            raise ValueError(f"the report fetches nothing: {url[:80]}")

    return NoFetching(allowed_protocols=("data",))
