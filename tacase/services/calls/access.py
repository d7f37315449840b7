"""Who may see and do what in a call: the office runs it, the Board reads its results, a State's focal
point and the colleagues it invited answer for that State only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Call, CallInvitation, CallParticipant
from tacase.engine.roles import BOARD, STAFF_ROLES, STATE_FOCAL_POINT
from tacase.services.actors import Actor
from tacase.services.errors import Forbidden, NotFound


def is_office(actor: Actor) -> bool:
    return bool(actor.roles & STAFF_ROLES)


def can_read_results(actor: Actor) -> bool:
    return is_office(actor) or BOARD in actor.roles


def require_office(actor: Actor) -> None:
    if not is_office(actor):
        raise Forbidden("only the office may do this")


def require_results_reader(actor: Actor) -> None:
    if not can_read_results(actor):
        raise Forbidden("only the office and the Board may read the results of a call")


def is_focal_point(actor: Actor) -> bool:
    return STATE_FOCAL_POINT in actor.roles and actor.state_code is not None


def invitation_of(session: Session, actor: Actor, call: Call) -> CallInvitation | None:
    """The invitation whose limited account the actor is, for this call (None for everyone else)."""
    if actor.id is None or actor.roles or actor.state_code is None:
        return None
    return session.scalar(select(CallInvitation).where(
        CallInvitation.call_id == call.id, CallInvitation.user_id == actor.id,
        CallInvitation.revoked_at.is_(None)))


def invitations_of_user(session: Session, actor: Actor) -> list[CallInvitation]:
    """The calls a limited account was invited to (a colleague of a focal point has no other rights)."""
    if actor.id is None or actor.roles:
        return []
    return list(session.scalars(select(CallInvitation).where(
        CallInvitation.user_id == actor.id, CallInvitation.revoked_at.is_(None)).order_by(CallInvitation.id)))


def in_audience(session: Session, call: Call, state_code: str) -> bool:
    return session.get(CallParticipant, (call.id, state_code)) is not None


def require_state_side(session: Session, actor: Actor, call: Call) -> str:
    """The State the actor answers this call for: its focal point's, or the one an invitation names.
    A call not addressed to that State is not found, as another State's case is."""
    if is_focal_point(actor):
        if not in_audience(session, call, actor.state_code or ""):
            raise NotFound("there is no such call")
        return actor.state_code or ""
    invitation = invitation_of(session, actor, call)
    if invitation is not None:
        return invitation.state_code
    if can_read_results(actor):
        raise Forbidden("only a State answers a call; the office reads the answers in the call's results")
    raise NotFound("there is no such call")
