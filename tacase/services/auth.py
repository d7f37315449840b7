"""Signing in and staying signed in: passwords, TOTP, server-side sessions and API tokens.

Secrets that identify a session or a token are random (256 bits) and only their SHA-256 is stored,
so a copy of the database lets nobody in, and ending a row ends the session everywhere at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session, joinedload

from tacase.db.models import ApiToken, User, UserSession
from tacase.engine.roles import ADMIN, APPROVER, BOARD, REVIEWER
from tacase.services import audit_log
from tacase.services.accounts import normalise_email
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, NotFound, ServiceError, ValidationFailed
from tacase.services.passwords import hash_password, needs_rehash, verify_password

MFA_ROLES = frozenset({REVIEWER, APPROVER, BOARD, ADMIN})
TOKEN_PREFIX = "tac_"  # noqa: S105 - a marker, not a secret
MFA_ISSUER = "tacase"
# Last-seen times are written at most this often, so reading pages does not write on every request.
TOUCH_EVERY = dt.timedelta(seconds=60)
# Spent on unknown e-mails too, so response times do not tell which accounts exist.
_DUMMY_HASH = hash_password("not-a-real-password-only-timing")


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def mfa_required(user: User) -> bool:
    return bool(user.roles & MFA_ROLES)


@dataclass(frozen=True)
class SessionPolicy:
    idle: dt.timedelta
    absolute: dt.timedelta


class LoginFailed(ServiceError):
    """Why a login was refused: `invalid_credentials`, `totp_required` or `totp_invalid`."""

    code = "login_failed"

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


@dataclass(frozen=True)
class LoginOutcome:
    user: User | None = None
    sid: str | None = None
    user_session: UserSession | None = None
    failure: LoginFailed | None = None


def _totp_step(secret: str, code: object, at: dt.datetime, last_step: int | None) -> int | None:
    """The time step the code belongs to (one step of drift allowed), or None; a step at or before
    the last accepted one is refused so that an observed code cannot be replayed."""
    if not isinstance(code, str) or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    now_step = totp.timecode(at)
    for step in (now_step, now_step - 1, now_step + 1):
        if secrets.compare_digest(totp.generate_otp(step), code):
            if last_step is not None and step <= last_step:
                return None
            return step
    return None


def login(
    session: Session, clock: Clock, policy: SessionPolicy, *, email: str, password: str,
    totp: str | None = None, address: str | None = None, previous_sid: str | None = None,
) -> LoginOutcome:
    """Check the credentials and open a session. A failure is recorded, not raised, so that the
    caller can commit the audit event before refusing. A session the client held before
    (`previous_sid`) ends: signing in again never leaves an older session alive behind it."""
    now = clock()
    email = normalise_email(email)
    user = session.scalar(select(User).where(User.email == email)) if email else None
    password_ok = verify_password(user.password_hash if user else _DUMMY_HASH, password)
    failure = None
    if user is None or not password_ok or not user.is_active:
        failure = LoginFailed("invalid_credentials",
                              "the e-mail or password is wrong, or the account is disabled")
    elif user.mfa_enabled and not totp:
        failure = LoginFailed("totp_required", "this account needs the 6-digit code from its authenticator")
    elif user.mfa_enabled:
        step = _totp_step(user.mfa_secret or "", totp, now, user.mfa_last_step)
        if step is None:
            failure = LoginFailed("totp_invalid", "the authenticator code is wrong or was used already")
        else:
            user.mfa_last_step = step
    if failure is not None:
        audit_log.record(session, SYSTEM, now, "auth.login_failed", data={
            "email": email[:254], "reason": failure.reason, "address": address,
            "user_id": user.id if user else None,
        })
        return LoginOutcome(failure=failure)
    assert user is not None
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    if isinstance(previous_sid, str) and previous_sid:
        session.execute(update(UserSession).where(
            UserSession.sid_hash == secret_hash(previous_sid), UserSession.ended_at.is_(None),
        ).values(ended_at=now))
    sid, user_session = _open_session(session, user, now, policy, address)
    user.last_login_at = now
    audit_log.record(session, Actor.for_user(user), now, "auth.login", data={
        "session_id": user_session.id, "address": address, "mfa": user.mfa_enabled,
    })
    return LoginOutcome(user=user, sid=sid, user_session=user_session)


def _open_session(session: Session, user: User, now: dt.datetime, policy: SessionPolicy,
                  address: str | None) -> tuple[str, UserSession]:
    sid = secrets.token_urlsafe(32)
    row = UserSession(
        user_id=user.id, sid_hash=secret_hash(sid), created_at=now, last_seen_at=now,
        expires_at=now + policy.absolute, mfa_verified=user.mfa_enabled,
        address=(address or "")[:64] or None,
    )
    session.add(row)
    session.flush()
    return sid, row


def resolve_session(session: Session, clock: Clock, policy: SessionPolicy, sid: str
                    ) -> tuple[UserSession, User] | None:
    """The live session behind a cookie's id, or None once ended, idle too long or past its end."""
    if not isinstance(sid, str) or not sid or len(sid) > 100:
        return None
    now = clock()
    found = session.execute(
        select(UserSession, User).join(User, User.id == UserSession.user_id)
        .where(UserSession.sid_hash == secret_hash(sid), UserSession.ended_at.is_(None))
        .options(joinedload(User.role_rows))  # one query, the roles with the user
    ).unique().first()
    if found is None:
        return None
    row, user = found
    if not user.is_active or row.expires_at <= now or row.last_seen_at + policy.idle <= now:
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return row, user


