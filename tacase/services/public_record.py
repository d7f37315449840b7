"""The public Record of International Cooperation: what anyone may see, without signing in, of the
requests whose State consents to publication.

A case is published while its State consents and only once it has been submitted (never a draft);
the consent is read on every request, so a withdrawal takes the case off every public answer at
once. What a published case shows is chosen field by field in its workflow file (`public_fields`,
`public: true`); people's names and addresses, the office's assessments and comments are never among
it, nor are documents but those the State itself marks public. Every value here passes through
`public_view`, the one place that decides.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    String,
    and_,
    cast,
    delete,
    extract,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import Session, selectinload

from tacase.db.models import Case, CaseTransition, Document, PublicFile
from tacase.engine.definitions import WorkflowDefinition
from tacase.reference import requesting_state
from tacase.services import audit_log, snapshots
from tacase.services.access import speaks_for_state
from tacase.services.actors import Actor
from tacase.services.case_fields import field_values
from tacase.services.cases import check_version, definition_of, flush_case, get_case
from tacase.services.clock import Clock
from tacase.services.errors import Forbidden, NotFound, ValidationFailed

MAX_PER_PAGE = 100
MAX_PAGE = 1000
FIRST_YEAR = 2000
LAST_YEAR = 9998  # a later year has no end within the calendar; a future year simply finds nothing


def published() -> ColumnElement[bool]:
    """The cases on the public record: consented to, and submitted at some time."""
    # Written as the published-cases indexes' own condition, so that the planner uses them.
    return and_(Case.consent_to_publish, Case.submitted_at.is_not(None))


@dataclass(frozen=True)
class PublicFilter:
    state: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    fund: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    year: int | None = None  # the year the request was submitted


@dataclass(frozen=True)
class PublicPage:
    items: list[dict[str, Any]]
    page: int
    per_page: int
    has_next: bool


def _filtered(flt: PublicFilter) -> Any:
    query = select(Case).where(published())
    if flt.state:
        query = query.where(Case.state_code.in_([s.upper() for s in flt.state]))
    if flt.type:
        query = query.where(Case.type.in_(flt.type))
    if flt.fund:
        query = query.where(Case.funding_source.in_(flt.fund))
    if flt.status:
        query = query.where(Case.status.in_(flt.status))
    if flt.year is not None:
        if not FIRST_YEAR <= flt.year <= LAST_YEAR:
            raise ValidationFailed({"year": [f"a year from {FIRST_YEAR} to {LAST_YEAR}"]})
        start = dt.datetime(flt.year, 1, 1, tzinfo=dt.UTC)
        query = query.where(Case.submitted_at >= start,
                            Case.submitted_at < start.replace(year=flt.year + 1))
    return query


def published_cases(session: Session, flt: PublicFilter, *, page: int = 1, per_page: int = 25) -> PublicPage:
    """A page of the public record, the most recently submitted first."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    cases = list(session.scalars(
        _filtered(flt).options(selectinload(Case.recommendations))
        .order_by(Case.submitted_at.desc(), Case.id.desc())
        .offset((page - 1) * per_page).limit(per_page + 1)).all())
    shown = cases[:per_page]
    steps = _steps(session, [c.id for c in shown])
    documents = _public_documents(session, [c.id for c in shown])
    items = [public_view(c, definition_of(session, c), steps.get(c.id, []), documents.get(c.id, []))
             for c in shown]
    return PublicPage(items=items, page=page, per_page=per_page, has_next=len(cases) > per_page)


def published_case(session: Session, reference: str) -> dict[str, Any]:
    """One published case, or NotFound: an unpublished case is answered as one that does not exist."""
    case = None
    if isinstance(reference, str) and len(reference) <= 32:
        case = session.scalar(select(Case).where(Case.reference == reference, published()))
    if case is None:
        raise NotFound(f"no published request {reference}")
    return public_view(case, definition_of(session, case), _steps(session, [case.id]).get(case.id, []),
                       _public_documents(session, [case.id]).get(case.id, []))


def _steps(session: Session, case_ids: Sequence[int]) -> dict[int, list[CaseTransition]]:
    if not case_ids:
        return {}
    found: dict[int, list[CaseTransition]] = {}
    for step in session.scalars(select(CaseTransition).where(CaseTransition.case_id.in_(case_ids))
                                .order_by(CaseTransition.case_id, CaseTransition.at, CaseTransition.id)):
        found.setdefault(step.case_id, []).append(step)
    return found


def _public_documents(session: Session, case_ids: Sequence[int]) -> dict[int, list[Document]]:
    """The documents their State marked public, oldest first, by case."""
    if not case_ids:
        return {}
    found: dict[int, list[Document]] = {}
    for document in session.scalars(select(Document).where(Document.case_id.in_(case_ids), Document.public)
                                    .order_by(Document.case_id, Document.id)):
        found.setdefault(document.case_id, []).append(document)
    return found


