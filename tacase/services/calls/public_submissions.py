"""What the public record shows of calls for submissions, decided here alone: the calls that publish
their submissions, and of each the submitted responses whose authors consented, with their long
texts and documents only. Never a draft, a contact's name or address, or a structured answer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tacase.db.models import Call, CallDocument, CallResponse
from tacase.engine.calls import CallDefinition
from tacase.reference import all_states
from tacase.services.calls import registry
from tacase.services.errors import NotFound

MAX_PER_PAGE = 100
MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    page: int
    per_page: int
    total: int

    @property
    def has_next(self) -> bool:
        return self.page * self.per_page < self.total


def _published(session: Session, call: Call, now: dt.datetime) -> CallDefinition | None:
    # A call for submissions is a public announcement: listed from the start, before it opens.
    definition = registry.definition_of(session, call)
    return definition if definition.publish_submissions else None


def published_calls(session: Session, now: dt.datetime) -> list[tuple[Call, CallDefinition]]:
    """The calls whose submissions are published, the newest first."""
    calls = session.scalars(select(Call).order_by(Call.opens_on.desc(), Call.id.desc()))
    found = []
    for call in calls:
        definition = _published(session, call, now)
        if definition is not None:
            found.append((call, definition))
    return found


def published_call(session: Session, key: Any, now: dt.datetime) -> tuple[Call, CallDefinition]:
    call = registry.get_call(session, key)
    definition = _published(session, call, now)
    if definition is None:
        raise NotFound("there is no such call")
    return call, definition


def _text(value: Any, language: str) -> str | None:
    return value.text(language) if value is not None else None


def call_json(call: Call, definition: CallDefinition, language: str, submissions: int) -> dict[str, Any]:
    return {"key": call.key, "title": definition.title.text(language),
            "introduction": definition.introduction.text(language),
            "report": _text(definition.report, language),
            "opens_on": call.opens_on, "closes_on": call.closes_on, "submissions": submissions}


def _consented():
    return (CallResponse.status == "submitted", CallResponse.consent_to_publish.is_(True))


def submission_counts(session: Session, call_ids: list[int]) -> dict[int, int]:
    if not call_ids:
        return {}
    rows = session.execute(select(CallResponse.call_id, func.count()).where(
        CallResponse.call_id.in_(call_ids), *_consented()).group_by(CallResponse.call_id))
    return {call_id: count for call_id, count in rows}


def state_or_country(code: str | None, language: str) -> str | None:
    state = all_states().get(code or "")
    return state.name(language) if state is not None else None


def _documents(session: Session, responses: list[CallResponse],
               definition: CallDefinition) -> dict[int, list[CallDocument]]:
    """The files the published answers name (an upload replaced later is not one of them)."""
    named = {(r.id, r.answers.get(q.key)) for r in responses for q in definition.questions
             if q.type == "document" and isinstance(r.answers.get(q.key), int)}
    if not named:
        return {}
    found: dict[int, list[CallDocument]] = {}
    rows = session.scalars(select(CallDocument).where(
        CallDocument.id.in_([document_id for _r, document_id in named])).order_by(CallDocument.id))
    for document in rows:
        if (document.response_id, document.id) in named:
            found.setdefault(document.response_id or 0, []).append(document)
    return found


def submission_json(response: CallResponse, definition: CallDefinition, documents: list[CallDocument],
                    language: str) -> dict[str, Any]:
    texts = [{"question": q.key, "label": q.label.text(language), "text": response.answers[q.key]}
             for q in definition.questions
             if q.type == "long_text" and isinstance(response.answers.get(q.key), str)
             and response.answers[q.key]]
    return {
        "id": response.id, "organisation": response.organisation, "respondent_type": response.respondent_type,
        "state": response.state_code, "state_name": state_or_country(response.state_code, language),
        "submitted_on": response.submitted_at.date() if response.submitted_at else None,
        "texts": texts,
        "documents": [{"id": d.id, "filename": d.filename, "content_type": d.content_type, "size": d.size,
                       "question": d.question} for d in documents],
    }


def published_submissions(session: Session, call: Call, definition: CallDefinition, *, language: str = "en",
                          page: int = 1, per_page: int = 20) -> Page:
    """The consented submissions, the earliest first (as they reached the office)."""
    page = max(1, min(int(page), MAX_PAGE))
    per_page = max(1, min(int(per_page), MAX_PER_PAGE))
    query = select(CallResponse).where(CallResponse.call_id == call.id, *_consented())
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    responses = list(session.scalars(query.order_by(CallResponse.submitted_at, CallResponse.id)
                                     .offset((page - 1) * per_page).limit(per_page)))
    documents = _documents(session, responses, definition)
    items = [submission_json(r, definition, documents.get(r.id, []), language) for r in responses]
    return Page(items=items, page=page, per_page=per_page, total=total)


def published_document(session: Session, key: Any, document_id: Any, now: dt.datetime) -> CallDocument:
    """A file of a published submission; any other is not found."""
    call, _definition = published_call(session, key, now)
    document = session.get(CallDocument, document_id) if isinstance(document_id, int) else None
    response = session.get(CallResponse, document.response_id) if document and document.response_id else None
    if (document is None or response is None or document.call_id != call.id or response.call_id != call.id
            or response.status != "submitted" or not response.consent_to_publish
            or response.answers.get(document.question) != document.id):
        raise NotFound("there is no such document")
    return document
