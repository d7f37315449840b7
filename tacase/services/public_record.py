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

import base64
import binascii
import datetime as dt
import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    String,
    and_,
    any_,
    bindparam,
    cast,
    delete,
    extract,
    func,
    literal_column,
    select,
    tuple_,
    union_all,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from tacase.db.models import Case, CaseRecommendation, CaseTransition, Document, PublicFile, WorkflowVersion
from tacase.engine.definitions import WorkflowDefinition
from tacase.reference import requesting_state
from tacase.services import audit_log, snapshots
from tacase.services.access import speaks_for_state
from tacase.services.actors import Actor
from tacase.services.case_fields import field_values
from tacase.services.cases import check_version, definition_of, definition_of_row, flush_case, get_case
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
    page: int | None  # None when the page was found by a cursor
    per_page: int
    has_next: bool
    next_cursor: str | None = None  # where the next page starts, however deep; None on the last one


# What a published case is read with: what places it on the record, its workflow version's hash (its
# definition then comes from memory), the columns of the common fields a workflow file may make
# public and `extra` for the workflow's own fields, and whether its State published a document with it
# (most have none: their documents are then not asked for). Plain rows, not ORM objects (a page of
# objects costs more than its query); the columns of people's names and addresses are never read.
PUBLIC_COLUMNS = (
    Case.id, Case.reference, Case.type, Case.state_code, Case.status, Case.submitted_at, Case.closed_at,
    Case.workflow_version_id, WorkflowVersion.sha256.label("workflow_sha256"),
    Case.title, Case.objectives, Case.activities, Case.expected_results, Case.channel_reference,
    Case.channel_date, Case.recipient_institutions, Case.planned_start, Case.planned_end,
    Case.budget_amount, Case.budget_currency, Case.funding_source, Case.sdg_targets, Case.themes, Case.extra,
    select(Document.id).where(Document.case_id == Case.id, Document.public).exists().label("has_documents"),
)
NEWEST_FIRST = (Case.submitted_at.desc(), Case.id.desc())  # the published-cases indexes, read backwards


class PublishedCase:
    """A published case as the record reads it: its row's columns by name and its recommendations,
    what field_values reads of a Case. The columns NEVER_PUBLIC are not read; they are None here."""

    focal_point_name = focal_point_email = None
    consent_to_publish = True  # the record's own condition

    def __init__(self, row: Row[Any], recommendations: Sequence[Any]) -> None:
        self.__dict__.update(row._asdict())
        self.recommendations = recommendations


def _definitions(session: Session) -> list[WorkflowDefinition]:
    runtime = session.info.get("runtime")
    return list(runtime.workflows.current.values()) if runtime is not None else []


def public_status_groups(definitions: Sequence[WorkflowDefinition]) -> dict[str, tuple[str, ...]]:
    """Each status with every status the public calls by the same name, the first of them (in the
    workflows' order) naming the group: a request returned to its State is still "Under review" in
    public, so that filter finds both."""
    by_label: dict[str, list[str]] = {}
    for definition in definitions:
        for name, state in definition.states.items():
            if state.record_label and name not in by_label.setdefault(state.record_label, []):
                by_label[state.record_label].append(name)
    return {name: tuple(names) for names in by_label.values() for name in names}


def _conditions(flt: PublicFilter, session: Session) -> list[ColumnElement[bool]]:
    conditions = [published()]
    if flt.state:
        conditions.append(Case.state_code.in_([s.upper() for s in flt.state]))
    if flt.type:
        conditions.append(Case.type.in_(flt.type))
    if flt.fund:
        conditions.append(Case.funding_source.in_(flt.fund))
    if flt.status:
        groups = public_status_groups(_definitions(session))
        statuses = sorted({s for status in flt.status for s in groups.get(status, (status,))})
        conditions.append(Case.status.in_(statuses))
    if flt.year is not None:
        if not FIRST_YEAR <= flt.year <= LAST_YEAR:
            raise ValidationFailed({"year": [f"a year from {FIRST_YEAR} to {LAST_YEAR}"]})
        start = dt.datetime(flt.year, 1, 1, tzinfo=dt.UTC)
        conditions += [Case.submitted_at >= start, Case.submitted_at < start.replace(year=flt.year + 1)]
    return conditions