def public_document(session: Session, reference: Any, document_id: int) -> Document:
    """A document anyone may download: marked public by its State, of a published case. Anything
    else (no such document, not public, a case not or no longer published) is one NotFound."""
    document = None
    if isinstance(reference, str) and len(reference) <= 32:
        document = session.scalar(select(Document).join(Case, Case.id == Document.case_id).where(
            Case.reference == reference, published(), Document.id == document_id, Document.public))
    if document is None:
        raise NotFound("no published document here")
    return document


def document_path(reference: str, document_id: int) -> str:
    """Where the public downloads a published document (tacase.web.views.public_documents)."""
    return f"/public/record/{reference}/documents/{document_id}"


def public_view(case: Case, definition: WorkflowDefinition, steps: Sequence[CaseTransition],
                documents: Sequence[Document] = ()) -> dict[str, Any]:
    """All that the public may know of a published case. Values stay Python values (dates,
    Decimals); the answer's format is the caller's. `documents` are those the State marked public."""
    state = requesting_state(case.state_code)
    values = field_values(case, definition)
    fields = {name: values[name] for name in definition.public_fields()
              if values.get(name) not in (None, "", [], {})}
    return {
        "reference": case.reference,
        "type": case.type,
        "type_title": definition.title,
        "state": {"code": case.state_code, "name": state.names["en"] if state else case.state_code},
        "status": case.status,
        "status_label": _record_label(definition, case.status),
        "submitted_on": case.submitted_at.date() if case.submitted_at else None,
        "closed_on": case.closed_at.date() if case.closed_at else None,
        "stages": _stages(definition, steps),
        "fields": fields,
        "records": _records(definition, steps),
        "documents": [{"id": d.id, "name": d.filename, "content_type": d.content_type, "size": d.size,
                       "url": document_path(case.reference, d.id)} for d in documents if d.public],
    }


def _record_label(definition: WorkflowDefinition, status: str) -> str:
    state = definition.states.get(status)
    return state.record_label if state else status


def _stages(definition: WorkflowDefinition, steps: Sequence[CaseTransition]) -> list[dict[str, Any]]:
    """When the case first entered each stage the public can tell apart; a return to the State and
    the reply stay within the review, as the record's label says."""
    stages: list[dict[str, Any]] = []
    seen: set[str] = set()
    for step in steps:
        label = _record_label(definition, step.to_state)
        if step.to_state == definition.initial or label in seen:
            continue
        seen.add(label)
        stages.append({"status": step.to_state, "label": label, "entered_on": step.at.date()})
    return stages


def _typed(spec: Any, value: Any) -> Any:
    """A recorded value as its field's type (records keep dates as ISO text)."""
    if spec.type == "date" and isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return value
    return value


def _records(definition: WorkflowDefinition, steps: Sequence[CaseTransition]) -> list[dict[str, Any]]:
    """What the steps recorded that the workflow file makes public (the amount approved, the dates
    of delivery, the evaluation's public summary), step by step."""
    out = []
    for step in steps:
        specs = definition.public_records(step.trigger)
        record = step.record or {}
        shown = {spec.name: _typed(spec, record[spec.name]) for spec in specs
                 if record.get(spec.name) not in (None, "", [], {})}
        if shown:
            labels = {spec.name: spec.label for spec in specs}
            out.append({"step": step.trigger, "label": _record_label(definition, step.to_state),
                        "on": step.at.date(), "values": shown, "value_labels": labels})
    return out



def set_consent(session: Session, actor: Actor, clock: Clock, reference: str, consent: Any, *,
                expected_version: int | None = None) -> Case:
    """Give or withdraw the State's consent to publish the case; only the State's focal points may.
    Recorded with who and when; setting what is already so changes and records nothing."""
    if not isinstance(consent, bool):
        raise ValidationFailed({"consent": ["must be true or false"]})
    case = get_case(session, actor, reference)
    if not speaks_for_state(actor, case):
        raise Forbidden("only the requesting State's focal points may give or withdraw consent to publish")
    check_version(case, expected_version)
    if case.consent_to_publish == consent:
        return case
    now = clock()
    # The counts' row first: a refresh running meanwhile (and an open-data build, which takes the same
    # lock) finishes before this change, or starts after it and sees it.
    snapshots.lock(session, COUNTS, now)
    case.consent_to_publish = consent
    case.updated_at = now
    flush_case(session, case)
    audit_log.record(session, actor, now, "case.consent_given" if consent else "case.consent_withdrawn",
                     case, {"consent_to_publish": consent})
    refresh_counts(session, now)
    # The open-data files as built held this case or lacked it: until the next build they are made
    # on request, so that a withdrawn case is in no file from this commit on.
    session.execute(delete(PublicFile))
    return case