def end_session(session: Session, clock: Clock, user_session: UserSession, user: User) -> None:
    now = clock()
    if user_session.ended_at is None:
        user_session.ended_at = now
        audit_log.record(session, Actor.for_user(user), now, "auth.logout",
                         data={"session_id": user_session.id})


def end_everything(session: Session, user_id: int, now: dt.datetime) -> tuple[int, int]:
    """End every session and revoke every token of the user; returns how many of each."""
    sessions = session.execute(
        update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .values(ended_at=now)
    ).rowcount
    tokens = session.execute(
        update(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount
    return sessions, tokens


# --- MFA -------------------------------------------------------------------------------------

def begin_mfa_enrolment(session: Session, clock: Clock, user: User) -> tuple[str, str]:
    """A new secret for the user's authenticator; it counts only once confirmed with a code."""
    if user.mfa_enabled:
        raise Conflict("two-factor authentication is on already; an administrator can reset it")
    user.mfa_secret = pyotp.random_base32()
    user.updated_at = clock()
    uri = pyotp.TOTP(user.mfa_secret).provisioning_uri(name=user.email, issuer_name=MFA_ISSUER)
    return user.mfa_secret, uri


def confirm_mfa_enrolment(session: Session, clock: Clock, user: User, code: str,
                          user_session: UserSession | None) -> None:
    if user.mfa_enabled:
        raise Conflict("two-factor authentication is on already")
    if not user.mfa_secret:
        raise Conflict("start the enrolment first: it gives the secret for the authenticator")
    now = clock()
    step = _totp_step(user.mfa_secret, code, now, user.mfa_last_step)
    if step is None:
        raise ValidationFailed({"totp": ["the code does not match; check the authenticator's clock"]})
    user.mfa_enabled = True
    user.mfa_last_step = step
    user.updated_at = now
    if user_session is not None:
        user_session.mfa_verified = True
    audit_log.record(session, Actor.for_user(user), now, "auth.mfa_enabled", data={"user_id": user.id})


# --- API tokens ------------------------------------------------------------------------------

def create_token(session: Session, actor: Actor, clock: Clock, *, name: str, days: int
                 ) -> tuple[ApiToken, str]:
    """A new token for the actor; the secret is returned here and never again."""
    now = clock()
    plain = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=actor.id, name=name.strip()[:100], token_hash=secret_hash(plain), prefix=plain[:10],
        created_at=now, expires_at=now + dt.timedelta(days=days),
    )
    session.add(token)
    session.flush()
    audit_log.record(session, actor, now, "token.created", data={
        "token_id": token.id, "name": token.name, "expires_at": token.expires_at,
    })
    return token, plain


def list_tokens(session: Session, actor: Actor) -> list[ApiToken]:
    return list(session.scalars(
        select(ApiToken).where(ApiToken.user_id == actor.id).order_by(ApiToken.id.desc()).limit(200)
    ))


def revoke_token(session: Session, actor: Actor, clock: Clock, token_id: int) -> None:
    token = session.get(ApiToken, token_id)
    if token is None or (token.user_id != actor.id and ADMIN not in actor.roles):
        raise NotFound(f"token {token_id} not found")
    if token.revoked_at is None:
        now = clock()
        token.revoked_at = now
        audit_log.record(session, actor, now, "token.revoked",
                         data={"token_id": token.id, "owner_id": token.user_id})


def resolve_token(session: Session, clock: Clock, plain: str) -> tuple[ApiToken, User] | None:
    if not isinstance(plain, str) or not plain.startswith(TOKEN_PREFIX) or len(plain) > 100:
        return None
    now = clock()
    found = session.execute(
        select(ApiToken, User).join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == secret_hash(plain), ApiToken.revoked_at.is_(None))
        .options(joinedload(User.role_rows))  # one query, the roles with the user
    ).unique().first()
    if found is None:
        return None
    token, user = found
    if not user.is_active or token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token, user
