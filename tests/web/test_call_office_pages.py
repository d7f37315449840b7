"""The office's pages of a call: the list, the follow-up and its reminders, the results with a chart
and a table for every counted question, the files, a response and its reopening; the Board reads."""

from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from tacase.db.models import CallResponse, OutboxMessage
from tacase.services.calls import registry
from tests import calls_seed as seed
from tests.web.conftest import csrf_token, sign_in

FORM_TOKEN = re.compile(r'name="form_token" type="hidden" value="([^"]+)"')


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def world(app, seeded, api_clock):
    with app.extensions["tacase"]["sessions"]() as s:
        call = seed.make_call(s, api_clock())
        first = seed.submit(s, call, api_clock(), {**seed.FULL, "summary": "<script>alert(1)</script>"},
                            state="FJI")
        seed.submit(s, call, api_clock(), {"has_plan": False, "sector": "education", "budget": 10},
                    state="KEN", respondent_type="ministry", organisation="Ministry of Education", late=True)
        ids = {"first": first.id}
        s.commit()
    return ids


@pytest.fixture
def reviewer(client, seeded, api_clock):
    assert sign_in(client, seeded.reviewer, totp=seeded.reviewer.code(api_clock)).status_code == 302
    return client


@pytest.fixture
def board(client, seeded, api_clock):
    assert sign_in(client, seeded.board, totp=seeded.board.code(api_clock)).status_code == 302
    return client


def test_the_office_lists_its_calls_from_the_navigation(reviewer, world):
    home = text_of(reviewer.get("/queue"))
    assert 'href="/calls"' in home
    page = reviewer.get("/calls")
    assert page.status_code == 200
    html = text_of(page)
    assert "Needs questionnaire" in html and f'href="/calls/{seed.KEY}/followup"' in html


def test_followup_by_state_and_region_and_reminders(reviewer, app, world):
    page = reviewer.get(f"/calls/{seed.KEY}/followup")
    assert page.status_code == 200
    html = text_of(page)
    assert "By region" in html and "Peru" in html and "Late" in html
    assert 'name="states" value="PER"' in html and 'value="FJI"' not in html  # Fiji has submitted
    filtered = text_of(reviewer.get(f"/calls/{seed.KEY}/followup?status=submitted"))
    assert "Peru" not in filtered.split("By State")[1]
    assert reviewer.get(f"/calls/{seed.KEY}/followup?status=lost").status_code == 422
    token = FORM_TOKEN.search(html).group(1)
    sent = reviewer.post(f"/calls/{seed.KEY}/reminders", data={
        "csrf_token": csrf_token(reviewer, f"/calls/{seed.KEY}/followup"), "form_token": token,
        "states": ["PER", "FRA"]})
    assert sent.status_code == 303
    after = text_of(reviewer.get(sent.headers["Location"]))
    assert "Reminders sent to 2 States" in after
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.scalars(select(OutboxMessage.kind)).all().count("call_reminder") == 0  # no focal points
    nothing = reviewer.post(f"/calls/{seed.KEY}/reminders", data={
        "csrf_token": csrf_token(reviewer, f"/calls/{seed.KEY}/followup"), "form_token": "fresh-token-1"})
    assert nothing.status_code == 303
    bogus = reviewer.post(f"/calls/{seed.KEY}/reminders", data={
        "csrf_token": csrf_token(reviewer, f"/calls/{seed.KEY}/followup"), "form_token": "fresh-token-2",
        "states": ["XXX"]})
    assert bogus.status_code == 303
    assert "Choose States of the list" in text_of(reviewer.get(bogus.headers["Location"]))
    assert reviewer.post(f"/calls/{seed.KEY}/reminders", data={"states": ["PER"]}).status_code == 400
    page = text_of(reviewer.get(f"/calls/{seed.KEY}/followup"))
    assert 'name="shown" value="FRA"' in page and 'name="shown" value="FJI"' not in page
    everyone = reviewer.post(f"/calls/{seed.KEY}/reminders", data={
        "csrf_token": csrf_token(reviewer, f"/calls/{seed.KEY}/followup"), "form_token": "fresh-token-3",
        "everyone": "1", "shown": ["PER", "FRA"], "states": ["KEN"]})
    assert "Reminders sent to 2 States" in text_of(reviewer.get(everyone.headers["Location"]))


def test_results_show_charts_with_tables_and_texts_escaped(reviewer, world):
    page = reviewer.get(f"/calls/{seed.KEY}/results")
    assert page.status_code == 200
    html = text_of(page)
    assert "2 submitted responses counted." in html
    assert html.count('src="data:image/svg+xml;base64,') >= 5
    assert "<caption>Answers to: Main sector</caption>" in html
    assert "<caption>Distribution of the answers to: Budget</caption>" in html
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;" in html
    assert f'href="/calls/{seed.KEY}/export.xlsx"' in html
    ministries = text_of(reviewer.get(f"/calls/{seed.KEY}/results?respondent_type=ministry"))
    assert "1 submitted response counted." in ministries
    assert reviewer.get(f"/calls/{seed.KEY}/results?region=Atlantis").status_code == 422
    assert reviewer.get("/calls/no-such-call/results").status_code == 404


