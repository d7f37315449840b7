"""Finding cases: the filters of the work queue and the State's dashboard, scoped by who asks.

Every list reads in the order of an index and stops at its page: the cost of a page does not grow
with the record. Totals are counted up to COUNT_LIMIT (beyond it a list says "more than"), and a
list can be walked with a cursor (the position after the last row shown) as well as by page
numbers. Deep pages read only the keys of the rows they skip (an index-only scan), then the page.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, and_, false, func, or_, select, tuple_
from sqlalchemy.orm import Session

from tacase.db.models import Case, WorkflowVersion
from tacase.engine.roles import STATE_FOCAL_POINT
from tacase.services.access import OFFICE_READERS
from tacase.services.actors import Actor
from tacase.services.errors import ValidationFailed
from tacase.services.list_memory import ListMemory, generation_of

SORTS = {
    "created_at": Case.created_at, "updated_at": Case.updated_at, "due_at": Case.due_at,
    "reference": Case.reference, "status": Case.status,
}
# Columns that may be NULL sort their NULLs last whichever way; `reference` is unique, so it needs no
# tie-break; the others break ties by id, as their indexes do.
NULLABLE_SORTS = frozenset({"due_at"})
UNIQUE_SORTS = frozenset({"reference"})
# A list shows these, read as plain rows (a page of ORM objects costs more than its query); the long
# texts and JSON fields stay in the database until a case is opened. step_started_at too: the
# deadline sweep's events of a page are matched on it (one query for all rows); and the hash of the
# workflow version, which finds its definition in memory (tacase.services.cases.definition_of_row).
SUMMARY_COLUMNS = (
    Case.id, Case.reference, Case.type, Case.state_code, Case.status, Case.title, Case.assignee_id,
    Case.created_at, Case.updated_at, Case.submitted_at, Case.closed_at, Case.due_at, Case.due_party,
    Case.paused_state, Case.version, Case.workflow_version_id, Case.step_started_at,
    WorkflowVersion.sha256.label("workflow_sha256"),
)
MAX_PER_PAGE = 100
MAX_PAGE = 1000  # deeper than this, narrow the filters or follow the cursor
COUNT_LIMIT = 10_000  # totals are exact up to here; beyond it a list says "more than"
MIN_QUERY = 3  # a text search reads an index of three-letter pieces (trigrams) on PostgreSQL


@dataclass(frozen=True)
class CaseFilter:
    status: tuple[str, ...] = ()
    type: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    assignee: str | None = None  # a user id, "me" or "none"
    overdue: bool | None = None
    q: str | None = None
    created_from: dt.datetime | None = None
    created_to: dt.datetime | None = None
    updated_from: dt.datetime | None = None
    updated_to: dt.datetime | None = None


@dataclass(frozen=True)
class Page:
    items: list[Row[Any]]  # SUMMARY_COLUMNS, by name
    total: int  # exact when total_exact, else the number of rows found up to COUNT_LIMIT
    total_exact: bool
    page: int
    per_page: int
    next_cursor: str | None  # where the next page starts; None on the last one

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None


def _scope(actor: Actor) -> str | None:
    """What the actor may see: "*" for every case, a State's code for its own, None for none."""
    if actor.is_system or actor.roles & OFFICE_READERS:
        return "*"
    # A focal point's own State only: an account a focal point invited to answer a call is bound to
    # the State too, but sees none of its cases.
    if actor.state_code and STATE_FOCAL_POINT in actor.roles:
        return actor.state_code
    return None


def visible_cases(actor: Actor) -> Select:
    """Every case the actor may see: all for the office and the Board, a State's own for its users."""
    scope, query = _scope(actor), select(Case)
    if scope == "*":
        return query
    return query.where(false()) if scope is None else query.where(Case.state_code == scope)


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def filtered(actor: Actor, flt: CaseFilter, now: dt.datetime) -> Select:
    query = visible_cases(actor)
    if flt.status:
        query = query.where(Case.status.in_(flt.status))
    if flt.type:
        query = query.where(Case.type.in_(flt.type))
    if flt.state:
        query = query.where(Case.state_code.in_([s.upper() for s in flt.state]))
    if flt.assignee == "none":
        query = query.where(Case.assignee_id.is_(None))
    elif flt.assignee == "me":
        query = query.where(Case.assignee_id == actor.id)
    elif flt.assignee is not None:
        query = query.where(Case.assignee_id == int(flt.assignee))
    if flt.overdue is True:
        query = query.where(Case.due_at < now)
    elif flt.overdue is False:
        query = query.where(or_(Case.due_at.is_(None), Case.due_at >= now))
    if flt.q:
        text = flt.q.strip().lower()
        if len(text) < MIN_QUERY:
            raise ValidationFailed({"q": [f"search for at least {MIN_QUERY} characters"]})
        pattern = _like(text)
        query = query.where(or_(func.lower(Case.reference).like(pattern, escape="\\"),
                                func.lower(Case.title).like(pattern, escape="\\")))
    for column, low, high in ((Case.created_at, flt.created_from, flt.created_to),
                              (Case.updated_at, flt.updated_from, flt.updated_to)):
        if low is not None:
            query = query.where(column >= low)
        if high is not None:
            query = query.where(column < high)
    return query


# --- the order of a list, and the cursor that continues it -------------------------------------------

