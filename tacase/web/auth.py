"""Who is calling: a bearer token or a server-side session cookie; then MFA, CSRF and login limits."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from flask import Flask, current_app, g, request, session
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_wtf.csrf import CSRFProtect
from limits import parse_many

from tacase.db.models import User, UserSession
from tacase.services import auth as auth_service
from tacase.services.accounts import normalise_email
from tacase.services.auth import SessionPolicy, resolve_session, resolve_token
from tacase.web.context import Principal, clock_fn, commit, db, ext, principal
from tacase.web.errors import ApiError

API_PREFIX = "/api/"
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
# What a staff member who has not yet passed two-factor authentication may still do.
MFA_SETUP_ENDPOINTS = frozenset({"auth.me", "auth.logout", "auth.mfa_enrol", "auth.mfa_confirm", "auth.csrf"})
SESSION_KEY = "sid"
# Routes registered by libraries, which cannot carry the @public mark.
PUBLIC_ENDPOINTS = frozenset({"api-docs.openapi_json"})

csrf = CSRFProtect()


def public(view: Any) -> Any:
    """Mark a view (function or MethodView class) as open to anonymous callers."""
    view._tacase_public = True
    return view


def _is_public(view: Any) -> bool:
    return bool(getattr(view, "_tacase_public", False)
                or getattr(getattr(view, "view_class", None), "_tacase_public", False))


def session_policy() -> SessionPolicy:
    config = ext()["config"]
    return SessionPolicy(idle=dt.timedelta(minutes=config.SESSION_IDLE_MINUTES),
                         absolute=dt.timedelta(hours=config.SESSION_ABSOLUTE_HOURS))


def _load_principal(req: Any) -> Principal | None:
    """Who the request comes from: one query in the request's session. A token's or session's last
    use (written once a minute) commits at once, so that no view's rollback loses it; on SQLite the
    read commits too, as its transaction holds the one write lock and a view may open short
    transactions of its own (an Idempotency-Key's claim). The rows are then let go of, as read: the
    view's rollbacks do not make them read again."""
    clock = clock_fn()
    header = req.headers.get("Authorization")
    if header is not None:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer":
            return None
        found = _detached(resolve_token(db(), clock, value.strip()))
        return Principal(found[1], "token", token=found[0]) if found else None
    sid = session.get(SESSION_KEY)
    if not sid:
        return None
    found = _detached(resolve_session(db(), clock, session_policy(), sid))
    if found is None:
        session.clear()  # ended, idle or expired: the browser forgets it too
        return None
    return Principal(found[1], "session", user_session=found[0])


def _detached(found: tuple[Any, User] | None) -> tuple[Any, User] | None:
    session = db()
    if session.dirty or session.get_bind().dialect.name == "sqlite":
        commit()
    if found is not None:
        for row in found:
            db().expunge(row)  # the user's roles with it
    return found


def _gate() -> None:
    """Authentication, two-factor and CSRF checks for every API route not marked public."""
    if not request.path.startswith(API_PREFIX) or request.endpoint is None:
        return  # not ours, or routing failed: 404 and 405 answer for themselves
    view = current_app.view_functions.get(request.endpoint)
    if view is None or request.endpoint in PUBLIC_ENDPOINTS or _is_public(view):
        return
    p = principal()
    if p is None:
        raise ApiError(401, "sign in first: POST /api/v1/auth/login, or send Authorization: Bearer <token>",
                       headers={"WWW-Authenticate": 'Bearer realm="tacase"'})
    if not p.mfa_satisfied and request.endpoint not in MFA_SETUP_ENDPOINTS:
        raise ApiError(403, "this account needs two-factor authentication: enrol with "
                       "POST /api/v1/auth/mfa, confirm with POST /api/v1/auth/mfa/confirm",
                       code="mfa_required")
    if p.method == "session" and request.method in WRITE_METHODS:
        csrf.protect()


class LoginLimits:
    """Failed logins counted per account and per address in Flask-Limiter's storage."""

    def __init__(self, limiter: Limiter, per_account: str, per_address: str) -> None:
        self.limiter = limiter
        self.per_account = parse_many(per_account)
        self.per_address = parse_many(per_address)

    def _checks(self, account: str, address: str):
        for item in self.per_account:
            yield item, ("login-account", account)
        for item in self.per_address:
            yield item, ("login-address", address)

    def check(self, account: str, address: str) -> None:
        strategy = self.limiter.limiter
        for item, keys in self._checks(account, address):
            if not strategy.test(item, *keys):
                reset = strategy.get_window_stats(item, *keys).reset_time
                wait = max(1, math.ceil(reset - dt.datetime.now(dt.UTC).timestamp()))
                raise ApiError(429, f"too many failed sign-ins; try again in {wait} seconds",
                               headers={"Retry-After": str(wait)})

    def failed(self, account: str, address: str) -> None:
        for item, keys in self._checks(account, address):
            self.limiter.limiter.hit(item, *keys)


def login_limits() -> LoginLimits:
    return ext()["login_limits"]


def sign_in(email: str, password: str, totp: str | None) -> auth_service.LoginOutcome:
    """One sign-in attempt for the API and the web pages alike: login limits checked (ApiError 429),
    the attempt recorded, and on success a new session id in the cookie. A missing code counts as
    no failure (the person is asked for it next)."""
    account = normalise_email(email)[:254]
    address = request.remote_addr or "unknown"
    limits = login_limits()
    limits.check(account, address)
    outcome = auth_service.login(
        db(), clock_fn(), session_policy(), email=email, password=password,
        totp=totp, address=address, previous_sid=session.get(SESSION_KEY),
    )
    commit()
    if outcome.failure is not None:
        if outcome.failure.reason != "totp_required":
            limits.failed(account, address)
        return outcome
    session.clear()  # a new session id at every sign-in: nothing from before carries over
    # Flask-WTF keeps the request's CSRF token in `g` too; the next form gets one of the new session.
    g.pop(current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token"), None)
    session[SESSION_KEY] = outcome.sid
    return outcome


def sign_out_current() -> None:
    """End the signed-in session on the server (a bearer token has none) and forget the cookie."""
    p = principal()
    if p is not None and p.user_session is not None:
        row = db().get(UserSession, p.user_session.id)
        if row is not None:
            auth_service.end_session(db(), clock_fn(), row, p.user)
            commit()
    session.clear()


def init_auth(app: Flask) -> None:
    config = app.extensions["tacase"]["config"]
    manager = LoginManager()
    manager.request_loader(_load_principal)
    manager.init_app(app)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False  # checked in _gate, for cookie-authenticated calls only
    app.config["WTF_CSRF_TIME_LIMIT"] = None  # the token lives as long as the session
    app.config["WTF_CSRF_SSL_STRICT"] = False  # JSON clients send no Referer; the token suffices
    csrf.init_app(app)
    app.config["RATELIMIT_STORAGE_URI"] = config.RATELIMIT_STORAGE_URL
    app.config["RATELIMIT_HEADERS_ENABLED"] = False
    limiter = Limiter(get_remote_address, app=app, default_limits=[])
    app.extensions["tacase"]["limiter"] = limiter
    app.extensions["tacase"]["login_limits"] = LoginLimits(
        limiter, config.LOGIN_LIMIT_PER_ACCOUNT, config.LOGIN_LIMIT_PER_ADDRESS)
    app.before_request(_gate)
