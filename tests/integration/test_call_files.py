"""A call's responses exported: CSV, XLSX with its data dictionary, and the zip; no formula survives."""

from __future__ import annotations

import csv
import io
import json
import zipfile

import pytest
from openpyxl import load_workbook

from tacase.exports import call_files
from tests import calls_seed as seed


@pytest.fixture
def call(session, clock):
    call = seed.make_call(session, clock.now)
    response = seed.submit(session, call, clock.now, {**seed.FULL, "summary": "=HYPERLINK(\"http://x\")"},
                           state="FJI")
    doc = seed.attach_document(session, call, response, clock.now, name="plan.pdf")
    response.answers = {**response.answers, "report": doc.id}
    seed.submit(session, call, clock.now, {"has_plan": False, "details": "-1+1\x01 bell"}, state=None,
                respondent_type="nhri", organisation="@National Institution")
    seed.submit(session, call, clock.now, {"has_plan": True}, state="KEN", status="draft")
    session.flush()
    return call


def read_csv(data: bytes) -> list[dict[str, str]]:
    assert data.startswith("\ufeff".encode())
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def test_csv_one_row_per_response_one_column_per_question(session, call):
    rows = read_csv(call_files.render_csv(session, call, seed.definition()))
    assert len(rows) == 3
    first = rows[0]
    assert list(first)[:10] == list(call_files.FIXED_COLUMNS)
    assert list(first)[10:] == [q.key for q in seed.definition().questions]
    assert first["state"] == "FJI" and first["status"] == "submitted" and first["late"] == "no"
    assert first["areas"] == "water; food" and first["has_plan"] == "yes" and first["budget"] == "1500.5"
    assert json.loads(first["staff"]) == [{"ministry": "Health", "people": "12"}]
    assert first["report"] == "plan.pdf"
    assert first["summary"].startswith("'=")  # never run as a formula
    assert rows[1]["organisation"] == "'@National Institution" and rows[1]["state"] == ""
    assert rows[1]["details"].startswith("'-")
    assert rows[2]["status"] == "draft"


def test_xlsx_responses_and_data_dictionary(session, call):
    book = load_workbook(io.BytesIO(call_files.render_xlsx(session, call, seed.definition())))
    assert book.sheetnames == ["Responses", "Data dictionary"]
    responses = list(book["Responses"].values)
    assert len(responses) == 4 and responses[0][0] == "response"
    assert all(not (isinstance(v, str) and v.startswith("=")) for row in responses for v in row)
    assert "\x01" not in responses[2][responses[0].index("details")]
    dictionary = {row[0]: row for row in book["Data dictionary"].values}
    assert dictionary["sector"][2] == "choice" and "health = Health" in dictionary["sector"][3]
    assert dictionary["plan_date"][5] == "asked when has_plan is yes"
    assert dictionary["has_plan"][4] == "yes"


def test_zip_holds_the_csv_and_its_dictionary(session, call):
    archive = zipfile.ZipFile(io.BytesIO(call_files.render(session, call, seed.definition(), "zip")))
    assert sorted(archive.namelist()) == ["data_dictionary.csv", "responses.csv"]
    dictionary = read_csv(archive.read("data_dictionary.csv"))
    assert [d["column"] for d in dictionary][10:] == [q.key for q in seed.definition().questions]


def test_unknown_format(session, call):
    with pytest.raises(ValueError):
        call_files.render(session, call, seed.definition(), "pdf")