def test_exports_download(reviewer, world):
    response = reviewer.get(f"/calls/{seed.KEY}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert reviewer.get(f"/calls/{seed.KEY}/export.xlsx").data[:2] == b"PK"
    assert reviewer.get(f"/calls/{seed.KEY}/export.docx").status_code == 404


def test_the_board_reads_results_but_not_the_followup(board, world):
    assert board.get(f"/calls/{seed.KEY}/results").status_code == 200
    assert board.get(f"/calls/{seed.KEY}/followup").status_code == 403
    assert board.post(f"/calls/{seed.KEY}/reminders", data={"states": ["PER"]}).status_code == 403
    page = text_of(board.get(f"/calls/{seed.KEY}/responses/{world['first']}"))
    assert "Has a plan" in page and "Reopen" not in page


def test_a_focal_point_sees_none_of_it(client, seeded, world):
    assert sign_in(client, seeded.fiji).status_code == 302
    assert client.get("/calls").status_code == 303
    for path in ("followup", "results", "export.csv", "responses", f"responses/{world['first']}"):
        assert client.get(f"/calls/{seed.KEY}/{path}").status_code == 403, path


def test_the_public_is_sent_to_sign_in(client, world):
    for path in ("/calls", f"/calls/{seed.KEY}/results", f"/calls/{seed.KEY}/export.csv"):
        assert client.get(path).status_code == 302


def test_a_response_page_and_its_reopening(reviewer, app, world):
    pytest.importorskip("tacase.services.calls.responses")
    path = f"/calls/{seed.KEY}/responses/{world['first']}"
    html = text_of(reviewer.get(path))
    assert "Reopen the response" in html and "Main sector" in html and "Health" in html
    listing = text_of(reviewer.get(f"/calls/{seed.KEY}/responses"))
    assert f'href="{path}"' in listing
    token = FORM_TOKEN.search(html).group(1)
    empty = reviewer.post(f"{path}/reopen", data={
        "csrf_token": csrf_token(reviewer, path), "form_token": token, "reason": ""})
    assert empty.status_code == 422 and "Say why the response is reopened" in text_of(empty)
    done = reviewer.post(f"{path}/reopen", data={
        "csrf_token": csrf_token(reviewer, path), "form_token": token,
        "reason": "The ministry asked to correct its budget."})
    assert done.status_code == 303
    after = text_of(reviewer.get(path))
    assert "Earlier submitted versions" in after and "The ministry asked to correct its budget." in after
    assert "Reopen the response" not in after
    with app.extensions["tacase"]["sessions"]() as s:
        assert s.get(CallResponse, world["first"]).status == "draft"
    assert reviewer.get(f"/calls/{seed.KEY}/responses/999999").status_code == 404


def test_the_office_downloads_a_file_answered(reviewer, app, api_clock, world):
    uploads = pytest.importorskip("tacase.services.calls.uploads")
    directory = uploads.directory_of(app.config["DOCUMENTS_DIR"])
    directory.mkdir(parents=True, exist_ok=True)
    with app.extensions["tacase"]["sessions"]() as s:
        call = registry.get_call(s, seed.KEY)
        response = s.get(CallResponse, world["first"])
        document = seed.attach_document(s, call, response, api_clock(), name="plan d'action.pdf")
        response.answers = {**response.answers, "report": document.id}
        (directory / document.stored_name).write_bytes(b"%PDF-1.4 plan")
        s.commit()
        document_id = document.id
    path = f"/calls/{seed.KEY}/responses/{world['first']}/documents/{document_id}"
    assert f'href="{path}"' in text_of(reviewer.get(f"/calls/{seed.KEY}/responses/{world['first']}"))
    assert f'href="{path}"' in text_of(reviewer.get(f"/calls/{seed.KEY}/results"))
    got = reviewer.get(path)
    data = got.get_data()
    got.close()  # sent from an open file
    assert got.status_code == 200 and data == b"%PDF-1.4 plan"
    assert got.headers["Content-Disposition"].startswith("attachment;")
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    other = f"/calls/{seed.KEY}/responses/{world['first'] + 1}/documents/{document_id}"
    assert reviewer.get(other).status_code == 404


@pytest.mark.parametrize(("page", "label", "field", "chosen", "name", "button"), [
    ("followup", "Filter the States", "status", "submitted", "Submitted", "Show States"),
    ("results", "Filter the results", "respondent_type", "ministry", "Ministry", "Show results"),
])
def test_the_filter_forms_keep_what_was_chosen(reviewer, world, page, label, field, chosen, name, button):
    path = f"/calls/{seed.KEY}/{page}"
    html = text_of(reviewer.get(f"{path}?region=Oceania&{field}={chosen}"))
    form = re.search(r'<form class="queue-filters".*?</form>', html, re.S).group(0)
    assert f'action="{path}" role="search"' in form and f'aria-label="{label}"' in form
    assert '<option value="Oceania" selected>Oceania</option>' in form
    assert f'<label class="label" for="{field}">' in form
    assert f'<select class="input" id="{field}" name="{field}">' in form
    assert f'<option value="{chosen}" selected>{name}</option>' in form and form.count(" selected") == 2
    assert f">{button}</button>" in form and f'<a href="{path}">Clear the filters</a>' in form
