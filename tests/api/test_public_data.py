"""The public record's figures and files: how many requests each filter finds, the open-data files
and their dictionary, and each public page's download."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import event, select

from tacase.db.models import PublicFile
from tacase.exports import open_data as files
from tacase.jobs import tasks
from tacase.jobs.schedule import schedule
from tacase.services import public_record
from tests.api.conftest import complete_fields
from tests.api.test_public_leaks import STAFF_LABELS, planted  # noqa: F401 - the leak test's world

API = "/api/v1"
FOCAL = "state_focal_point"


@pytest.fixture
def people(world):
    return {"fiji": world.account(FOCAL, state="FJI"), "samoa": world.account(FOCAL, state="WSM")}


def published(client, focal, *, consent: bool = True, **fields) -> str:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields(),
                                          "consent_to_publish": consent, **fields}, headers=focal.auth)
    assert r.status_code == 201, r.get_json()
    ref = r.get_json()["reference"]
    r = client.post(f"{API}/cases/{ref}/transitions", json={"trigger": "submit"}, headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    return ref


def consent(client, focal, ref: str, value: bool) -> None:
    r = client.put(f"{API}/cases/{ref}/consent", json={"consent": value}, headers=focal.auth)
    assert r.status_code == 200, r.get_json()


def job_context(world) -> tasks.JobContext:
    ext = world.app.extensions["tacase"]
    return tasks.JobContext(config=ext["config"], sessions=ext["sessions"], clock=world.clock, sender=None,
                            worker="tests")


def counts(client) -> dict:
    r = client.get(f"{API}/public/counts")
    assert r.status_code == 200, r.get_json()
    return r.get_json()


def csv_rows(response) -> list[dict[str, str]]:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))


def references(response) -> set[str]:
    if response.mimetype == "application/json":
        return {row["reference"] for row in response.get_json()["cases"]}
    return {row["reference"] for row in csv_rows(response)}


# --- counts ----------------------------------------------------------------------------------------

def test_counts_come_from_the_snapshot_and_follow_consent_at_once(world, client, people):
    fiji = [published(client, people["fiji"]) for _ in range(2)]
    published(client, people["samoa"])
    published(client, people["samoa"], consent=False)
    assert counts(client)["total"] == 0  # the snapshot is not refreshed by a submission...
    tasks.refresh_record_counts(job_context(world))  # ...but by the scheduler
    body = counts(client)
    assert body["total"] == 3
    assert body["state"] == {"FJI": 2, "WSM": 1}
    assert body["type"] == {"upr_fund": 3} and body["year"] == {"2026": 3}
    assert body["status"] == {"submitted": 3}
    assert body["fund"] == {complete_fields()["funding_source"]: 3}
    assert body["refreshed_at"].startswith("2026-03-02")

    consent(client, people["fiji"], fiji[0], False)  # no job in between: the change refreshes them
    body = counts(client)
    assert body["total"] == 2 and body["state"] == {"FJI": 1, "WSM": 1}
    consent(client, people["fiji"], fiji[0], True)
    assert counts(client)["state"] == {"FJI": 2, "WSM": 1}


def test_the_record_page_shows_each_values_count(world, client, people):
    published(client, people["fiji"])
    published(client, people["fiji"])
    published(client, people["samoa"])
    page = client.get("/public/record").get_data(as_text=True)
    assert "Fiji (" not in page and ">Fiji<" in page  # nothing counted yet: the values alone
    tasks.refresh_record_counts(job_context(world))
    page = client.get("/public/record").get_data(as_text=True)
    assert "Fiji (2)" in page and "Samoa (1)" in page and "All (3)" in page and "2026 (3)" in page
    assert "Tonga" not in page  # no published request: not offered
    chosen = client.get("/public/record", query_string={"state": "TON"}).get_data(as_text=True)
    assert 'value="TON" selected>Tonga (0)' in chosen  # ...unless it is the one chosen


def test_counts_are_one_statement_of_group_bys(session):
    """The database counts: one statement, whatever the number of cases."""
    statements: list[str] = []

    def seen(_conn, _cursor, statement, *_args) -> None:
        if not statement.startswith(("SAVEPOINT", "RELEASE")):
            statements.append(statement)

    engine = session.get_bind().engine
    event.listen(engine, "before_cursor_execute", seen)
    try:
        body = public_record.count_published(session)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert body["total"] == 0 and set(public_record.COUNTED) <= set(body)
    assert len(statements) == 1 and statements[0].count("GROUP BY") == len(public_record.COUNTED)


# --- the open-data files ---------------------------------------------------------------------------

def test_the_files_hold_published_cases_only_and_a_withdrawal_removes_at_once(world, client, people):
    shown, withheld = published(client, people["fiji"]), published(client, people["fiji"], consent=False)
    other = published(client, people["samoa"])
    tasks.build_open_data(job_context(world))
    for fmt in ("csv", "json"):
        r = client.get(f"/public/data/cases.{fmt}")
        assert references(r) == {shown, other}
        assert r.headers["ETag"] and r.headers["Last-Modified"]
        assert "public" in r.headers["Cache-Control"] and "max-age=300" in r.headers["Cache-Control"]
        assert r.headers["Content-Disposition"] == f'attachment; filename="cases.{fmt}"'
        assert "Set-Cookie" not in r.headers
        again = client.get(f"/public/data/cases.{fmt}", headers={"If-None-Match": r.headers["ETag"]})
        assert again.status_code == 304

    consent(client, people["fiji"], shown, False)
    with world.sessions() as s:
        assert s.scalars(select(PublicFile)).all() == []  # deleted in the change's transaction
    for fmt in ("csv", "json"):
        r = client.get(f"/public/data/cases.{fmt}")  # made on request until the next build
        assert references(r) == {other}, fmt
        assert "ETag" not in r.headers and "public" in r.headers["Cache-Control"]
    assert withheld not in client.get("/public/data/cases.csv").get_data(as_text=True)

    tasks.build_open_data(job_context(world))  # missing: built at once
    r = client.get("/public/data/cases.csv")
    assert references(r) == {other} and r.headers["ETag"]


def test_the_job_builds_when_missing_or_an_hour_old(world, client, people):
    ctx = job_context(world)
    jobs = {job.name: job for job in schedule(ctx.config)}
    assert jobs["build-open-data"].task == "build_open_data" and jobs["refresh-record-counts"].every == {
        "seconds": 300}
    ref = published(client, people["fiji"])
    tasks.build_open_data(ctx)
    with world.sessions() as s:
        first = {f.name: (f.built_at, f.etag) for f in s.scalars(select(PublicFile))}
    assert set(first) == {"cases.csv", "cases.json"}
    published(client, people["fiji"])
    world.clock.advance(minutes=30)
    tasks.build_open_data(ctx)  # not due yet
    with world.sessions() as s:
        assert {f.name: (f.built_at, f.etag) for f in s.scalars(select(PublicFile))} == first
    world.clock.advance(minutes=31)
    tasks.build_open_data(ctx)
    with world.sessions() as s:
        rebuilt = {f.name: (f.built_at, f.etag) for f in s.scalars(select(PublicFile))}
    assert all(rebuilt[name][0] > first[name][0] and rebuilt[name][1] != first[name][1] for name in first)
    assert ref in client.get("/public/data/cases.csv").get_data(as_text=True)


def test_the_json_file_states_its_licence(world, client, people):
    published(client, people["fiji"])
    for built in (False, True):
        if built:
            tasks.build_open_data(job_context(world))
        body = client.get("/public/data/cases.json").get_json()
        assert body["licence"] == {"name": "Creative Commons Attribution 4.0 International",
                                   "url": "https://creativecommons.org/licenses/by/4.0/"}
        assert body["built_at"].startswith("2026-03-02T09:00") and len(body["cases"]) == 1
    page = client.get("/public/data").get_data(as_text=True)
    assert "Creative Commons Attribution 4.0 International" in page
    assert 'href="https://creativecommons.org/licenses/by/4.0/"' in page


def test_the_licence_is_a_setting(fresh_db, api_clock):
    from tests.api.conftest import make_app

    app = make_app(fresh_db, api_clock, TACASE_PUBLIC_DATA_LICENCE_NAME="Open Government Licence",
                   TACASE_PUBLIC_DATA_LICENCE_URL="https://example.org/ogl")
    try:
        body = app.test_client().get("/public/data/cases.json").get_json()
        assert body["licence"] == {"name": "Open Government Licence", "url": "https://example.org/ogl"}
        assert "Open Government Licence" in app.test_client().get("/public/data").get_data(as_text=True)
    finally:
        app.extensions["tacase"]["engine"].dispose()


def test_the_files_hold_no_marker_of_anything_not_public(world, client, planted):  # noqa: F811
    tasks.build_open_data(job_context(world))
    for stored in (True, False):
        if not stored:
            with world.sessions() as s:
                s.execute(PublicFile.__table__.delete())
                s.commit()
        for address in ("/public/data/cases.csv", "/public/data/cases.json"):
            r = client.get(address)
            assert ("ETag" in r.headers) == stored
            text = r.get_data(as_text=True)
            leaked = {where for marker, where in planted["markers"].items() if marker in text}
            assert not leaked, f"{address} shows {sorted(leaked)}"
            assert not [label for label in STAFF_LABELS if label in text]
            assert all(ref in text for ref in planted["published"])
            assert not [ref for ref in planted["unpublished"] if ref in text]
            assert "Published summary" in text  # what steps record in public is there


# --- CSV and formulas ------------------------------------------------------------------------------

@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_starts_like_a_formula_gets_an_apostrophe(start):
    assert files.cell(f"{start}HYPERLINK(\"http://x\")") == f"'{start}HYPERLINK(\"http://x\")"
    assert files.cell(["ok", f"{start}1"]) == f"ok; {start}1"  # the cell starts with "ok"
    assert files.cell([f"{start}1", "ok"]) == f"'{start}1; ok"
    assert files.cell("Plain =1") == "Plain =1"


def test_downloads_escape_formulas(client, people):
    ref = published(client, people["fiji"], title='=HYPERLINK("http://evil.example","Click")',
                    objectives="+cmd|' /C calc'!A0", recipient_institutions=["@SUM(A1:A2)", "Ministry"])
    for address in (f"/public/record/{ref}.csv", "/public/record.csv", "/public/data/cases.csv"):
        (row,) = csv_rows(client.get(address))
        assert row["title"] == "'=HYPERLINK(\"http://evil.example\",\"Click\")", address
        assert row["objectives"].startswith("'+cmd")
        assert row["recipient_institutions"] == "'@SUM(A1:A2); Ministry"
    body = client.get(f"/public/record/{ref}.json").get_json()  # JSON is for programs: kept as it is
    assert body["cases"][0]["title"].startswith("=HYPERLINK")


# --- the dictionary --------------------------------------------------------------------------------

def test_the_dictionary_lists_every_column_of_the_files(world, client, people):
    ref = published(client, people["fiji"])
    reviewer, approver = world.account("reviewer"), world.account("approver")
    for account, trigger, data in ((reviewer, "review", {"assessment": "Good", "recommendation": "approve"}),
                                   (approver, "approve", {"approved_amount": {"amount": "45000.00",
                                                                              "currency": "USD"}})):
        r = client.post(f"{API}/cases/{ref}/transitions", json={"trigger": trigger, "data": data},
                        headers=account.auth)
        assert r.status_code == 200, r.get_json()
    tasks.build_open_data(job_context(world))
    dictionary = client.get(f"{API}/public/dictionary")
    assert dictionary.status_code == 200 and "public" in dictionary.headers["Cache-Control"]
    about = dictionary.get_json()
    described = [c["name"] for c in about["columns"]]
    assert all(c["description"] and c["title"] and c["type"] in files.KINDS for c in about["columns"])
    header = next(csv.reader(io.StringIO(client.get("/public/data/cases.csv").get_data(as_text=True))))
    assert header == described
    body = client.get("/public/data/cases.json").get_json()
    assert body["columns"] == described and [list(row) for row in body["cases"]] == [described]
    row = body["cases"][0]
    assert row["approved_amount"] == "45000.00" and row["approved_amount_currency"] == "USD"
    assert row["stages"][-1] == {"label": "Approved", "entered_on": "2026-03-02"}
    assert about["licence"]["url"] == "https://creativecommons.org/licenses/by/4.0/"
    assert about["last_updated"].startswith("2026-03-02") and all(f["built_at"] for f in about["files"])
    page = client.get("/public/data")
    assert page.status_code == 200 and "Set-Cookie" not in page.headers
    html = page.get_data(as_text=True)
    assert all(f"<code>{name}</code>" in html for name in described)
    assert "2 March 2026" in html  # the last update, in words
    french = client.get("/public/data", query_string={"lang": "fr"}).get_data(as_text=True)
    assert 'lang="fr"' in french


def test_the_counts_and_the_dictionary_are_in_the_openapi_document(client):
    paths = client.get(f"{API}/openapi.json").get_json()["paths"]
    assert "get" in paths["/api/v1/public/counts"] and "get" in paths["/api/v1/public/dictionary"]


# --- the pages' downloads --------------------------------------------------------------------------

def test_downloads_honour_the_filters_and_hold_every_page(world, client, people, monkeypatch):
    monkeypatch.setattr(public_record, "EXPORT_BATCH", 2)  # read in batches of two
    monkeypatch.setattr("tacase.web.views.public_pages.PER_PAGE", 2)
    fiji = [published(client, people["fiji"]) for _ in range(5)]
    samoa = published(client, people["samoa"])
    published(client, people["fiji"], consent=False)
    page = client.get("/public/record", query_string={"state": "FJI"}).get_data(as_text=True)
    assert page.count('class="public-item"') == 2
    assert 'href="/public/record.csv?state=FJI"' in page and 'href="/public/record.json?state=FJI"' in page
    for fmt in ("csv", "json"):
        r = client.get(f"/public/record.{fmt}", query_string={"state": "FJI", "page": "2"})
        assert references(r) == set(fiji), fmt
        assert r.headers["Content-Disposition"] == f'attachment; filename="record.{fmt}"'
        assert "Set-Cookie" not in r.headers
    rows = csv_rows(client.get("/public/record.csv"))
    assert [row["reference"] for row in rows] == [samoa, *reversed(fiji)]  # newest first, each once
    assert references(client.get("/public/record.csv", query_string={"year": "2025"})) == set()
    only_samoa = client.get("/public/record.json", query_string={"state": "WSM", "type": "upr_fund"})
    assert references(only_samoa) == {samoa}

    state_page = client.get("/public/states/FJI").get_data(as_text=True)
    assert 'href="/public/states/FJI.csv"' in state_page
    r = client.get("/public/states/fji.json")
    assert references(r) == set(fiji) and 'filename="record-FJI.json"' in r.headers["Content-Disposition"]

    case_page = client.get(f"/public/record/{samoa}").get_data(as_text=True)
    assert f'href="/public/record/{samoa}.csv"' in case_page
    r = client.get(f"/public/record/{samoa}.json")
    assert references(r) == {samoa} and json.loads(r.get_data())["cases"][0]["state_code"] == "WSM"
    consent(client, people["samoa"], samoa, False)
    assert client.get(f"/public/record/{samoa}.csv").status_code == 404
    assert samoa not in client.get("/public/record.csv").get_data(as_text=True)


@pytest.mark.parametrize(("address", "query", "status"), [
    ("/public/record.csv", {"colour": "blue"}, 422),
    ("/public/record.csv", {"year": "last"}, 422),
    ("/public/record.json", {"year": "1999"}, 422),
    ("/public/record.json", {"year": "9" * 40}, 422),
    ("/public/record.csv", {"state": "XXX"}, 422),
    ("/public/record.csv", {"status": "<script>alert(1)</script>"}, 422),
    ("/public/record.csv", {"type": "'; DROP TABLE cases; --"}, 422),
    ("/public/record.csv", {"fund": "piggy_bank"}, 422),
    ("/public/record.csv", {"state": "FJI\x00"}, 400),
    ("/public/record.xml", {}, 404),
    ("/public/states/ZZZ.csv", {}, 404),
    ("/public/states/" + "F" * 300 + ".csv", {}, 404),
    ("/public/record/UPR-2026-9999.json", {}, 404),
    ("/public/record/" + "x" * 500 + ".csv", {}, 404),
    ("/public/data/cases.xlsx", {}, 404),
    ("/public/data", {"lang": "xx"}, 200),
    (f"{API}/public/counts", {"state": "\x00"}, 400),
])
def test_hostile_addresses_get_a_clear_answer(client, address, query, status):
    r = client.get(address, query_string=query)
    assert r.status_code == status, r.get_data(as_text=True)[:300]
    assert "Set-Cookie" not in r.headers
    if status in (400, 422) and not address.startswith(API):
        text = r.get_data(as_text=True)
        assert r.mimetype == "text/html"
        assert "There is a problem" in text or "could not be understood" in text


def test_a_bad_filter_is_named_in_words(client):
    r = client.get("/public/record.csv", query_string={"state": "XXX", "year": "1999"})
    text = r.get_data(as_text=True)
    assert r.status_code == 422 and "State: choose one of the list." in text and "Year submitted" in text
    assert "state=" not in text.split("<main", 1)[-1]  # no codes or field names shown


# --- the command -----------------------------------------------------------------------------------

def test_the_command_writes_the_files_of_the_demo_record(fresh_db, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from tacase.cli import main
    from tacase.db.models import Case
    from tacase.db.session import make_engine

    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", fresh_db)
    assert CliRunner().invoke(main, ["demo"], catch_exceptions=False).exit_code == 0
    result = CliRunner().invoke(main, ["export", "open-data", "--out", str(tmp_path / "out")],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.output
    engine = make_engine(fresh_db)
    try:
        with engine.connect() as conn:
            expected = set(conn.execute(select(Case.reference).where(public_record.published())).scalars())
    finally:
        engine.dispose()
    assert len(expected) > 2
    with (tmp_path / "out" / "cases.csv").open(encoding="utf-8", newline="") as f:
        assert {row["reference"] for row in csv.DictReader(f)} == expected
    body = json.loads((tmp_path / "out" / "cases.json").read_text(encoding="utf-8"))
    assert {row["reference"] for row in body["cases"]} == expected and body["licence"]["name"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["cases.csv", "cases.json"]
