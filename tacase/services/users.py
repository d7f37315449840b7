"""Administering accounts: listing, roles, State, disabling and resetting two-factor authentication."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from tacase.db.models import User, UserRole
from tacase.engine.roles import ADMIN
from tacase.services import audit_log
from tacase.services.accounts import check_roles
from tacase.services.actors import Actor
from tacase.services.auth import end_everything
from tacase.services.clock import Clock
from tacase.services.errors import Forbidden, NotFound, ValidationFailed

UNSET: Any = object()
MAX_PAGE = 100


def require_admin(actor: Actor) -> None:
    if ADMIN not in actor.roles:
        raise Forbidden("only an administrator may manage accounts")


def get_user(session: Session, actor: Actor, user_id: int) -> User:
    require_admin(actor)
    user = session.get(User, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found")
    return user


def list_users(session: Session, actor: Actor, *, role: str | None = None, state: str | None = None,
               q: str | None = None, active: bool | None = None, after_id: int = 0,
               limit: int = 50) -> list[User]:
    """Users ordered by id, `limit` at a time after `after_id` (keyset pagination)."""
    require_admin(actor)
    query = select(User).where(User.id > after_id).order_by(User.id).limit(min(limit, MAX_PAGE))
    if role:
        query = query.where(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    if state:
        query = query.where(User.state_code == state.upper())
    if active is not None:
        query = query.where(User.is_active.is_(active))
    if q:
        pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(User.email.like(pattern, escape="\\"),
                                func.lower(User.display_name).like(pattern, escape="\\")))
    return list(session.scalars(query))


def update_user(
    session: Session, actor: Actor, clock: Clock, user_id: int, *, roles: list[str] | None = None,
    state_code: str | None = UNSET, is_active: bool | None = None, display_name: str | None = None,
) -> User:
    """Change what an administrator may change; disabling ends the account's sessions and tokens
    in the same transaction, so nothing of it keeps working after the answer."""
    user = get_user(session, actor, user_id)
    new_roles = list(dict.fromkeys(roles)) if roles is not None else sorted(user.roles)
    new_state = user.state_code if state_code is UNSET else (state_code.upper() if state_code else None)
    errors = check_roles(new_roles, new_state)
    if display_name is not None and not display_name.strip():
        errors["display_name"] = ["must not be blank"]
    if user.id == actor.id and (is_active is False or ADMIN not in new_roles):
        errors["roles" if is_active is not False else "is_active"] = [
            "you cannot disable your own account or remove your own administrator role"
        ]
    if errors:
        raise ValidationFailed(errors)
    now = clock()
    changes: dict[str, Any] = {}
    if set(new_roles) != set(user.roles):
        changes["roles"] = {"from": sorted(user.roles), "to": sorted(new_roles)}
        keep = [r for r in user.role_rows if r.role in new_roles]
        user.role_rows = keep + [UserRole(role=r) for r in new_roles if r not in user.roles]
    if new_state != user.state_code:
        changes["state"] = {"from": user.state_code, "to": new_state}
        user.state_code = new_state
    if display_name is not None and display_name.strip() != user.display_name:
        changes["display_name"] = {"from": user.display_name, "to": display_name.strip()[:200]}
        user.display_name = display_name.strip()[:200]
    disabling = is_active is False and user.is_active
    enabling = is_active is True and not user.is_active
    if disabling or enabling:
        changes["is_active"] = {"from": user.is_active, "to": is_active}
        user.is_active = bool(is_active)
    if not changes:
        return user
    user.updated_at = now
    session.flush()
    if "roles" in changes or "state" in changes:
        # Access follows roles and State: others' sessions opened under the old ones end with them.
        if user.id != actor.id:
            end_everything(session, user.id, now)
        audit_log.record(session, actor, now, "user.roles_changed", data={
            "user_id": user.id, **{k: v for k, v in changes.items() if k in ("roles", "state")},
        })
    if disabling:
        ended_sessions, revoked_tokens = end_everything(session, user.id, now)
        audit_log.record(session, actor, now, "user.disabled", data={
            "user_id": user.id, "sessions_ended": ended_sessions, "tokens_revoked": revoked_tokens,
        })
    if enabling:
        audit_log.record(session, actor, now, "user.enabled", data={"user_id": user.id})
    if "display_name" in changes:
        audit_log.record(session, actor, now, "user.updated",
                         data={"user_id": user.id, "display_name": changes["display_name"]})
    return user


def reset_mfa(session: Session, actor: Actor, clock: Clock, user_id: int) -> User:
    """For a lost authenticator: the user enrols again at the next sign-in; everything open ends."""
    user = get_user(session, actor, user_id)
    now = clock()
    user.mfa_secret = None
    user.mfa_enabled = False
    user.mfa_last_step = None
    user.updated_at = now
    ended_sessions, revoked_tokens = end_everything(session, user.id, now)
    audit_log.record(session, actor, now, "user.mfa_reset", data={
        "user_id": user.id, "sessions_ended": ended_sessions, "tokens_revoked": revoked_tokens,
    })
    return user
