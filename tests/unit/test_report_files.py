"""The reports' files from a hand-made report, without a database: HTML, PDF (read back as text,
with the fonts of every script embedded), the CSV archive and the XLSX workbook."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tacase.exports import report_files
from tacase.reference import all_states
from tacase.services.report_tables import Fact, Report, Section, Table, checked_year

pypdf = pytest.importorskip("pypdf")

NAMES = {code: all_states()[code].name(language)
         for code, language in (("CHN", "zh"), ("EGY", "ar"), ("RUS", "ru"), ("FJI", "en"))}


def report(rows: int = 4) -> Report:
    states = Table("by_state", "Requests by State", ("State", "Received", "Amount"),
                   tuple((name, 10 + n, Decimal("1234.5")) for n, name in enumerate(NAMES.values())))
    long = Table("long", "A long table", ("Case", "Days overdue"),
                 tuple((f"UPR-2026-{n:04d}", float(n)) for n in range(rows)))
    return Report(title="Annual report of the Board of Trustees", period="2026",
                  made_at=dt.datetime(2026, 12, 7, 9, 30, tzinfo=dt.UTC),
                  sections=(Section("Requests", (states,)), Section("Overdue", (long,))),
                  facts=(Fact("Last audit event of the year", "42"), Fact("Share", "80% <b>")))


def pdf_text(data: bytes) -> tuple[str, set[str], int]:
    reader = pypdf.PdfReader(io.BytesIO(data))
    fonts = {str(f.get_object()["/BaseFont"]) for page in reader.pages
             for f in page["/Resources"]["/Font"].values()}
    return "\n".join(page.extract_text() for page in reader.pages), fonts, len(reader.pages)


def test_the_pdf_has_the_figures_and_every_script_with_its_fonts():
    text, fonts, _pages = pdf_text(report_files.render(report(), "pdf"))
    assert "Requests by State" in text and "1,234.50" in text
    for name in NAMES.values():
        assert name in text, name
    assert any("DejaVu" in f for f in fonts) and any("WenQuanYi" in f for f in fonts), fonts
    assert "Page 1 / 1" in text and "2026-12-07" in text  # the margin boxes


def test_a_long_table_repeats_its_headings_and_numbers_its_pages():
    text, _fonts, pages = pdf_text(report_files.render(report(rows=120), "pdf"))
    assert pages >= 3
    assert text.count("Days overdue") >= pages - 1  # the heading on every page the table runs over
    assert f"Page {pages} / {pages}" in text and "UPR-2026-0119" in text


def test_the_html_escapes_what_it_is_given_and_fetches_nothing():
    html = report_files.render(report(), "html").decode("utf-8")
    assert "80% &lt;b&gt;" in html and "<b>" not in html
    assert "http" not in html.replace("http-equiv", "") and "@font-face" not in html
    assert "thead { display: table-header-group; }" in html
    with pytest.raises(ValueError):
        report_files._no_fetching().fetch("http://127.0.0.1:9/font.woff")


def test_the_csv_archive_has_one_file_per_table():
    archive = zipfile.ZipFile(io.BytesIO(report_files.render(report(), "csv")))
    assert sorted(archive.namelist()) == ["by_state.csv", "long.csv", "report.csv"]
    rows = list(csv.reader(io.StringIO(archive.read("by_state.csv").decode("utf-8-sig"))))
    assert rows[0] == ["State", "Received", "Amount"]
    assert [r[0] for r in rows[1:]] == list(NAMES.values()) and rows[1][1] == "10"


def test_the_workbook_has_one_sheet_per_table():
    book = load_workbook(io.BytesIO(report_files.render(report(), "xlsx")))
    assert book.sheetnames == ["report", "by_state", "long"]
    sheet = book["by_state"]
    assert [c.value for c in sheet[1]] == ["State", "Received", "Amount"]
    assert sheet["A2"].value == NAMES["CHN"] and sheet["B2"].value == 10


def test_a_cell_that_reads_as_a_formula_stays_text():
    table = Table("t", "T", ("Name",), (("=HYPERLINK(\"x\")",),))
    r = Report("R", "2026", dt.datetime(2026, 1, 1, tzinfo=dt.UTC), (Section("S", (table,)),))
    assert load_workbook(io.BytesIO(report_files.render(r, "xlsx")))["t"]["A2"].value.startswith("'=")


@pytest.mark.parametrize("text", ["abc", "99999", "", "20 26", "1999", "-2026"])
def test_a_year_that_is_not_one_is_refused(text):
    with pytest.raises(ValueError):
        checked_year(text)
