"""The State side of a call: invitations, drafts, submission, counted answers, reopening."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from sqlalchemy import select

from tacase.db.models import (
    AuditEvent,
    CallAnswer,
    CallInvitation,
    CallParticipant,
    CallResponse,
    OutboxMessage,
    User,
)
from tacase.services import audit_log
from tacase.services.actors import Actor
from tacase.services.calls import invitations, responses, uploads
from tacase.services.errors import (
    Conflict,
    Forbidden,
    NotFound,
    StaleVersion,
    TooLarge,
    UnsupportedType,
    ValidationFailed,
)
from tests.integration.call_fixtures import COMPLETE, make_call

BASE = "https://tacase.example.org"
PASSWORD = "correct horse battery staple"


@pytest.fixture
def call(session, clock):
    return make_call(session, clock)


def _invite(session, clock, focal, email="health@gov.fj", **kw):
    return invitations.invite(session, focal, clock, "test-needs", email=email, ministry="Ministry of Health",
                              respondent_type=kw.get("respondent_type", "ministry"), base_url=BASE)


def _invitee(session, clock, focal, email="health@gov.fj"):
    _invitation, link = _invite(session, clock, focal, email)
    user, _ = invitations.accept(session, clock, link.rsplit("/", 1)[1], display_name="Ana Health",
                                 password=PASSWORD)
    return Actor.for_user(user)


def _actions(session):
    audit_log.seal(session)
    return [e.action for e in session.scalars(select(AuditEvent).order_by(AuditEvent.seq))]


def test_invitation_mails_a_single_use_link_that_opens_a_limited_account(session, clock, make, call):
    focal = make.focal("FJI")
    invitation, link = _invite(session, clock, focal, email=" Health@Gov.FJ ")
    assert invitation.email == "health@gov.fj" and invitation.state_code == "FJI"
    token = link.rsplit("/", 1)[1]
    assert invitation.token_hash == invitations.token_hash(token) and token not in invitation.token_hash
    assert invitation.expires_at > call.closes_at
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "call_invitation")).one()
    assert mail.to_address == "health@gov.fj" and link in mail.body_text and link in mail.body_html
    assert "Fiji" in mail.body_text and "Needs on economic rights" in mail.subject + mail.body_text
    assert "31 March 2026" in mail.body_text
    user, accepted = invitations.accept(session, clock, token, display_name=" Ana ", password=PASSWORD)
    assert user.roles == frozenset() and user.state_code == "FJI" and accepted.user_id == user.id
    with pytest.raises(Conflict, match="used already"):
        invitations.accept(session, clock, token, display_name="Again", password=PASSWORD)
    with pytest.raises(NotFound):
        invitations.accept(session, clock, "nonsense", display_name="X", password=PASSWORD)
    assert {"call.invitation_sent", "call.invitation_accepted"} <= set(_actions(session))


def test_invitation_refusals(session, clock, make, call):
    focal = make.focal("FJI")
    with pytest.raises(ValidationFailed) as exc:
        invitations.invite(session, focal, clock, "test-needs", email="not-an-address", ministry=" ",
                           respondent_type="nhri", base_url=BASE)
    assert set(exc.value.errors) == {"email", "ministry", "respondent_type"}
    invitation, link = _invite(session, clock, focal)
    with pytest.raises(ValidationFailed, match="invited"):
        _invite(session, clock, focal)
    invitations.revoke(session, focal, clock, "test-needs", invitation.id)
    with pytest.raises(Conflict, match="withdrawn"):
        invitations.accept(session, clock, link.rsplit("/", 1)[1], display_name="A", password=PASSWORD)
    _other, link2 = _invite(session, clock, focal, email="labour@gov.fj")
    clock.advance(days=70)
    with pytest.raises(Conflict, match="expired"):
        invitations.accept(session, clock, link2.rsplit("/", 1)[1], display_name="A", password=PASSWORD)
    # Another State's focal point, the office and a State outside the audience cannot invite.
    with pytest.raises(NotFound):
        invitations.list_invitations(session, make.focal("FRA"), "test-needs")
    with pytest.raises(Forbidden):
        _invite(session, clock, make.user("reviewer"))
    assert len(invitations.list_invitations(session, make.focal("KEN"), "test-needs")) == 0


def test_existing_account_is_asked_to_sign_in(session, clock, make, call):
    focal = make.focal("FJI")
    invitee = _invitee(session, clock, focal)
    make_call(session, clock, key="test-second")
    _inv, link = invitations.invite(session, focal, clock, "test-second", email="health@gov.fj",
                                    ministry="Ministry of Health", respondent_type="ministry", base_url=BASE)
    token = link.rsplit("/", 1)[1]
    with pytest.raises(Conflict, match="Sign in"):
        invitations.accept(session, clock, token, display_name="A", password=PASSWORD)
    with pytest.raises(Forbidden):
        invitations.accept_signed_in(session, focal, clock, token)
    assert invitations.accept_signed_in(session, invitee, clock, token).user_id == invitee.id


def test_focal_point_drafts_and_submits_with_counted_answers(session, clock, make, call):
    focal = make.focal("FJI")
    response = responses.my_response(session, focal, clock, "test-needs")
    assert response.status == "draft" and response.respondent_kind == "state"
    assert response.organisation == "Fiji"
    participant = session.get(CallParticipant, (call.id, "FJI"))
    assert participant.opened_at is not None and participant.first_draft_at is None
    saved = responses.save_draft(session, focal, clock, "test-needs",
                                 {"has_plan": "yes", "plan_year": "2020"}, expected_version=response.version)
    assert saved.answers == {"has_plan": True, "plan_year": "2020"} and participant.first_draft_at
    with pytest.raises(StaleVersion):
        responses.save_draft(session, focal, clock, "test-needs", {"notes": "x"}, expected_version=1)
    # A condition no longer met drops its answer.
    saved = responses.save_draft(session, focal, clock, "test-needs", {"has_plan": False})
    assert saved.answers == {"has_plan": False}
    with pytest.raises(ValidationFailed) as exc:
        responses.save_draft(session, focal, clock, "test-needs", {"score": 9, "nope": 1, "priority": "x"})
    assert set(exc.value.errors) == {"score", "nope", "priority"}
    with pytest.raises(ValidationFailed) as exc:
        responses.submit(session, focal, clock, "test-needs")
    assert set(exc.value.errors) == {"priority"}
    responses.save_draft(session, focal, clock, "test-needs", COMPLETE)
    submitted = responses.submit(session, focal, clock, "test-needs", consent_to_publish=True)
    assert submitted.status == "submitted" and not submitted.late and submitted.consent_to_publish
    assert participant.submitted_at == clock()
    rows = {(a.question, a.choice, a.number, a.region, a.respondent_type)
            for a in session.scalars(select(CallAnswer).where(CallAnswer.response_id == submitted.id))}
    assert {(q, c, n) for q, c, n, *_ in rows} == {
        ("has_plan", "yes", None), ("plan_year", None, 2020), ("sectors", "health", None),
        ("sectors", "labour", None), ("priority", "high", None), ("score", "4", 4)}
    assert {r[3:] for r in rows} == {("Oceania", "state")}
    with pytest.raises(Conflict):
        responses.save_draft(session, focal, clock, "test-needs", {"notes": "later"})
    actions = _actions(session)
    assert actions.count("call.response_saved") == 1 and "call.response_submitted" in actions


def test_invitee_drafts_its_own_and_the_focal_point_submits_it(session, clock, make, call):
    focal = make.focal("FJI")
    invitee = _invitee(session, clock, focal)
    mine = responses.save_draft(session, invitee, clock, "test-needs", COMPLETE)
    assert mine.respondent_kind == "ministry" and mine.organisation == "Ministry of Health"
    assert session.scalar(select(CallInvitation)).opened_at is not None
    with pytest.raises(Forbidden, match="focal point submits"):
        responses.submit(session, invitee, clock, "test-needs")
    assert [r.id for r in responses.state_responses(session, focal, "test-needs")] == [mine.id]
    assert [r.id for r in responses.state_responses(session, invitee, "test-needs")] == [mine.id]
    # The focal point's own response is apart from the ministry's.
    own = responses.my_response(session, focal, clock, "test-needs")
    assert own.id != mine.id
    with pytest.raises(NotFound):
        responses.submit(session, invitee, clock, "test-needs", response_id=own.id)
    clock.now = dt.datetime(2026, 4, 2, 9, 0, tzinfo=dt.UTC)
    done = responses.submit(session, focal, clock, "test-needs", response_id=mine.id)
    assert done.late and done.submitted_by_id == focal.id


def test_each_body_submits_its_own_and_late_refused(session, clock, make):
    make_call(session, clock, submitted_by="each", late_responses="refuse")
    focal = make.focal("KEN")
    invitee = _invitee(session, clock, focal, email="labour@gov.ke")
    responses.save_draft(session, invitee, clock, "test-needs", COMPLETE)
    assert responses.submit(session, invitee, clock, "test-needs").status == "submitted"
    responses.save_draft(session, focal, clock, "test-needs", COMPLETE)
    clock.now = dt.datetime(2026, 4, 1, 0, 0, tzinfo=dt.UTC)
    with pytest.raises(ValidationFailed, match="closing date"):
        responses.submit(session, focal, clock, "test-needs")


def test_outsiders_cannot_reach_a_states_response(session, clock, make, call):
    focal = make.focal("FJI")
    own = responses.my_response(session, focal, clock, "test-needs")
    with pytest.raises(NotFound):
        responses.my_response(session, make.focal("FRA"), clock, "test-needs")
    with pytest.raises(NotFound):
        responses.submit(session, make.focal("KEN"), clock, "test-needs", response_id=own.id)
    with pytest.raises(Forbidden):
        responses.my_response(session, make.user("reviewer"), clock, "test-needs")
    # An invitee of another call has nothing in this one.
    make_call(session, clock, key="test-other")
    _inv, link = invitations.invite(session, focal, clock, "test-other", email="x@gov.fj", ministry="M",
                                    respondent_type="ministry", base_url=BASE)
    user, _ = invitations.accept(session, clock, link.rsplit("/", 1)[1], display_name="X", password=PASSWORD)
    with pytest.raises(NotFound):
        responses.my_response(session, Actor.for_user(user), clock, "test-needs")
    with pytest.raises(NotFound):
        responses.my_response(session, focal, clock, "no-such-call")


def test_office_reopens_keeping_the_submitted_version(session, clock, make, call):
    focal = make.focal("FJI")
    responses.save_draft(session, focal, clock, "test-needs", COMPLETE)
    submitted = responses.submit(session, focal, clock, "test-needs")
    reviewer = make.user("reviewer")
    with pytest.raises(Forbidden):
        responses.reopen(session, focal, clock, submitted.id, reason="please")
    with pytest.raises(ValidationFailed):
        responses.reopen(session, reviewer, clock, submitted.id, reason="  ")
    reopened = responses.reopen(session, reviewer, clock, submitted.id, reason="The ministry asked")
    assert reopened.status == "draft" and reopened.reopened_count == 1
    assert not session.scalars(select(CallAnswer).where(CallAnswer.response_id == submitted.id)).all()
    [kept] = responses.kept_versions(session, submitted.id)
    assert kept.answers == reopened.answers and kept.reason == "The ministry asked"
    assert session.get(CallParticipant, (call.id, "FJI")).submitted_at is None
    with pytest.raises(Conflict):
        responses.reopen(session, reviewer, clock, submitted.id, reason="again")
    assert "call.response_reopened" in _actions(session)
    assert session.scalar(select(User).where(User.id == focal.id)) is not None
    assert session.scalar(select(CallResponse).where(CallResponse.id == submitted.id)).version > 1


PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def test_document_answers_are_checked_files_of_ones_own_response(session, clock, make, call, tmp_path):
    focal, other = make.focal("FJI"), make.focal("KEN")

    def upload(who, question="plan_file", content=PDF):
        return uploads.upload(session, who, clock, "test-needs", question, filename="../plan.html",
                              stream=io.BytesIO(content), directory=tmp_path, max_bytes=10_000)

    with pytest.raises(ValidationFailed):
        upload(focal, question="notes")
    with pytest.raises(UnsupportedType):
        upload(focal, content=b"<script>")
    with pytest.raises(TooLarge):
        upload(focal, content=PDF + b"x" * 20_000)
    document = upload(focal)
    assert document.filename == "plan.html.pdf" and (tmp_path / document.stored_name).exists()
    saved = responses.save_draft(session, focal, clock, "test-needs", {"plan_file": str(document.id)})
    assert saved.answers["plan_file"] == document.id
    with pytest.raises(ValidationFailed) as exc:
        responses.save_draft(session, other, clock, "test-needs", {"plan_file": document.id})
    assert set(exc.value.errors) == {"plan_file"}
    assert uploads.readable_document(session, focal, document.id) is document
    assert uploads.readable_document(session, make.user("board"), document.id) is document
    with pytest.raises(NotFound):
        uploads.readable_document(session, other, document.id)
    assert sorted(p.name for p in tmp_path.iterdir()) == [document.stored_name]