def recent_changes(session: Session, *, limit: int = 50) -> list[dict[str, Any]]:
    """The latest steps of published requests, newest first: a request sent to OHCHR, approved,
    delivered... as the public record names them (a return to the State and its reply are not news:
    the record still says the request is under review)."""
    rows = session.execute(
        select(CaseTransition, Case).join(Case, Case.id == CaseTransition.case_id).where(published())
        .order_by(CaseTransition.at.desc(), CaseTransition.id.desc()).limit(limit * 2)).all()
    changes = []
    for step, case in rows:
        definition = definition_of(session, case)
        label, before = _record_label(definition, step.to_state), _record_label(definition, step.from_state)
        if step.from_state != definition.initial and label == before:
            continue
        state = requesting_state(case.state_code)
        changes.append({
            "id": step.id, "reference": case.reference, "at": step.at,
            # The title straight from the row: the case's other fields (its recommendations) stay unread.
            "title": case.title if "title" in definition.public_fields() and case.title else None,
            "state": state.names["en"] if state else case.state_code,
            "sent": step.from_state == definition.initial, "status_label": label,
        })
    return changes[:limit]


# --- the whole record at once: files and downloads -----------------------------------------------

EXPORT_BATCH = 200


def all_published(session: Session, flt: PublicFilter, *, batch: int | None = None,
                  pause: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """Every published case the filter takes, the most recently submitted first, as public_view shows
    it. The filter is checked now (ValidationFailed), the rows are read as they are consumed: by
    keyset in the published-cases index's order, a query for the cases and one for their steps per
    batch, each batch let go of once shown, so that memory stays the size of a batch. `pause` is
    called between batches, when nothing read is held: a long download ends its read transaction
    there, so that it keeps no lock (on SQLite every transaction holds the write lock) for long."""
    batch = batch or EXPORT_BATCH
    query = _filtered(flt).options(selectinload(Case.recommendations)).order_by(
        Case.submitted_at.desc(), Case.id.desc()).limit(batch)

    def rows() -> Iterator[dict[str, Any]]:
        after: tuple[dt.datetime, int] | None = None
        while True:
            page = query if after is None else query.where(or_(
                Case.submitted_at < after[0], and_(Case.submitted_at == after[0], Case.id < after[1])))
            cases = list(session.scalars(page).all())
            steps = _steps(session, [c.id for c in cases])
            for case in cases:
                yield public_view(case, definition_of(session, case), steps.get(case.id, []))
            for case in cases:
                for step in steps.get(case.id, []):
                    session.expunge(step)
                session.expunge(case)
            if len(cases) < batch:
                return
            after = (cases[-1].submitted_at, cases[-1].id)
            if pause is not None:
                pause()

    return rows()


# --- how many published cases each filter's value finds ------------------------------------------

COUNTS = "record_counts"
COUNTED = ("state", "type", "fund", "status", "year")


def _submitted_year(session: Session) -> Any:
    """The year of submission in UTC, as text (the year filter's boundaries are UTC's)."""
    if session.get_bind().dialect.name == "postgresql":
        year = extract("year", func.timezone(literal_column("'UTC'"), Case.submitted_at))
        return cast(cast(year, Integer), String)
    return func.strftime("%Y", Case.submitted_at)  # SQLite keeps UTC instants as ISO text


def count_published(session: Session) -> dict[str, Any]:
    """The number of published cases in all, and for each value of each filter, counted by the
    database in one statement of GROUP BYs."""
    grouped = {"state": Case.state_code, "type": Case.type, "fund": Case.funding_source,
               "status": Case.status, "year": _submitted_year(session)}
    parts = [select(literal_column("'total'", String).label("name"),
                    literal_column("''", String).label("value"), func.count().label("n")).where(published())]
    for name, column in grouped.items():
        parts.append(select(literal_column(f"'{name}'", String), cast(column, String), func.count())
                     .where(published(), column.is_not(None)).group_by(column))
    body: dict[str, Any] = {name: {} for name in COUNTED}
    body["total"] = 0
    for name, value, n in session.execute(union_all(*parts)).all():
        if name == "total":
            body["total"] = int(n)
        else:
            body[name][str(value)] = int(n)
    return body


def refresh_counts(session: Session, now: dt.datetime) -> dict[str, Any]:
    """Count again and keep the figures in their snapshot, under its lock (taken first, if this
    transaction has not taken it already)."""
    snapshots.lock(session, COUNTS, now)
    body = count_published(session)
    snapshots.store(session, COUNTS, body, now)
    return body


def filter_counts(session: Session) -> tuple[dict[str, Any], dt.datetime | None]:
    """The counts as last refreshed, and when; empty and None before the first refresh."""
    row = snapshots.load(session, COUNTS)
    if row is None or not row.body:
        return {}, None
    return row.body, row.built_at
