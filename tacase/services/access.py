"""Who may see and change which case: the rules every query and service shares."""

from __future__ import annotations

from sqlalchemy import Select, false, select

from tacase.db.models import Case
from tacase.engine.roles import ADMIN, APPROVER, BOARD, REVIEWER, STATE_FOCAL_POINT
from tacase.services.actors import Actor
from tacase.services.errors import Forbidden

OFFICE_READERS = frozenset({REVIEWER, APPROVER, BOARD, ADMIN})
CASE_WORKERS = frozenset({REVIEWER, APPROVER, ADMIN})


def can_see(actor: Actor, case: Case) -> bool:
    if actor.is_system or actor.roles & OFFICE_READERS:
        return True
    return STATE_FOCAL_POINT in actor.roles and actor.state_code == case.state_code


def visible_cases(actor: Actor) -> Select[tuple[Case]]:
    """The cases this actor may see, as a query to filter further: a State sees only its own."""
    query = select(Case)
    if actor.is_system or actor.roles & OFFICE_READERS:
        return query
    if STATE_FOCAL_POINT in actor.roles and actor.state_code:
        return query.where(Case.state_code == actor.state_code)
    return query.where(false())


def speaks_for_state(actor: Actor, case: Case) -> bool:
    return STATE_FOCAL_POINT in actor.roles and actor.state_code == case.state_code


def require_case_worker(actor: Actor, what: str) -> None:
    if not actor.roles & CASE_WORKERS:
        raise Forbidden(f"only OHCHR reviewers, approvers and administrators may {what}")
