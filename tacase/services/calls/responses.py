"""A State's answers to a call: the focal point's response for the State, each invited body's own,
saved as drafts while typed, checked in full when submitted, and counted once submitted."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from tacase.db.models import (
    Call,
    CallAnswer,
    CallAnswered,
    CallDocument,
    CallInvitation,
    CallParticipant,
    CallResponse,
    CallResponseVersion,
)
from tacase.engine.call_answers import asked, clean_answers, is_blank
from tacase.engine.calls import CallDefinition
from tacase.reference import all_states
from tacase.services import audit_log
from tacase.services.actors import Actor
from tacase.services.calls import access, registry
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, Forbidden, NotFound, StaleVersion, ValidationFailed

Gettext = Callable[[str], str]
MAX_REASON = 1000
STATE_SIDE_KINDS = ("state", "ministry")


def _plain(text: str) -> str:
    return text


def N_(message: str) -> str:  # babel extracts N_; translated by the caller's gettext
    return message


# --- whose response -------------------------------------------------------------------------------

def _state_side(session: Session, actor: Actor, call_key: str) -> tuple[Call, str, CallInvitation | None]:
    call = registry.get_call(session, call_key)
    state = access.require_state_side(session, actor, call)
    invitation = None if access.is_focal_point(actor) else access.invitation_of(session, actor, call)
    return call, state, invitation


def _require_open(call: Call, now: dt.datetime) -> None:
    if now.date() < call.opens_on:
        raise Conflict(f"this call opens on {call.opens_on.isoformat()}; it cannot be answered yet")


def _own_response(session: Session, call: Call, state: str,
                  invitation: CallInvitation | None) -> CallResponse | None:
    query = select(CallResponse).where(CallResponse.call_id == call.id, CallResponse.state_code == state)
    if invitation is not None:
        query = query.where(CallResponse.invitation_id == invitation.id)
    else:
        query = query.where(CallResponse.respondent_kind == "state", CallResponse.invitation_id.is_(None))
    return session.scalars(query.order_by(CallResponse.id).limit(1)).first()


def state_name(code: str, language: str = "en") -> str:
    state = all_states().get(code)
    return state.name(language) if state is not None else code


def my_response(session: Session, actor: Actor, clock: Clock, call_key: str) -> CallResponse:
    """The actor's response to the call, a new draft the first time: the State's own for a focal
    point, its body's for an invitee. Opening it is what the office's follow-up counts as opened."""
    call, state, invitation = _state_side(session, actor, call_key)
    now = clock()
    _require_open(call, now)
    response = _own_response(session, call, state, invitation)
    if response is None:
        if invitation is not None:
            kind, rtype, organisation = "ministry", invitation.respondent_type, invitation.ministry
        else:
            kind, rtype, organisation = "state", "state", state_name(state)
        response = CallResponse(
            call_id=call.id, call_version=call.version, state_code=state, respondent_kind=kind,
            respondent_type=rtype, organisation=organisation[:200],
            invitation_id=invitation.id if invitation is not None else None, author_id=actor.id,
            status="draft", answers={}, consent_to_publish=False, late=False, reopened_count=0,
            created_at=now, updated_at=now)
        session.add(response)
    participant = session.get(CallParticipant, (call.id, state))
    if participant is not None and participant.opened_at is None:
        participant.opened_at = now
    if invitation is not None and invitation.opened_at is None:
        invitation.opened_at = now
    session.flush()
    return response


def state_responses(session: Session, actor: Actor, call_key: str) -> list[CallResponse]:
    """What the focal point sees: every response of its State (an invitee: its own)."""
    call, state, invitation = _state_side(session, actor, call_key)
    query = select(CallResponse).where(CallResponse.call_id == call.id, CallResponse.state_code == state,
                                       CallResponse.respondent_kind.in_(STATE_SIDE_KINDS))
    if invitation is not None:
        query = query.where(CallResponse.invitation_id == invitation.id)
    return list(session.scalars(query.order_by(CallResponse.id)))


def _response_of_state(session: Session, call: Call, state: str, invitation: CallInvitation | None,
                       response_id: Any) -> CallResponse:
    if isinstance(response_id, bool) or not isinstance(response_id, int):
        raise NotFound("there is no such response")
    response = session.get(CallResponse, response_id)
    if (response is None or response.call_id != call.id or response.state_code != state
            or response.respondent_kind not in STATE_SIDE_KINDS
            or (invitation is not None and response.invitation_id != invitation.id)):
        raise NotFound("there is no such response")
    return response


# --- saving ---------------------------------------------------------------------------------------

def _check_documents(session: Session, call: Call, response: CallResponse, actor: Actor,
                     definition: CallDefinition, answers: dict[str, Any], gettext: Gettext,
                     errors: dict[str, list[str]]) -> list[CallDocument]:
    """The uploaded files the answers name: this call's, for that question, not someone else's."""
    found = []
    for q in definition.questions:
        if q.type != "document" or q.key not in answers:
            continue
        document = session.get(CallDocument, answers[q.key])
        mine = document is not None and document.call_id == call.id and document.question == q.key and (
            document.response_id == response.id
            or (document.response_id is None and document.uploaded_by_id == actor.id))
        if not mine:
            errors[q.key] = [gettext(N_("Upload the document again."))]
        else:
            found.append(document)
    return found


def _cleaned(session: Session, call: Call, response: CallResponse, actor: Actor, definition: CallDefinition,
             raw: dict[str, Any], *, complete: bool, language: str, gettext: Gettext) -> dict[str, Any]:
    cleaned, errors = clean_answers(definition, raw, complete=complete, language=language, gettext=gettext)
    documents = _check_documents(session, call, response, actor, definition, cleaned, gettext, errors)
    if errors:
        raise ValidationFailed(errors, "some answers are not valid")
    for document in documents:
        document.response_id = response.id
    return cleaned


def _check_version(response: CallResponse, expected_version: Any) -> None:
    if expected_version is not None and expected_version != response.version:
        raise StaleVersion("the response was changed since you read it (in another window perhaps); "
                           "read it again, then save", current_version=response.version,
                           current_status=response.status)


def save_draft(session: Session, actor: Actor, clock: Clock, call_key: str, answers: Any, *,
               expected_version: int | None = None, response_id: int | None = None, language: str = "en",
               gettext: Gettext = _plain) -> CallResponse:
    """Merge the given answers into the draft (a blank answer clears one). Only what is given is
    checked: a draft may be incomplete. `expected_version` refuses to overwrite a newer save."""
    if not isinstance(answers, dict):
        raise ValidationFailed({"answers": [gettext(N_(
            "The answers must be sent as a mapping of questions to answers."))]})
    if response_id is None:
        response = my_response(session, actor, clock, call_key)
        call = session.get(Call, response.call_id)
        assert call is not None
    else:
        call, state, invitation = _state_side(session, actor, call_key)
        response = _response_of_state(session, call, state, invitation, response_id)
    _check_version(response, expected_version)
    if response.status != "draft":
        raise Conflict("this response was submitted already; the office can reopen it on request",
                       current_version=response.version, current_status=response.status)
    now = clock()
    _require_open(call, now)
    definition = registry.definition_of(session, call)
    first_save = response.version == 1 and not response.answers
    response.answers = _cleaned(session, call, response, actor, definition, {**response.answers, **answers},
                                complete=False, language=language, gettext=gettext)
    response.call_version = call.version
    response.updated_at = now
    participant = session.get(CallParticipant, (call.id, response.state_code))
    if participant is not None and participant.first_draft_at is None:
        participant.first_draft_at = now
    session.flush()
    if first_save:
        audit_log.record(session, actor, now, "call.response_saved", data={
            "call": call.key, "state": response.state_code, "response": response.id})
    return response


# --- submitting -----------------------------------------------------------------------------------

def region_of(state_code: str | None) -> str | None:
    state = all_states().get(state_code or "")
    return state.region if state is not None else None


def _counted(question_type: str, value: Any) -> list[tuple[str | None, Decimal | None]]:
    if question_type == "choice":
        return [(str(value), None)]
    if question_type == "choices":
        return [(str(v), None) for v in value]
    if question_type == "yes_no":
        return [("yes" if value else "no", None)]
    if question_type == "number":
        return [(None, Decimal(str(value)))]
    if question_type == "scale":
        # Both: the points are counted like options, and the mean is a plain AVG.
        return [(str(value), Decimal(int(value)))]
    return []


def write_counted_answers(session: Session, response: CallResponse, definition: CallDefinition,
                          region: str | None) -> int:
    """One call_answers row per counted value of a submitted response (a choice made, a yes or no,
    a number, a scale's point), and one call_answered row per question it answered, of any type: the
    results are grouped counts over these rows. Returns the number of counted values."""
    rows, marks = [], []
    for q in asked(definition, response.answers):
        if q.key not in response.answers:
            continue
        value = response.answers[q.key]
        if not is_blank(value):
            marks.append({"response_id": response.id, "question": q.key, "call_id": response.call_id,
                          "submitted_at": response.submitted_at, "region": region,
                          "respondent_type": response.respondent_type})
        for choice, number in _counted(q.type, value):
            rows.append({"response_id": response.id, "call_id": response.call_id, "question": q.key,
                         "choice": choice, "number": number, "region": region,
                         "respondent_type": response.respondent_type})
    if rows:
        session.execute(CallAnswer.__table__.insert(), rows)
    if marks:
        session.execute(CallAnswered.__table__.insert(), marks)
    return len(rows)


def remove_counted_answers(session: Session, response: CallResponse) -> None:
    """A reopened response is no longer counted: its counted values and answered marks go."""
    session.execute(delete(CallAnswer).where(CallAnswer.response_id == response.id))
    session.execute(delete(CallAnswered).where(CallAnswered.response_id == response.id))


def _may_submit(definition: CallDefinition, invitation: CallInvitation | None) -> None:
    if invitation is None:
        return  # the focal point submits any response of its State, on its behalf
    if definition.submitted_by == "focal_point":
        raise Forbidden("for this call, your State's focal point submits the responses: your draft is "
                        "saved, and the focal point sees it and can submit it")


def submit(session: Session, actor: Actor, clock: Clock, call_key: str, *, response_id: int | None = None,
           consent_to_publish: Any = False, expected_version: int | None = None, language: str = "en",
           gettext: Gettext = _plain) -> CallResponse:
    """Check every answer against the call, then submit: late when after the closing, refused then if
    the call accepts no late responses. The counted values are written for the results."""
    if not isinstance(consent_to_publish, bool):
        raise ValidationFailed({"consent_to_publish": [gettext(N_("Choose yes or no."))]})
    if response_id is None:
        response = my_response(session, actor, clock, call_key)
        call = session.get(Call, response.call_id)
        assert call is not None
        invitation = access.invitation_of(session, actor, call) if not access.is_focal_point(actor) else None
    else:
        call, state, invitation = _state_side(session, actor, call_key)
        response = _response_of_state(session, call, state, invitation, response_id)
    _check_version(response, expected_version)
    definition = registry.definition_of(session, call)
    _may_submit(definition, invitation)
    if response.status == "submitted":
        raise Conflict("this response was submitted already", current_version=response.version,
                       current_status=response.status)
    now = clock()
    _require_open(call, now)
    late = now > call.closes_at
    if late and definition.late_responses == "refuse":
        raise ValidationFailed({"call": [gettext(N_(
            "The closing date of this call has passed and it accepts no late responses."))]},
            "the call has closed")
    response.answers = _cleaned(session, call, response, actor, definition, dict(response.answers),
                                complete=True, language=language, gettext=gettext)
    response.call_version = call.version
    response.status, response.submitted_at, response.submitted_by_id = "submitted", now, actor.id
    response.late = late
    response.consent_to_publish = consent_to_publish
    response.updated_at = now
    participant = session.get(CallParticipant, (call.id, response.state_code))
    if participant is not None and participant.submitted_at is None:
        participant.submitted_at = now
    session.flush()
    write_counted_answers(session, response, definition, region_of(response.state_code))
    audit_log.record(session, actor, now, "call.response_submitted", data={
        "call": call.key, "state": response.state_code, "response": response.id, "late": late,
        "organisation": response.organisation})
    return response


# --- reopening (the office) -------------------------------------------------------------------------

def reopen(session: Session, actor: Actor, clock: Clock, response_id: Any, *, reason: Any) -> CallResponse:
    """Back to a draft at the respondent's request; the submitted version is kept and no longer counted."""
    access.require_office(actor)
    response = session.get(CallResponse, response_id) if isinstance(response_id, int) else None
    if response is None:
        raise NotFound("there is no such response")
    text = reason.strip() if isinstance(reason, str) else ""
    if not text:
        raise ValidationFailed({"reason": ["Say why the response is reopened (the respondent's request)."]})
    if len(text) > MAX_REASON:
        raise ValidationFailed({"reason": [f"Enter at most {MAX_REASON} characters."]})
    if response.status != "submitted" or response.submitted_at is None:
        raise Conflict("only a submitted response can be reopened", current_version=response.version,
                       current_status=response.status)
    now = clock()
    number = (session.scalar(select(func.max(CallResponseVersion.number))
                             .where(CallResponseVersion.response_id == response.id)) or 0) + 1
    session.add(CallResponseVersion(
        response_id=response.id, number=number, answers=dict(response.answers),
        submitted_at=response.submitted_at, submitted_by_id=response.submitted_by_id, late=response.late,
        reopened_at=now, reopened_by_id=actor.id, reason=text))
    remove_counted_answers(session, response)
    response.status, response.submitted_at, response.submitted_by_id = "draft", None, None
    response.late = False
    response.reopened_count += 1
    response.updated_at = now
    session.flush()
    if response.state_code is not None:
        _recount_participant(session, response.call_id, response.state_code)
    call = session.get(Call, response.call_id)
    audit_log.record(session, actor, now, "call.response_reopened", data={
        "call": call.key if call else None, "state": response.state_code, "response": response.id,
        "version": number, "reason": text})
    return response


def _recount_participant(session: Session, call_id: int, state: str) -> None:
    participant = session.get(CallParticipant, (call_id, state))
    if participant is None:
        return
    participant.submitted_at = session.scalar(
        select(func.min(CallResponse.submitted_at)).where(
            CallResponse.call_id == call_id, CallResponse.state_code == state,
            CallResponse.status == "submitted", CallResponse.respondent_kind.in_(STATE_SIDE_KINDS)))
    session.flush()


def kept_versions(session: Session, response_id: int) -> list[CallResponseVersion]:
    return list(session.scalars(select(CallResponseVersion)
                                .where(CallResponseVersion.response_id == response_id)
                                .order_by(CallResponseVersion.number)))
