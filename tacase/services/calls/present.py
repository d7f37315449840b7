"""A call and a response as the State side reads them, in the reader's language (JSON-able)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tacase.db.models import Call, CallResponse
from tacase.engine.calls import CallDefinition, Localised, Question
from tacase.services.actors import Actor
from tacase.services.calls import access, registry


def _text(value: Localised | None, language: str) -> str | None:
    return value.text(language) if value is not None else None


def question_json(q: Question, language: str) -> dict[str, Any]:
    return {
        "key": q.key, "type": q.type, "label": q.label.text(language), "required": q.required,
        "help": _text(q.help, language), "section": _text(q.section, language),
        "when": {"question": q.when.question, "values": list(q.when.values)} if q.when else None,
        "options": [{"value": o.value, "label": o.label.text(language)} for o in q.options],
        "min": None if q.minimum is None else str(q.minimum),
        "max": None if q.maximum is None else str(q.maximum),
        "unit": _text(q.unit, language), "min_label": _text(q.min_label, language),
        "max_label": _text(q.max_label, language), "max_length": q.max_length, "max_choices": q.max_choices,
        "columns": [{"key": c.key, "type": c.type, "label": c.label.text(language),
                     "options": [{"value": o.value, "label": o.label.text(language)} for o in c.options]}
                    for c in q.columns],
        "max_rows": q.max_rows,
    }


def call_summary(call: Call, definition: CallDefinition, language: str, now: dt.datetime) -> dict[str, Any]:
    return {
        "key": call.key, "kind": call.kind, "version": call.version, "title": definition.title.text(language),
        "opens_on": call.opens_on, "closes_on": call.closes_on, "closes_at": call.closes_at,
        "closed": now > call.closes_at, "late_responses": definition.late_responses,
        "submitted_by": definition.submitted_by,
    }


def call_detail(call: Call, definition: CallDefinition, language: str, now: dt.datetime) -> dict[str, Any]:
    return {**call_summary(call, definition, language, now),
            "introduction": definition.introduction.text(language),
            "report": _text(definition.report, language),
            "questions": [question_json(q, language) for q in definition.questions]}


def response_json(response: CallResponse) -> dict[str, Any]:
    return {
        "id": response.id, "state": response.state_code, "respondent_kind": response.respondent_kind,
        "respondent_type": response.respondent_type, "organisation": response.organisation,
        "status": response.status, "answers": response.answers, "late": response.late,
        "consent_to_publish": response.consent_to_publish, "submitted_at": response.submitted_at,
        "call_version": response.call_version, "version": response.version, "updated_at": response.updated_at,
    }


def visible_calls(session: Session, actor: Actor, now: dt.datetime) -> list[Call]:
    """The calls the actor may open: a State's open ones, an invitee's own, every call for the office."""
    if access.can_read_results(actor):
        return registry.list_calls(session)
    if access.is_focal_point(actor):
        return registry.open_calls_for_state(session, actor.state_code or "", now)
    calls = []
    for invitation in access.invitations_of_user(session, actor):
        call = session.get(Call, invitation.call_id)
        if call is not None and call.opens_on <= now.date():
            calls.append(call)
    return calls
