"""Who may see and change which case: the rules every query and service shares."""

from __future__ import annotations

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


def speaks_for_state(actor: Actor, case: Case) -> bool:
    return STATE_FOCAL_POINT in actor.roles and actor.state_code == case.state_code


def require_case_worker(actor: Actor, what: str) -> None:
    if not actor.roles & CASE_WORKERS:
        raise Forbidden(f"only OHCHR reviewers, approvers and administrators may {what}")
