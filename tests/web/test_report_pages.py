"""The report pages and their files: the Board and administrators only, years checked, files served."""

from __future__ import annotations

import io
import zipfile

import pytest
from openpyxl import load_workbook

from tests.web.conftest import sign_in


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def board(client, seeded, api_clock):
    assert sign_in(client, seeded.board, totp=seeded.board.code(api_clock)).status_code == 302
    return client


def test_the_board_reads_the_annual_report_of_this_year_and_another(board, api_clock):
    page = board.get("/reports/annual")
    assert page.status_code == 200
    html = text_of(page)
    assert f"Annual report of the Board of Trustees {api_clock().year}" in html
    assert "<caption>Requests by type of request</caption>" in html
    assert 'href="/reports/annual.pdf?year=' in html and 'href="/reports/annual.xlsx?year=' in html
    assert 'href="/reports/annual"' in html  # in the navigation
    assert "Last audit event of the year" in html
    earlier = board.get("/reports/annual?year=2024")
    assert earlier.status_code == 200 and "Nothing to report." in text_of(earlier)


FULLWIDTH_2026 = "\uff12\uff10\uff12\uff16"


@pytest.mark.parametrize("year", ["abc", "99999", "1999", "2026.5", FULLWIDTH_2026, "%00", "9" * 400])
@pytest.mark.parametrize("path", ["/reports/annual", "/reports/annual.pdf", "/reports/hra",
                                  "/reports/hra.csv"])
def test_a_year_that_is_not_one_gets_a_clear_400(board, path, year):
    response = board.get(path, query_string={"year": year})
    assert response.status_code == 400
    assert "Enter a year as 4 digits" in text_of(response)


def test_an_unknown_file_format_is_not_found(board):
    assert board.get("/reports/annual.docx").status_code == 404
    assert board.get("/reports/hra.exe").status_code == 404


def test_the_files_of_the_annual_report(board, api_clock):
    year = api_clock().year
    pdf = board.get(f"/reports/annual.pdf?year={year}")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    assert f'filename="tacase-annual-report-{year}.pdf"' in pdf.headers["Content-Disposition"]
    archive = zipfile.ZipFile(io.BytesIO(board.get("/reports/annual.csv").data))
    assert "requests_by_type.csv" in archive.namelist()
    html = board.get("/reports/annual.html")
    assert html.status_code == 200 and "table-header-group" in text_of(html)


def test_the_hra_report_page_and_workbook(board):
    page = board.get("/reports/hra")
    assert page.status_code == 200
    assert "Human rights adviser programme report" in text_of(page)
    assert "Demand that could not be met" in text_of(page)
    book = load_workbook(io.BytesIO(board.get("/reports/hra.xlsx").data))
    assert book.sheetnames == ["report", "hra_by_region", "hra_by_country", "hra_funding", "hra_positions",
                               "hra_not_met"]


def test_others_may_not_read_the_reports(client, seeded, api_clock):
    assert client.get("/reports/annual").status_code == 302  # to the sign-in page
    assert sign_in(client, seeded.reviewer, totp=seeded.reviewer.code(api_clock)).status_code == 302
    for path in ("/reports/annual", "/reports/annual.pdf", "/reports/hra", "/reports/hra.xlsx"):
        assert client.get(path).status_code == 403
    assert 'href="/reports/annual"' not in text_of(client.get("/statistics"))