@dataclass(frozen=True)
class Ordering:
    name: str
    descending: bool

    @classmethod
    def parse(cls, sort: str) -> Ordering:
        name = sort.lstrip("-")
        if name not in SORTS:
            raise ValidationFailed({"sort": [f"sort by one of: {', '.join(SORTS)}"]})
        return cls(name, sort.startswith("-"))

    @property
    def column(self) -> Any:
        return SORTS[self.name]

    def order_by(self) -> list[Any]:
        column = self.column
        first = column.desc() if self.descending else column.asc()
        if self.name in NULLABLE_SORTS:
            first = first.nulls_last()  # the indexes are built in this order
        if self.name in UNIQUE_SORTS:
            return [first]
        return [first, Case.id.desc() if self.descending else Case.id.asc()]

    def after(self, value: Any, case_id: int) -> ColumnElement[bool]:
        """Rows that come after (value, case_id) in this order."""
        column, beyond = self.column, (lambda a, b: a < b) if self.descending else (lambda a, b: a > b)
        if self.name in UNIQUE_SORTS:
            return beyond(column, value)
        if self.name in NULLABLE_SORTS:
            tie = beyond(Case.id, case_id)
            if value is None:  # among the NULLs, at the end: only the id moves on
                return and_(column.is_(None), tie)
            return or_(beyond(column, value), and_(column == value, tie), column.is_(None))
        # One comparison of the index's two columns: the index seeks to it, however deep, where
        # "a < x OR (a = x AND id < y)" would read every entry before it and filter them out.
        return beyond(tuple_(column, Case.id), (value, case_id))  # typed as the columns

    def position_of(self, case: Any) -> tuple[Any, int]:
        """Where a row stands in this order: what `after` takes."""
        return getattr(case, self.name), case.id

    def cursor_for(self, case: Any) -> str:
        value = getattr(case, self.name)
        if isinstance(value, dt.datetime):
            value = value.astimezone(dt.UTC).isoformat()
        raw = json.dumps([self.name, self.descending, value, case.id], separators=(",", ":"))
        return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")

    def read_cursor(self, cursor: str) -> ColumnElement[bool]:
        """The condition a cursor of this order stands for; ValidationFailed for any other."""
        try:
            raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
            name, descending, value, case_id = raw
            if (name, descending) != (self.name, self.descending) or not isinstance(case_id, int):
                raise ValueError
            if value is not None and self.name in ("created_at", "updated_at", "due_at"):
                value = dt.datetime.fromisoformat(value)
            elif value is not None and not isinstance(value, str):
                raise ValueError
        except (ValueError, TypeError, binascii.Error, UnicodeDecodeError):
            raise ValidationFailed({"cursor": [
                "not a cursor of this list: pass next_cursor of the previous page, with the same sort"]}
            ) from None
        return self.after(value, case_id)


def bounded_count(session: Session, query: Select, limit: int) -> tuple[int, bool]:
    """How many rows the query finds, counted up to `limit`: (count, exact)."""
    found = session.scalar(select(func.count()).select_from(
        query.with_only_columns(Case.id).order_by(None).limit(limit + 1).subquery())) or 0
    return (found, True) if found <= limit else (limit, False)


def _memory_key(actor: Actor, flt: CaseFilter) -> Hashable | None:
    """What a kept fact of this list is kept under: who may see what and the filter; None for a list
    whose facts change with the time (being overdue) or that shows nothing."""
    scope = _scope(actor)
    if scope is None or flt.overdue is not None:
        return None
    return scope, replace(flt, assignee=str(actor.id)) if flt.assignee == "me" else flt


def list_cases(session: Session, actor: Actor, flt: CaseFilter, now: dt.datetime, *,
               sort: str = "-updated_at", page: int = 1, per_page: int = 25,
               cursor: str | None = None, memory: ListMemory | None = None) -> Page:
    """A page of the cases the actor may see. `memory` keeps the list's total, and where its pages
    start, while the record is unchanged: a total is then not counted again, nor a deep page walked to."""
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    ordering = Ordering.parse(sort)
    query = filtered(actor, flt, now)
    key = _memory_key(actor, flt) if memory is not None else None
    kept = memory if key is not None else None
    generation = generation_of(session) if kept is not None else (0, None)
    found = kept.get(generation, ("total", key)) if kept is not None else None
    if found is None:
        found = bounded_count(session, query, COUNT_LIMIT)
        if kept is not None:
            kept.put(generation, ("total", key), found)
    total, exact = found
    if cursor is not None:
        query = query.where(ordering.read_cursor(cursor))
        page = 1
    offset = (page - 1) * per_page
    start = kept.get(generation, ("start", key, ordering, offset)) if kept is not None and offset else None
    if start is not None:  # where this page starts is known: seek there
        query, offset = query.where(ordering.after(*start)), 0
    ordered = query.order_by(*ordering.order_by())
    if offset:
        # A deep page: the keys it skips come from the index alone, then only its rows are read, with
        # the row before it (where it starts, to be kept).
        keys = ordered.with_only_columns(Case.id).offset(offset - 1).limit(per_page + 2).subquery()
        ordered = ordered.where(Case.id.in_(select(keys.c.id)))
    else:
        ordered = ordered.limit(per_page + 1)
    rows = list(session.execute(ordered.with_only_columns(*SUMMARY_COLUMNS, maintain_column_froms=False)
                                .join(WorkflowVersion, WorkflowVersion.id == Case.workflow_version_id)).all())
    before, rows = (rows[0], rows[1:]) if offset and rows else (None, rows)
    more = len(rows) > per_page
    items = rows[:per_page]
    if kept is not None and cursor is None:
        here = (page - 1) * per_page
        if before is not None:
            kept.put(generation, ("start", key, ordering, here), ordering.position_of(before))
        if more and items:
            kept.put(generation, ("start", key, ordering, here + per_page), ordering.position_of(items[-1]))
    return Page(items=items, total=total, total_exact=exact, page=page, per_page=per_page,
                next_cursor=ordering.cursor_for(items[-1]) if more and items else None)
