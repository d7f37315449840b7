"""`tacase report` on the demo data: every format of both reports, read back."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from tacase.cli import main
from tacase.services.clock import utcnow

pypdf = pytest.importorskip("pypdf")
YEAR = utcnow().year  # the demo's cases are of the last months, up to today


@pytest.fixture(scope="module")
def demo_db(module_db):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TACASE_CONFIG", "development")
        patch.setenv("TACASE_DATABASE_URL", module_db)
        assert CliRunner().invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    return module_db


@pytest.fixture
def report(demo_db, monkeypatch, tmp_path):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", demo_db)

    def run(*args: str) -> bytes:
        out = tmp_path / "report.out"
        result = CliRunner().invoke(main, ["report", *args, "--out", str(out)], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        assert f"{out}: " in result.output
        return out.read_bytes()

    return run


def table(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(archive.read(name).decode("utf-8-sig"))))


def test_every_format_of_the_annual_report_says_the_same(report):
    archive = zipfile.ZipFile(io.BytesIO(report("annual", "--year", str(YEAR), "--format", "csv")))
    by_type = table(archive, "requests_by_type.csv")
    total = next(row for row in by_type if row[0] == "Total")
    assert int(total[1]) > 0  # requests received in the demo year

    book = load_workbook(io.BytesIO(report("annual", "--year", str(YEAR), "--format", "xlsx")))
    tables = [n[:-4] for n in archive.namelist() if n != "report.csv"]
    assert book.sheetnames == ["report", *tables]  # one sheet per table, as one CSV file per table
    assert [c.value for c in book["requests_by_type"][len(by_type)]][:2] == ["Total", int(total[1])]

    reader = pypdf.PdfReader(io.BytesIO(report("annual", "--year", str(YEAR), "--format", "pdf")))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert f"Total {' '.join(f'{int(n):,}' for n in total[1:])}" in text
    assert "Human rights adviser deployment" in text and "Kenya" in text

    html = report("annual", "--year", str(YEAR), "--format", "html").decode("utf-8")
    assert "<caption>Amounts requested and approved, per currency</caption>" in html


def test_the_names_of_states_in_the_readers_script(report):
    reader = pypdf.PdfReader(io.BytesIO(report("annual", "--year", str(YEAR), "--language", "ru")))
    assert "Кения" in "\n".join(page.extract_text() for page in reader.pages)


def test_the_hra_report_shows_the_demo_positions_and_their_funding(report):
    archive = zipfile.ZipFile(io.BytesIO(report("hra", "--format", "csv")))
    positions = table(archive, "hra_positions.csv")
    assert {row[4] for row in positions[1:]} >= {"Funded", "Partly funded", "Unfunded"}
    not_met = table(archive, "hra_not_met.csv")
    assert sum(int(row[5]) for row in not_met[1:]) >= 3  # rejected, withdrawn, unfunded
    reader = pypdf.PdfReader(io.BytesIO(report("hra", "--year", str(YEAR), "--format", "pdf")))
    assert "Demand that could not be met" in reader.pages[0].extract_text() + reader.pages[-1].extract_text()


@pytest.mark.parametrize("year", ["abc", "99999", "-1", ""])
def test_a_year_that_is_not_one_is_a_clear_error(demo_db, monkeypatch, year):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", demo_db)
    result = CliRunner().invoke(main, ["report", "annual", "--year", year])
    assert result.exit_code == 2 and "Invalid value for '--year'" in result.output
    assert "Traceback" not in result.output
