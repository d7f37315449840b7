"""A stakeholder's pages (asking for the link, answering through it, sending) and the public record of
a call's submissions, pages and API, with what must never leak from them."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from tacase.db.models import CallResponse, OutboxMessage, User
from tacase.services.actors import Actor
from tacase.services.calls import responses, stakeholders
from tests.integration.call_fixtures import COMPLETE, RAW, _l, make_call
from tests.web.conftest import csrf_token
from tests.web.test_call_pages import hidden

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
LINK = re.compile(r"/calls/contributions/([A-Za-z0-9_-]+)")


@pytest.fixture
def sub_app(app, seeded, api_clock):
    with app.extensions["tacase"]["sessions"]() as s:
        make_call(s, api_clock, kind="submissions", stakeholders=True, publish_submissions=True,
                  submitted_by="each", report=_l("Report on needs"),
                  questions=[*RAW["questions"], {"key": "paper", "type": "document", "label": _l("Paper")}])
        make_call(s, api_clock, key="test-closed-door")  # a questionnaire: no stakeholders
        s.commit()
    return app


def _ask(client, **kw):
    token = csrf_token(client, "/calls/test-needs/contribute")
    data = {"csrf_token": token, "name": "Ana Civil", "organisation": "Rights Watch Fiji",
            "respondent_type": "civil_society", "email": "ana@example.org", "country": "FJI", **kw}
    return client.post("/calls/test-needs/contribute", data=data)


def _token(app, email="ana@example.org"):
    with app.extensions["tacase"]["sessions"]() as s:
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.to_address == email)).all()
        return LINK.search(mails[-1].body_text).group(1)


def test_a_stakeholder_asks_for_the_link_answers_and_sends_with_consent(sub_app, client):
    page = client.get("/calls/test-needs/contribute").get_data(as_text=True)
    assert "National human rights institution" in page and "Civil society organization" in page
    assert "Send me the link" in page
    bad = _ask(client, email="nope", respondent_type="")
    assert bad.status_code == 422 and "There is a problem" in bad.get_data(as_text=True)
    sent = _ask(client)
    assert sent.status_code == 200 and "Check your e-mail" in sent.get_data(as_text=True)
    token = _token(sub_app)
    assert token not in sent.get_data(as_text=True)
    form_page = client.get(f"/calls/contributions/{token}")
    assert form_page.status_code == 200 and form_page.headers["Cache-Control"] == "no-store"
    assert form_page.headers["Referrer-Policy"] == "no-referrer"
    html = form_page.get_data(as_text=True)
    assert "Rights Watch Fiji" in html and 'type="file"' in html
    fields = hidden(html, f"/calls/contributions/{token}")
    wrong = client.post(f"/calls/contributions/{token}", data={**fields, "q-score": "9", "action": "save"})
    assert wrong.status_code == 422 and 'href="#q-score"' in wrong.get_data(as_text=True)
    upload = client.post(f"/calls/contributions/{token}/documents", data={
        "csrf_token": fields["csrf_token"], "question": "paper", "file": (io.BytesIO(b"MZ"), "x.pdf")},
        content_type="multipart/form-data")
    assert upload.status_code == 422 and "PDF" in upload.get_data(as_text=True)
    upload = client.post(f"/calls/contributions/{token}", data={
        **fields, "action": "save", "q-paper": (io.BytesIO(PDF), "ours.pdf")},
        content_type="multipart/form-data")
    assert upload.status_code == 200
    html = client.get(f"/calls/contributions/{token}").get_data(as_text=True)
    assert "Uploaded: ours.pdf" in html
    fields = hidden(html, f"/calls/contributions/{token}")
    saved = client.post(f"/calls/contributions/{token}", data={
        **fields, "q-has_plan": "yes", "q-plan_year": "2019", "q-sectors": ["health"], "q-priority": "low",
        "q-score": "3", "q-notes": "Our published words.", "action": "check"})
    assert saved.status_code == 303
    assert saved.headers["Location"].endswith(f"/calls/contributions/{token}/check")
    check = client.get(f"/calls/contributions/{token}/check").get_data(as_text=True)
    assert "Now send your contribution" in check and "ours.pdf" in check
    done = client.post(f"/calls/contributions/{token}/submit", data={
        **hidden(check, f"/calls/contributions/{token}/submit"), "consent_to_publish": "yes"})
    assert done.status_code == 303
    assert "Contribution sent" in client.get(done.headers["Location"]).get_data(as_text=True)

    listing = client.get("/public/calls").get_data(as_text=True)
    assert "Needs on economic rights" in listing
    public = client.get("/public/calls/test-needs").get_data(as_text=True)
    assert "Rights Watch Fiji" in public and "Our published words." in public and "Fiji" in public
    assert "Report on needs" in public and "ana@example.org" not in public and "Ana Civil" not in public
    href = re.search(r'href="(/public/calls/test-needs/documents/\d+)"', public).group(1)
    download = client.get(href)
    assert download.status_code == 200 and download.data == PDF
    download.close()
    api = client.get("/api/v1/public/calls/test-needs/submissions").get_json()
    assert api["total"] == 1 and api["items"][0]["organisation"] == "Rights Watch Fiji"
    assert api["items"][0]["documents"][0]["url"] == href
    assert [c["key"] for c in client.get("/api/v1/public/calls").get_json()["items"]] == ["test-needs"]


def test_calls_without_stakeholders_and_bad_links_are_not_found(sub_app, client):
    assert client.get("/calls/test-closed-door/contribute").status_code == 404
    assert client.get("/calls/nope/contribute").status_code == 404
    assert client.get("/calls/contributions/not-a-token").status_code == 404
    assert client.get("/calls/contributions/" + "x" * 101).status_code == 404
    assert client.get("/public/calls/test-closed-door").status_code == 404
    assert client.get("/api/v1/public/calls/test-closed-door/submissions").status_code == 404
    assert client.get("/api/v1/public/calls/test-needs/submissions?per_page=0").status_code == 422
    assert client.get("/api/v1/public/calls/test-needs/submissions?x=1").status_code == 422


def test_asking_for_links_is_rate_limited(app, seeded, api_clock):
    from tests.api.conftest import make_app

    url = app.extensions["tacase"]["config"].DATABASE_URL
    limited = make_app(url, api_clock, TACASE_LOGIN_LIMIT_PER_ADDRESS="2/hour")
    with limited.extensions["tacase"]["sessions"]() as s:
        make_call(s, api_clock, kind="submissions", stakeholders=True, publish_submissions=True,
                  submitted_by="each")
        s.commit()
    client = limited.test_client()
    assert _ask(client).status_code == 200
    assert _ask(client, email="b@example.org").status_code == 200
    third = _ask(client, email="c@example.org")
    assert third.status_code == 429 and "Retry-After" in third.headers
    limited.extensions["tacase"]["engine"].dispose()


def test_nothing_unconsented_no_draft_no_contact_and_no_state_answers_leak(sub_app, client, api_clock):
    sessions = sub_app.extensions["tacase"]["sessions"]
    with sessions() as s:
        _r, link = stakeholders.start(s, api_clock, "test-needs", name="Quiet Person",
                                      organisation="Quiet NGO", respondent_type="nhri",
                                      email="quiet@example.org", base_url="http://x")
        token = link.rsplit("/", 1)[1]
        stakeholders.save_draft(s, api_clock, token, {**COMPLETE, "notes": "Secret words."})
        stakeholders.submit(s, api_clock, token, consent_to_publish=False)
        _r, link = stakeholders.start(s, api_clock, "test-needs", name="Draft Person",
                                      organisation="Draft NGO", respondent_type="academia",
                                      email="draft@example.org", base_url="http://x")
        stakeholders.save_draft(s, api_clock, link.rsplit("/", 1)[1], {**COMPLETE, "notes": "Draft words."})
        fiji = s.scalar(select(User).where(User.state_code == "FJI"))
        focal = Actor.for_user(fiji)
        responses.save_draft(s, focal, api_clock, "test-needs", {**COMPLETE, "notes": "Fiji public words."})
        responses.submit(s, focal, api_clock, "test-needs", consent_to_publish=True)
        s.commit()
        draft = s.scalar(select(CallResponse).where(CallResponse.organisation == "Draft NGO"))
        assert draft.status == "draft"
    seen = "".join([
        client.get("/public/calls").get_data(as_text=True),
        client.get("/public/calls/test-needs").get_data(as_text=True),
        client.get("/api/v1/public/calls").get_data(as_text=True),
        client.get("/api/v1/public/calls/test-needs/submissions").get_data(as_text=True),
    ])
    assert "Fiji public words." in seen
    for secret in ("Secret words", "Quiet", "Draft words", "Draft NGO", "quiet@example.org", "Draft Person",
                   "contact", "has_plan", "priority", "sectors", "\"high\"", "Health"):
        assert secret not in seen, secret
