"""What a request works with: one database session, the actor, the clock; one commit at the end."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from flask import current_app, g
from flask_login import current_user
from sqlalchemy.orm import Session

from tacase.db.models import ApiToken, User, UserSession
from tacase.services import idempotency
from tacase.services.actors import Actor
from tacase.services.auth import mfa_required
from tacase.services.runtime import Runtime


def ext() -> dict[str, Any]:
    return current_app.extensions["tacase"]


def db() -> Session:
    """The request's session, opened on first use and closed (rolled back if uncommitted) at the end."""
    if "tacase_db" not in g:
        g.tacase_db = ext()["sessions"]()
    return g.tacase_db


def commit() -> None:
    db().commit()


def close_db(_exc: BaseException | None = None) -> None:
    session = g.pop("tacase_db", None)
    if session is not None:
        session.close()


def clock() -> dt.datetime:
    return ext()["clock"]()


def clock_fn() -> Any:
    return ext()["clock"]


def runtime() -> Runtime:
    return ext()["runtime"]


def idempotency_lease() -> dt.timedelta:
    """How long a request holds its Idempotency-Key (or one-time form token) before a retry may
    take it: as long as the server lets a request run, and a little more."""
    return idempotency.lease_for(ext()["config"].REQUEST_TIMEOUT_SECONDS)


@dataclass
class Principal:
    """The signed-in user as Flask-Login sees it, with how they proved who they are."""

    user: User
    method: str  # "session" or "token"
    user_session: UserSession | None = None
    token: ApiToken | None = None

    is_authenticated = True
    is_anonymous = False

    @property
    def is_active(self) -> bool:
        return self.user.is_active

    def get_id(self) -> str:
        return str(self.user.id)

    @property
    def actor(self) -> Actor:
        return Actor.for_user(self.user)

    @property
    def mfa_satisfied(self) -> bool:
        if not mfa_required(self.user):
            return True
        if self.method == "session":
            return bool(self.user_session and self.user_session.mfa_verified)
        return self.user.mfa_enabled


def principal() -> Principal | None:
    user = current_user._get_current_object()
    return user if isinstance(user, Principal) else None


def actor() -> Actor:
    p = principal()
    if p is None:  # pragma: no cover - the authentication gate runs first
        raise RuntimeError("no signed-in user")
    return p.actor
