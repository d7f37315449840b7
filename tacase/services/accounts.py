"""User accounts: creation by an administrator (or the system at set-up), roles and State."""

from __future__ import annotations

import re

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tacase.db.models import User, UserRole
from tacase.engine.roles import ADMIN, ROLES, STATE_FOCAL_POINT
from tacase.reference import requesting_state
from tacase.services import audit_log
from tacase.services.actors import Actor
from tacase.services.clock import Clock
from tacase.services.errors import Forbidden, ValidationFailed
from tacase.services.passwords import hash_password, password_problems

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


# The languages people may choose for their pages and mails; the web pages have a catalog for each.
LOCALES: tuple[str, ...] = ("en", "fr", "es")

def normalise_email(email: str) -> str:
    return email.strip().lower()


def check_roles(roles: list[str] | tuple[str, ...], state_code: str | None) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = [r for r in roles if r not in ROLES]
    if not roles or unknown:
        errors["roles"] = [f"give one or more of: {', '.join(ROLES)}"]
    if STATE_FOCAL_POINT in roles:
        if not state_code or requesting_state(state_code) is None:
            errors["state"] = ["a focal point needs the ISO alpha-3 code of a Member or observer State"]
    elif state_code:
        errors["state"] = ["only a State focal point is bound to a State"]
    return errors


def create_user(
    session: Session, actor: Actor, clock: Clock, *, email: str, roles: list[str],
    password: str | None, display_name: str | None = None, state_code: str | None = None,
    locale: str = "en",
) -> User:
    if not (actor.is_system or ADMIN in actor.roles):
        raise Forbidden("only an administrator may create accounts")
    email = normalise_email(email) if isinstance(email, str) else ""
    errors = check_roles(list(roles), state_code)
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = ["must be an e-mail address"]
    elif session.scalar(select(func.count()).select_from(User).where(User.email == email)):
        errors["email"] = ["an account with this e-mail exists already"]
    if locale not in LOCALES:
        errors["locale"] = [f"choose one of: {', '.join(LOCALES)}"]
    if password is not None:
        problems = password_problems(password, email=email)
        if problems:
            errors["password"] = problems
    if errors:
        raise ValidationFailed(errors)
    now = clock()
    user = User(
        email=email, display_name=(display_name or email.split("@")[0]).strip()[:200],
        password_hash=hash_password(password) if password is not None else None,
        state_code=state_code, is_active=True, locale=locale, created_at=now, updated_at=now,
        role_rows=[UserRole(role=r) for r in dict.fromkeys(roles)],
    )
    session.add(user)
    session.flush()
    audit_log.record(session, actor, now, "user.created", data={
        "user_id": user.id, "email": email, "roles": sorted(set(roles)), "state": state_code,
        "locale": locale,
    })
    return user
