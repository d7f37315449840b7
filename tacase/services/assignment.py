"""Assigning a case to an OHCHR officer who will carry it."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Case, User, UserRole
from tacase.engine.roles import APPROVER, REVIEWER
from tacase.services import audit_log, notifications
from tacase.services.access import require_case_worker
from tacase.services.actors import Actor
from tacase.services.cases import check_version, flush_case, get_case
from tacase.services.clock import Clock
from tacase.services.errors import ValidationFailed


def assign(
    session: Session, actor: Actor, clock: Clock, reference: str, assignee_id: int | None,
    *, expected_version: int | None = None,
) -> Case:
    case = get_case(session, actor, reference)  # first, so another State's case stays unseen
    require_case_worker(actor, "assign cases")
    if assignee_id is not None:
        assignee = session.get(User, assignee_id) if isinstance(assignee_id, int) else None
        if assignee is None or not assignee.is_active or not assignee.roles & {REVIEWER, APPROVER}:
            raise ValidationFailed({"assignee_id": ["must be an active reviewer or approver"]})
    check_version(case, expected_version)
    if case.assignee_id == assignee_id:
        return case
    previous = case.assignee_id
    now = clock()
    case.assignee_id = assignee_id
    case.updated_at = now
    flush_case(session, case)
    audit_log.record(session, actor, now, "case.assigned", case,
                     {"from": previous, "to": assignee_id})
    notifications.notify_assignment(session, case, assignee_id, now, actor_id=actor.id)
    return case


def assignable_officers(session: Session, actor: Actor, limit: int = 500) -> list[User]:
    """The active reviewers and approvers a case may be given to, by name; one query."""
    require_case_worker(actor, "assign cases")
    officers = select(UserRole.user_id).where(UserRole.role.in_((REVIEWER, APPROVER)))
    return list(session.scalars(select(User).where(User.is_active.is_(True), User.id.in_(officers))
                                .order_by(User.display_name, User.email).limit(limit)))
