"""What people change on their own account: their password, their language, and the start of their
two-factor enrolment. An administrator's changes to others' accounts are in `users`."""

from __future__ import annotations

import pyotp
from sqlalchemy import update
from sqlalchemy.orm import Session

from tacase.db.models import User, UserSession
from tacase.services import audit_log
from tacase.services.accounts import LOCALES
from tacase.services.actors import Actor
from tacase.services.auth import MFA_ISSUER, begin_mfa_enrolment
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, NotFound, ValidationFailed
from tacase.services.passwords import hash_password, password_problems, verify_password


def own_user(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.id) if actor.id is not None else None
    if user is None:
        raise NotFound("user not found")
    return user


def set_locale(session: Session, actor: Actor, clock: Clock, locale: object) -> User:
    """The language of the user's pages and mails."""
    user = own_user(session, actor)
    if locale not in LOCALES:
        raise ValidationFailed({"locale": [f"choose one of: {', '.join(LOCALES)}"]})
    assert isinstance(locale, str)
    if user.locale == locale:
        return user
    now = clock()
    previous, user.locale, user.updated_at = user.locale, locale, now
    session.flush()
    audit_log.record(session, actor, now, "user.updated",
                     data={"user_id": user.id, "locale": {"from": previous, "to": locale}})
    return user


def change_password(session: Session, actor: Actor, clock: Clock, *, current: object, new: object,
                    repeated: object, keep_session_id: int | None) -> int:
    """Check the current password and set a new one. The user's other sessions end with the old
    password, so a session taken by someone who knew it stops working; the one that made the change
    (`keep_session_id`) goes on. API tokens are separate credentials and stay. Returns how many
    sessions ended."""
    user = own_user(session, actor)
    errors: dict[str, list[str]] = {}
    # Checked even when the new password is refused, so that the answer's time says nothing.
    if not verify_password(user.password_hash, current if isinstance(current, str) else ""):
        errors["current_password"] = ["is wrong"]
    problems = password_problems(new if isinstance(new, str) else "", email=user.email)
    if not problems and new == current:
        problems = ["must differ from the current password"]
    if problems:
        errors["new_password"] = problems
    elif repeated != new:
        errors["repeat_password"] = ["does not match the new password"]
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(new, str)
    now = clock()
    user.password_hash = hash_password(new)
    user.updated_at = now
    others = update(UserSession).where(UserSession.user_id == user.id, UserSession.ended_at.is_(None))
    if keep_session_id is not None:
        others = others.where(UserSession.id != keep_session_id)
    ended = session.execute(others.values(ended_at=now)).rowcount
    audit_log.record(session, actor, now, "auth.password_changed",
                     data={"user_id": user.id, "sessions_ended": ended})
    return ended


def mfa_pending(user: User) -> bool:
    """An enrolment was started (a secret was handed out) but not confirmed with a code yet."""
    return bool(user.mfa_secret) and not user.mfa_enabled


def mfa_enrolment(session: Session, clock: Clock, user: User) -> tuple[str, str]:
    """The secret and otpauth:// URI to give the user's authenticator. A pending enrolment keeps
    its secret: reloading the page must not invalidate an authenticator set up from it already."""
    if user.mfa_enabled:
        raise Conflict("two-factor authentication is on already; an administrator can reset it")
    if mfa_pending(user):
        assert user.mfa_secret is not None
        uri = pyotp.TOTP(user.mfa_secret).provisioning_uri(name=user.email, issuer_name=MFA_ISSUER)
        return user.mfa_secret, uri
    return begin_mfa_enrolment(session, clock, user)
