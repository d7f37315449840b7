"""Stakeholders' contributions through an e-mailed link, and the public record of a call's submissions."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from tacase.db.models import AuditEvent, CallAnswer, CallResponse, OutboxMessage
from tacase.services import audit_log
from tacase.services.calls import public_submissions, responses, stakeholders
from tacase.services.errors import Conflict, NotFound, StaleVersion, UnsupportedType, ValidationFailed
from tests.integration.call_fixtures import COMPLETE, RAW, _l, make_call

BASE = "https://tacase.example.org"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
QUESTIONS = [
    *RAW["questions"],
    {"key": "paper", "type": "document", "label": _l("Your submission")},
]


@pytest.fixture
def call(session, clock):
    return make_call(session, clock, kind="submissions", stakeholders=True, publish_submissions=True,
                     late_responses="refuse", submitted_by="each", questions=QUESTIONS,
                     report=_l("Report on needs"))


def _start(session, clock, **kw):
    details = {"name": "Ana Civil", "organisation": "Rights Watch Fiji", "respondent_type": "civil_society",
               "email": " Ana@Example.ORG ", "country": "FJI", **kw}
    response, link = stakeholders.start(session, clock, "test-needs", base_url=BASE, **details)
    return response, link.rsplit("/", 1)[1]


def _actions(session):
    audit_log.seal(session)
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_the_link_is_mailed_confirms_and_leads_to_a_counted_submission(session, clock, call):
    response, token = _start(session, clock)
    assert response.status == "draft" and response.contact_email == "ana@example.org"
    assert response.confirm_token_hash == stakeholders.token_hash(token)
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == "call_contribution"))
    assert mail.to_address == "ana@example.org" and f"/calls/contributions/{token}" in mail.body_text
    assert response.confirmed_at is None
    opened, _call, _definition = stakeholders.contribution(session, clock, token)
    assert opened.id == response.id and opened.confirmed_at == clock()
    stakeholders.contribution(session, clock, token)  # a second opening confirms nothing more
    saved = stakeholders.save_draft(session, clock, token, {"priority": "high", "notes": "We saw progress."})
    with pytest.raises(StaleVersion):
        stakeholders.save_draft(session, clock, token, {"notes": "x"}, expected_version=saved.version - 1)
    with pytest.raises(ValidationFailed) as missing:
        stakeholders.submit(session, clock, token, consent_to_publish=True)
    assert "has_plan" in missing.value.errors
    stakeholders.save_draft(session, clock, token, COMPLETE)
    done = stakeholders.submit(session, clock, token, consent_to_publish=True)
    assert done.status == "submitted" and done.consent_to_publish and not done.late
    counted = session.scalars(select(CallAnswer).where(CallAnswer.response_id == done.id)).all()
    assert {a.respondent_type for a in counted} == {"civil_society"} and {a.region for a in counted} != {None}
    with pytest.raises(Conflict):
        stakeholders.save_draft(session, clock, token, {"notes": "later"})
    actions = _actions(session)
    assert actions.count("call.stakeholder_confirmed") == 1
    assert "call.response_submitted" in actions and "call.response_saved" in actions
    for event in session.scalars(select(AuditEvent).where(AuditEvent.action.like("call.%"))):
        assert b"ana@example.org" not in event.body and b"Ana Civil" not in event.body


def test_bad_details_and_bad_links_are_refused_clearly(session, clock, call):
    with pytest.raises(ValidationFailed) as bad:
        _start(session, clock, name=" ", organisation="x" * 201, respondent_type="state", email="nope",
               country="XXX")
    assert set(bad.value.errors) == {"name", "organisation", "respondent_type", "email", "country"}
    for hostile in (None, 5, "", "x" * 500, ["a"], "not-a-token"):
        with pytest.raises(NotFound):
            stakeholders.contribution(session, clock, hostile)
    response, token = _start(session, clock, country="")
    assert response.state_code is None
    with pytest.raises(ValidationFailed):
        stakeholders.save_draft(session, clock, token, ["not", "a", "mapping"])
    with pytest.raises(ValidationFailed):
        stakeholders.submit(session, clock, token, consent_to_publish="yes")


def test_a_call_without_stakeholders_is_not_found(session, clock):
    make_call(session, clock)
    with pytest.raises(NotFound):
        _start(session, clock)


def test_late_rules_of_the_call_apply(session, clock, call):
    _response, token = _start(session, clock)
    stakeholders.save_draft(session, clock, token, COMPLETE)
    clock.advance(days=40)
    with pytest.raises(ValidationFailed) as late:
        stakeholders.submit(session, clock, token, consent_to_publish=True)
    assert "call" in late.value.errors
    with pytest.raises(Conflict):
        _start(session, clock, email="other@example.org")


def test_documents_are_checked_and_only_ones_own_may_be_named(session, clock, call, tmp_path):
    _r1, token = _start(session, clock)
    _r2, other = _start(session, clock, email="b@example.org")
    document = stakeholders.upload_document(session, clock, token, "paper", filename="sub.pdf",
                                            stream=io.BytesIO(PDF), directory=tmp_path, max_bytes=10_000)
    assert document.content_type == "application/pdf" and (tmp_path / document.stored_name).exists()
    with pytest.raises(UnsupportedType):
        stakeholders.upload_document(session, clock, token, "paper", filename="a.pdf",
                                     stream=io.BytesIO(b"MZ not a pdf"), directory=tmp_path, max_bytes=10_000)
    with pytest.raises(ValidationFailed):
        stakeholders.upload_document(session, clock, token, "notes", filename="a.pdf",
                                     stream=io.BytesIO(PDF), directory=tmp_path, max_bytes=10_000)
    with pytest.raises(ValidationFailed) as stolen:
        stakeholders.save_draft(session, clock, other, {"paper": document.id})
    assert "paper" in stolen.value.errors
    stakeholders.save_draft(session, clock, token, {"paper": document.id})


def test_the_public_record_shows_only_consented_submissions_long_texts_and_documents(
        session, clock, call, make, tmp_path):
    _shown, token = _start(session, clock)
    document = stakeholders.upload_document(session, clock, token, "paper", filename="sub.pdf",
                                            stream=io.BytesIO(PDF), directory=tmp_path, max_bytes=10_000)
    stakeholders.save_draft(session, clock, token, {**COMPLETE, "paper": document.id,
                                                    "notes": "Published words."})
    stakeholders.submit(session, clock, token, consent_to_publish=True)
    _hidden, hidden_token = _start(session, clock, email="quiet@example.org", organisation="Quiet NGO")
    stakeholders.save_draft(session, clock, hidden_token, {**COMPLETE, "notes": "Secret words."})
    stakeholders.submit(session, clock, hidden_token, consent_to_publish=False)
    _draft, draft_token = _start(session, clock, email="draft@example.org", organisation="Draft NGO")
    stakeholders.save_draft(session, clock, draft_token, {**COMPLETE, "notes": "Draft words."})
    focal = make.focal("KEN")
    responses.save_draft(session, focal, clock, "test-needs", {**COMPLETE, "notes": "Kenya's words."})
    responses.submit(session, focal, clock, "test-needs", consent_to_publish=True)
    questionnaire = make_call(session, clock, key="test-other")
    assert questionnaire.kind == "questionnaire"

    listed = public_submissions.published_calls(session, clock())
    assert [c.key for c, _d in listed] == ["test-needs"]
    call_row, definition = public_submissions.published_call(session, "test-needs", clock())
    with pytest.raises(NotFound):
        public_submissions.published_call(session, "test-other", clock())
    page = public_submissions.published_submissions(session, call_row, definition)
    assert page.total == 2 and {i["organisation"] for i in page.items} == {"Rights Watch Fiji", "Kenya"}
    text = str(page.items)
    for secret in ("Secret words", "Draft words", "ana@example.org", "Ana Civil", "Quiet NGO", "high",
                   "health"):
        assert secret not in text
    mine = next(i for i in page.items if i["organisation"] == "Rights Watch Fiji")
    assert mine["state_name"] == "Fiji" and mine["texts"][0]["text"] == "Published words."
    assert [d["filename"] for d in mine["documents"]] == ["sub.pdf"]
    found = public_submissions.published_document(session, "test-needs", document.id, clock())
    assert found.id == document.id
    with pytest.raises(NotFound):
        public_submissions.published_document(session, "test-needs", document.id + 1000, clock())
    counts = public_submissions.submission_counts(session, [call_row.id])
    assert counts == {call_row.id: 2}
    draft = session.scalar(select(CallResponse).where(CallResponse.organisation == "Draft NGO"))
    assert draft.status == "draft"