def _rows(*conditions: ColumnElement[bool]) -> Select[Any]:
    return (select(*PUBLIC_COLUMNS).join(WorkflowVersion, WorkflowVersion.id == Case.workflow_version_id)
            .where(*conditions))


def _after(position: tuple[dt.datetime, int]) -> ColumnElement[bool]:
    """The cases after this one, newest first: one comparison of the index's two columns, which the
    index answers by seeking to it (however deep) rather than by reading what comes before."""
    return tuple_(Case.submitted_at, Case.id) < (position[0], position[1])  # typed as the columns


def cursor_of(item: Any) -> str:
    """Where the record continues after this case (a PublishedCase), as an opaque text."""
    raw = json.dumps([item.submitted_at.astimezone(dt.UTC).isoformat(), item.id], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def read_cursor(cursor: str) -> tuple[dt.datetime, int]:
    """The position a cursor stands for; ValidationFailed for anything that is not one."""
    try:
        at, case_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        if not isinstance(at, str) or type(case_id) is not int:
            raise ValueError
        instant = dt.datetime.fromisoformat(at)
        if instant.tzinfo is None:
            raise ValueError
    except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
        raise ValidationFailed({"cursor": ["not a cursor of the record: pass next_cursor of the page before"]}
                               ) from None
    return instant, case_id


def published_cases(session: Session, flt: PublicFilter, *, page: int = 1, per_page: int = 25,
                    cursor: str | None = None) -> PublicPage:
    """A page of the public record, the most recently submitted first: by its number, or after
    `cursor` (the page before's next_cursor), which reaches any depth at the cost of the first."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    conditions = _conditions(flt, session)
    if cursor is not None:
        conditions.append(_after(read_cursor(cursor)))
    query = _rows(*conditions).order_by(*NEWEST_FIRST)
    offset = (page - 1) * per_page if cursor is None else 0
    if offset:
        # A deep page: the keys it skips come from the index alone, then only its rows are read.
        keys = (select(Case.id).where(*conditions).order_by(*NEWEST_FIRST).offset(offset)
                .limit(per_page + 1).subquery())
        query = query.where(Case.id.in_(select(keys.c.id)))
    else:
        query = query.limit(per_page + 1)
    rows = session.connection().execute(query).all()
    shown = _read(session, rows[:per_page])
    documents = _public_documents(session, [c.id for c in shown if c.has_documents])
    steps = _steps(session, [c.id for c in shown])
    items = [public_view(c, definition_of_row(session, c), steps.get(c.id, ()), documents.get(c.id, ()))
             for c in shown]
    more = len(rows) > per_page
    return PublicPage(items=items, page=page if cursor is None else None, per_page=per_page, has_next=more,
                      next_cursor=cursor_of(shown[-1]) if more else None)


def published_case(session: Session, reference: str) -> dict[str, Any]:
    """One published case, or NotFound: an unpublished case is answered as one that does not exist."""
    row = None
    if isinstance(reference, str) and len(reference) <= 32:
        row = session.connection().execute(_ONE, {"reference": reference}).first()
    if row is None:
        raise NotFound(f"no published request {reference}")
    (case,) = _read(session, [row])
    documents = _public_documents(session, [case.id]) if case.has_documents else {}
    return public_view(case, definition_of_row(session, case), _steps(session, [case.id]).get(case.id, ()),
                       documents.get(case.id, ()))


# The statements of a page's or a case's parts, built once. Their cases' ids go to PostgreSQL as one
# array (the same statement however many, prepared by the driver once), elsewhere as a list.
_ONE = _rows(Case.reference == bindparam("reference"), published())


def _by_cases(statement: Callable[[Callable[[Any], Any]], Select[Any]]) -> dict[bool, Select[Any]]:
    return {True: statement(lambda column: column == any_(bindparam("case_ids", type_=ARRAY(Integer)))),
            False: statement(lambda column: column.in_(bindparam("case_ids", expanding=True)))}


_RECOMMENDATIONS = _by_cases(lambda among: select(
    CaseRecommendation.case_id, CaseRecommendation.mechanism, CaseRecommendation.document_symbol,
    CaseRecommendation.paragraph).where(among(CaseRecommendation.case_id))
    .order_by(CaseRecommendation.case_id, CaseRecommendation.position))
_STEPS = _by_cases(lambda among: select(
    CaseTransition.case_id, CaseTransition.trigger, CaseTransition.to_state, CaseTransition.at,
    CaseTransition.record).where(among(CaseTransition.case_id))
    .order_by(CaseTransition.case_id, CaseTransition.at, CaseTransition.id))
_DOCUMENTS = _by_cases(lambda among: select(
    Document.case_id, Document.id, Document.filename, Document.content_type, Document.size, Document.public)
    .where(among(Document.case_id), Document.public).order_by(Document.case_id, Document.id))


def _of_cases(session: Session, statements: dict[bool, Select[Any]], case_ids: Sequence[int]
              ) -> dict[int, list[Any]]:
    """The rows of the statement for these cases, in its order, by case."""
    found: dict[int, list[Any]] = {}
    if case_ids:
        statement = statements[session.get_bind().dialect.name == "postgresql"]
        for row in session.connection().execute(statement, {"case_ids": list(case_ids)}):
            found.setdefault(row.case_id, []).append(row)
    return found


def _read(session: Session, rows: Sequence[Row[Any]]) -> list[PublishedCase]:
    """The cases of these rows, each with its recommendations (one query for all)."""
    recommendations = _of_cases(session, _RECOMMENDATIONS, [row.id for row in rows])
    return [PublishedCase(row, recommendations.get(row.id, [])) for row in rows]


def _steps(session: Session, case_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The steps of these cases in order, as rows of what public_view reads of them."""
    return _of_cases(session, _STEPS, case_ids)


def _public_documents(session: Session, case_ids: Sequence[int]) -> dict[int, list[Any]]:
    """The documents their State marked public, oldest first, by case."""
    return _of_cases(session, _DOCUMENTS, case_ids)


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


def public_view(case: Case | PublishedCase, definition: WorkflowDefinition, steps: Sequence[Any],
                documents: Sequence[Any] = ()) -> dict[str, Any]:
    """All that the public may know of a published case. Values stay Python values (dates,
    Decimals); the answer's format is the caller's. `steps` are its steps in order (CaseTransition
    or rows of their columns), `documents` those the State marked public."""
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


def _stages(definition: WorkflowDefinition, steps: Sequence[Any]) -> list[dict[str, Any]]:
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


def _records(definition: WorkflowDefinition, steps: Sequence[Any]) -> list[dict[str, Any]]:
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
    keyset in the published-cases index's order, a query for the cases, one for their
    recommendations and one for their steps per batch, each batch let go of once shown, so that
    memory stays the size of a batch. `pause` is called between batches, when nothing read is held:
    a long download ends its read transaction there, so that it keeps no lock (on SQLite every
    transaction holds the write lock) for long."""
    batch = batch or EXPORT_BATCH
    conditions = _conditions(flt, session)

    def rows() -> Iterator[dict[str, Any]]:
        after: tuple[dt.datetime, int] | None = None
        while True:
            page = _rows(*conditions, *([] if after is None else [_after(after)]))
            cases = _read(session, session.connection().execute(
                page.order_by(*NEWEST_FIRST).limit(batch)).all())
            steps = _steps(session, [c.id for c in cases])
            for case in cases:
                yield public_view(case, definition_of_row(session, case), steps.get(case.id, ()))
            if len(cases) < batch:
                return
            after = (cases[-1].submitted_at, cases[-1].id)
            del cases, steps
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
    # One count per status the public tells apart, under the status that names it (what its filter finds).
    groups = public_status_groups(_definitions(session))
    merged: dict[str, int] = {}
    for status, n in body["status"].items():
        first = groups.get(status, (status,))[0]
        merged[first] = merged.get(first, 0) + n
    body["status"] = merged
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
