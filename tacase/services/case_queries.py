"""Finding cases: the filters of the work queue and the State's dashboard, scoped by who asks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, load_only, raiseload

from tacase.db.models import Case
from tacase.services.access import OFFICE_READERS
from tacase.services.actors import Actor

SORTS = {
    "created_at": Case.created_at, "updated_at": Case.updated_at, "due_at": Case.due_at,
    "reference": Case.reference, "status": Case.status,
}
# A list shows these; the long texts and JSON fields stay in the database until a case is opened.
# step_started_at too: the deadline sweep's events of a page are matched on it (one query for all rows).
SUMMARY_COLUMNS = (
    Case.reference, Case.type, Case.state_code, Case.status, Case.title, Case.assignee_id,
    Case.created_at, Case.updated_at, Case.submitted_at, Case.closed_at, Case.due_at, Case.due_party,
    Case.paused_state, Case.version, Case.workflow_version_id, Case.step_started_at,
)
MAX_PER_PAGE = 100
MAX_PAGE = 1000  # offset pagination stays cheap only so far; narrow the filters beyond it


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
    items: list[Case]
    total: int
    page: int
    per_page: int
    pages: int = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pages", max(1, -(-self.total // self.per_page)))


def visible_cases(actor: Actor) -> Select:
    """Every case the actor may see: all for the office and the Board, a State's own for its users."""
    query = select(Case)
    if actor.is_system or actor.roles & OFFICE_READERS:
        return query
    if actor.state_code:
        return query.where(Case.state_code == actor.state_code)
    return query.where(false())


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
        pattern = _like(flt.q.strip().lower())
        query = query.where(or_(func.lower(Case.reference).like(pattern, escape="\\"),
                                func.lower(Case.title).like(pattern, escape="\\")))
    for column, low, high in ((Case.created_at, flt.created_from, flt.created_to),
                              (Case.updated_at, flt.updated_from, flt.updated_to)):
        if low is not None:
            query = query.where(column >= low)
        if high is not None:
            query = query.where(column < high)
    return query


def list_cases(session: Session, actor: Actor, flt: CaseFilter, now: dt.datetime, *,
               sort: str = "-updated_at", page: int = 1, per_page: int = 25) -> Page:
    per_page = max(1, min(per_page, MAX_PER_PAGE))
    page = max(1, min(page, MAX_PAGE))
    query = filtered(actor, flt, now)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery())) or 0
    column = SORTS[sort.lstrip("-")]
    order = column.desc() if sort.startswith("-") else column.asc()
    # Cases without a due date go last whichever way due dates are sorted (NULLS LAST, which an
    # ascending index on the column already serves on PostgreSQL).
    ordering = [order.nulls_last(), Case.id.desc() if sort.startswith("-") else Case.id]
    rows = session.scalars(
        query.options(load_only(*SUMMARY_COLUMNS), raiseload(Case.recommendations)).order_by(*ordering)
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(items=list(rows), total=total, page=page, per_page=per_page)
