"""A call with a question of every type, and submitted responses written straight into the tables
(the response, its counted `call_answers` rows and its `call_answered` marks), for the results,
follow-up and export tests."""

from __future__ import annotations

import copy
import datetime as dt
import secrets
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from tacase.db.models import Call, CallAnswer, CallAnswered, CallDocument, CallParticipant, CallResponse
from tacase.engine import calls as call_defs
from tacase.engine.call_answers import is_blank
from tacase.reference import requesting_state
from tacase.services.calls import registry

KEY = "needs-results"


def t(text: str) -> dict[str, str]:
    return {"en": text, "fr": f"{text} (fr)", "es": f"{text} (es)"}


def options(*values: str) -> list[dict[str, Any]]:
    return [{"value": v, "label": t(v.replace("_", " ").capitalize())} for v in values]


RAW: dict[str, Any] = {
    "key": KEY, "version": 1, "kind": "questionnaire", "title": t("Needs questionnaire"),
    "introduction": t("Tell us what you need."), "audience": ["FJI", "KEN", "PER", "FRA"],
    "opens_on": "2026-02-02", "closes_on": "2026-03-31", "late_responses": "accept",
    "submitted_by": "focal_point", "stakeholders": False, "reminders": [14, 7, 2],
    "publish_submissions": False,
    "questions": [
        {"key": "has_plan", "type": "yes_no", "label": t("Has a plan"), "required": True,
         "section": t("Planning")},
        {"key": "sector", "type": "choice", "label": t("Main sector"),
         "options": options("health", "education", "labour")},
        {"key": "areas", "type": "choices", "label": t("Areas"),
         "options": options("water", "housing", "food")},
        {"key": "budget", "type": "number", "label": t("Budget"), "unit": t("USD"), "min": 0},
        {"key": "urgency", "type": "scale", "label": t("Urgency"), "min": 1, "max": 5,
         "min_label": t("Low"), "max_label": t("High")},
        {"key": "plan_date", "type": "date", "label": t("Plan adopted on"),
         "when": {"question": "has_plan", "equals": True}},
        {"key": "summary", "type": "text", "label": t("Summary")},
        {"key": "details", "type": "long_text", "label": t("Details")},
        {"key": "staff", "type": "table", "label": t("Staff"),
         "columns": [{"key": "ministry", "type": "text", "label": t("Ministry")},
                     {"key": "people", "type": "number", "label": t("People")}]},
        {"key": "report", "type": "document", "label": t("Report")},
    ],
}


def definition(raw: dict[str, Any] | None = None) -> call_defs.CallDefinition:
    return call_defs.parse(copy.deepcopy(raw or RAW), source="test")


def make_call(session: Session, now: dt.datetime, raw: dict[str, Any] | None = None) -> Call:
    defn = definition(raw)
    registry.sync_calls(session, {defn.key: defn}, now, "Europe/Zurich")
    return registry.get_call(session, defn.key)


def counted_rows(defn: call_defs.CallDefinition, answers: dict[str, Any]) -> list[tuple[str, str | None,
                                                                                         Decimal | None]]:
    """(question, choice, number) of what `call_answers` holds for these answers."""
    rows: list[tuple[str, str | None, Decimal | None]] = []
    for key, value in answers.items():
        q = defn.question(key)
        if q is None:
            continue
        if q.type == "choice":
            rows.append((key, value, None))
        elif q.type == "choices":
            rows += [(key, v, None) for v in value]
        elif q.type == "yes_no":
            rows.append((key, "yes" if value else "no", None))
        elif q.type == "number":
            rows.append((key, None, Decimal(str(value))))
        elif q.type == "scale":  # a point is counted as an option and as a number
            rows.append((key, str(value), Decimal(int(value))))
    return rows


def answered_questions(defn: call_defs.CallDefinition, answers: dict[str, Any]) -> list[str]:
    """The questions `call_answered` marks as answered for these answers."""
    return [key for key, value in answers.items() if defn.question(key) is not None and not is_blank(value)]


def submit(session: Session, call: Call, now: dt.datetime, answers: dict[str, Any], *,
           state: str | None = "FJI", respondent_type: str = "state", organisation: str = "",
           late: bool = False, status: str = "submitted") -> CallResponse:
    defn = registry.definition_of(session, call)
    kind = "state" if respondent_type == "state" else (
        "stakeholder" if respondent_type in ("nhri", "civil_society", "academia", "other") else "ministry")
    response = CallResponse(
        call_id=call.id, call_version=call.version, state_code=state, respondent_kind=kind,
        respondent_type=respondent_type, organisation=organisation or (state or "Stakeholder"),
        status=status, answers=answers, late=late, submitted_at=now if status == "submitted" else None,
        created_at=now, updated_at=now, reopened_count=0, consent_to_publish=False)
    session.add(response)
    session.flush()
    if status == "submitted":
        reference = requesting_state(state) if state else None
        for question, choice, number in counted_rows(defn, answers):
            session.add(CallAnswer(response_id=response.id, call_id=call.id, question=question, choice=choice,
                                   number=number, region=reference.region if reference else None,
                                   respondent_type=respondent_type))
        for question in answered_questions(defn, answers):
            session.add(CallAnswered(response_id=response.id, call_id=call.id, question=question,
                                     submitted_at=now, region=reference.region if reference else None,
                                     respondent_type=respondent_type))
        if state is not None:
            participant = session.get(CallParticipant, (call.id, state))
            if participant is not None:
                participant.submitted_at = participant.submitted_at or now
                participant.opened_at = participant.opened_at or now
                participant.first_draft_at = participant.first_draft_at or now
    session.flush()
    return response


def attach_document(session: Session, call: Call, response: CallResponse, now: dt.datetime,
                    name: str = "report.pdf") -> CallDocument:
    doc = CallDocument(call_id=call.id, response_id=response.id, question="report", filename=name,
                       content_type="application/pdf", size=1234, sha256="0" * 64,
                       stored_name=secrets.token_hex(24), created_at=now)
    session.add(doc)
    session.flush()
    return doc


FULL = {"has_plan": True, "sector": "health", "areas": ["water", "food"], "budget": "1500.5", "urgency": 4,
        "plan_date": "2025-06-01", "summary": "We need nurses.", "details": "Long\ntext",
        "staff": [{"ministry": "Health", "people": "12"}]}
