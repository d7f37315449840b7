"""The State side's pages of a call: the dashboard, the call's page, answering, checking, submitting,
invitations and accepting one, and who may open what."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from tacase.db.models import CallResponse, OutboxMessage
from tests.integration.call_fixtures import make_call
from tests.web.conftest import PASSWORD, sign_in
from tests.web.seed import Person

HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def hidden(html: str, form_action: str | None = None) -> dict[str, str]:
    if form_action is not None:
        start = html.index(f'action="{form_action}"')
        html = html[start:html.index("</form>", start)]
    out = {}
    for tag in HIDDEN.findall(html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            out.setdefault(name.group(1), value.group(1) if value else "")
    return out


@pytest.fixture
def call_app(app, seeded, api_clock):
    with app.extensions["tacase"]["sessions"]() as s:
        make_call(s, api_clock, audience=["FJI", "WSM"])
        s.commit()
    return app


def _answer_form(client):
    page = client.get("/calls/test-needs/respond")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def test_focal_point_answers_checks_and_submits(call_app, seeded, client):
    sign_in(client, seeded.fiji)
    home = client.get("/").get_data(as_text=True)
    assert "Calls for input" in home and "Needs on economic rights" in home and "31 March 2026" in home
    state_page = client.get("/calls/test-needs/state").get_data(as_text=True)
    assert "Pass the call on to colleagues" in state_page and "Tell us what you need." in state_page
    html = _answer_form(client)
    assert "(optional)" in html and 'data-when="has_plan"' in html and "Answer only if" in html
    fields = hidden(html, "/calls/test-needs/respond")
    bad = client.post("/calls/test-needs/respond", data={**fields, "q-score": "9", "q-plan_year": "abc",
                                                         "q-has_plan": "yes", "action": "save"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "There is a problem" in text and 'href="#q-score"' in text and 'value="abc"' in text
    saved = client.post("/calls/test-needs/respond", data={
        **fields, "q-has_plan": "yes", "q-plan_year": "2019", "q-sectors": ["health", "education"],
        "q-priority": "low", "q-score": "3", "q-notes": "Two\nlines", "action": "check"})
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/calls/test-needs/check")
    check = client.get("/calls/test-needs/check").get_data(as_text=True)
    assert "Health; Education" in check and "Now submit the response" in check
    done = client.post("/calls/test-needs/submit", data=hidden(check, "/calls/test-needs/submit"))
    assert done.status_code == 303
    confirmation = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "Response submitted" in confirmation
    assert "Submitted" in client.get("/").get_data(as_text=True)


def test_a_stale_or_missing_answer_is_said_beside_the_field(call_app, seeded, client):
    sign_in(client, seeded.fiji)
    fields = hidden(_answer_form(client), "/calls/test-needs/respond")
    client.post("/calls/test-needs/respond", data={**fields, "q-notes": "first", "action": "save"})
    again = client.post("/calls/test-needs/respond", data={**fields, "q-notes": "second", "action": "save"})
    assert again.status_code == 409 and "another window" in again.get_data(as_text=True)
    check = client.get("/calls/test-needs/check").get_data(as_text=True)
    assert "cannot be submitted yet" in check and "Now submit the response" not in check


def test_autosave_answers_in_json(call_app, seeded, client):
    sign_in(client, seeded.fiji)
    fields = hidden(_answer_form(client), "/calls/test-needs/respond")
    saved = client.post("/calls/test-needs/respond", data={**fields, "q-notes": "typing"},
                        headers={"X-Autosave": "1"})
    assert saved.status_code == 200 and saved.get_json()["saved"] is True
    wrong = client.post("/calls/test-needs/respond", data={**fields, "q-score": "x", "version": "2"},
                        headers={"X-Autosave": "1"})
    assert wrong.status_code == 422 and "score" in wrong.get_json()["errors"]


def test_invite_accept_and_answer_as_a_ministry(call_app, seeded, client, app):
    sign_in(client, seeded.fiji)
    page = client.get("/calls/test-needs/state").get_data(as_text=True)
    fields = hidden(page, "/calls/test-needs/invitations")
    refused = client.post("/calls/test-needs/invitations", data={**fields, "email": "nope", "ministry": "",
                                                                  "respondent_type": "ministry"})
    assert refused.status_code == 422 and "There is a problem" in refused.get_data(as_text=True)
    sent = client.post("/calls/test-needs/invitations", data={
        **fields, "email": "health@gov.fj", "ministry": "Ministry of Health", "respondent_type": "ministry"})
    assert sent.status_code == 303
    assert "health@gov.fj" in client.get("/calls/test-needs/state").get_data(as_text=True)
    with app.extensions["tacase"]["sessions"]() as s:
        mail = s.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "health@gov.fj"))
        link = re.search(r"/calls/invitations/[A-Za-z0-9_-]+", mail.body_text).group(0)
    other = app.test_client()
    accept = other.get(link)
    assert accept.status_code == 200 and "Ministry of Health" in accept.get_data(as_text=True)
    token = hidden(accept.get_data(as_text=True))["csrf_token"]
    weak = other.post(link, data={"csrf_token": token, "display_name": "Ana", "password": "short",
                                  "confirm": "short"})
    assert weak.status_code == 422
    made = other.post(link, data={"csrf_token": token, "display_name": "Ana", "password": PASSWORD,
                                  "confirm": PASSWORD})
    assert made.status_code == 303 and made.headers["Location"].endswith("/calls/test-needs/state")
    assert other.get(link).status_code == 410  # used
    landing = other.get("/", follow_redirects=True).get_data(as_text=True)
    assert "Needs on economic rights" in landing and "Calls for input" in landing
    fields = hidden(_answer_form(other), "/calls/test-needs/respond")
    other.post("/calls/test-needs/respond", data={**fields, "q-has_plan": "no", "q-priority": "high",
                                                  "action": "save"})
    check = other.get("/calls/test-needs/check").get_data(as_text=True)
    assert "focal point submits" in check and "Submit the response" not in check
    assert seeded.fiji_returned not in other.get("/cases").get_data(as_text=True)  # none of its State's cases
    assert other.get(f"/cases/{seeded.fiji_returned}").status_code in (403, 404)
    # The focal point sees the ministry's draft and submits it on behalf of the State.
    with app.extensions["tacase"]["sessions"]() as s:
        ministry = s.scalar(select(CallResponse).where(CallResponse.respondent_kind == "ministry"))
    state_page = client.get("/calls/test-needs/state").get_data(as_text=True)
    assert "Ministry of Health" in state_page and "Submit on behalf of the State" in state_page
    check = client.get(f"/calls/test-needs/check?response={ministry.id}").get_data(as_text=True)
    done = client.post("/calls/test-needs/submit", data=hidden(check, "/calls/test-needs/submit"))
    assert done.status_code == 303


def test_who_may_open_the_pages(call_app, seeded, client, app):
    for path in ("/calls/test-needs/state", "/calls/test-needs/respond", "/calls/test-needs/check"):
        assert client.get(path).status_code == 302  # to the sign-in
    assert client.get("/calls/invitations/not-a-token").status_code == 404
    sign_in(client, Person("focal.samoa@example.org"))
    assert client.get("/calls/test-needs/state").status_code == 200
    with app.extensions["tacase"]["sessions"]() as s:
        make_call(s, app.extensions["tacase"]["clock"], key="test-elsewhere", audience=["KEN"])
        s.commit()
    assert client.get("/calls/test-elsewhere/state").status_code == 404
    assert client.get("/calls/test-elsewhere/respond").status_code == 404
    assert client.get("/calls/no-such/state").status_code == 404


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_a_document_answer_is_uploaded_with_the_form(call_app, seeded, client):
    sign_in(client, seeded.fiji)
    fields = hidden(_answer_form(client), "/calls/test-needs/respond")
    refused = client.post("/calls/test-needs/respond", content_type="multipart/form-data", data={
        **fields, "q-notes": "with a file", "action": "save",
        "q-plan_file": (io.BytesIO(b"<html>not a document</html>"), "plan.pdf")})
    assert refused.status_code == 422 and "Choose a PDF" in refused.get_data(as_text=True)
    saved = client.post("/calls/test-needs/respond", content_type="multipart/form-data", data={
        **fields, "q-notes": "with a file", "action": "check",
        "q-plan_file": (io.BytesIO(PDF), "national plan.pdf")})
    assert saved.status_code == 303
    assert "national plan.pdf" in client.get("/calls/test-needs/check").get_data(as_text=True)
    assert "national plan.pdf" in _answer_form(client)
