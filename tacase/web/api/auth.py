"""Signing in and out, the current user, two-factor enrolment."""

from __future__ import annotations

from typing import Any

from flask_wtf.csrf import generate_csrf

from tacase.db.models import User, UserSession
from tacase.services import auth as auth_service
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.schemas import (
    CsrfSchema,
    LoginResultSchema,
    LoginSchema,
    MeSchema,
    MfaEnrolmentSchema,
    TotpSchema,
)
from tacase.web.auth import public, sign_in, sign_out_current
from tacase.web.context import clock_fn, commit, db, principal
from tacase.web.errors import ApiError

blp = Blueprint("auth", __name__, url_prefix=f"{API_PREFIX}", description="Signing in, sessions, two-factor")


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": user.id, "email": user.email, "display_name": user.display_name,
        "roles": sorted(user.roles), "state": user.state_code, "is_active": user.is_active,
        "mfa_enabled": user.mfa_enabled, "mfa_required": auth_service.mfa_required(user),
        "locale": user.locale, "created_at": user.created_at, "last_login_at": user.last_login_at,
    }


def me_json(user: User, method: str, mfa_ok: bool) -> dict[str, Any]:
    return {**user_json(user), "auth_method": method, "mfa_enrolment_required": not mfa_ok}


@blp.post("/auth/login")
@public
@blp.arguments(LoginSchema)
@blp.response(200, LoginResultSchema)
@errors(blp, 400, 401, 413, 429)
@blp.doc(operationId="signIn")
@blp.doc(security=[], summary="Sign in", description=(
    "Checks the password (and the 6-digit `totp` code when the account has two-factor "
    "authentication), starts a new server-side session in the `tacase_session` cookie and returns "
    "the user with the CSRF token to send in `X-CSRFToken` on writes. Failed attempts are limited "
    "per account and per address (429)."))
def login(args: dict[str, Any]):
    outcome = sign_in(args["email"], args["password"], args.get("totp"))
    if outcome.failure is not None:
        raise outcome.failure
    assert outcome.user is not None and outcome.user_session is not None
    mfa_ok = outcome.user_session.mfa_verified or not auth_service.mfa_required(outcome.user)
    return {"user": me_json(outcome.user, "session", mfa_ok), "csrf_token": generate_csrf()}


@blp.post("/auth/logout")
@blp.response(204)
@errors(blp, 401, 403)
@blp.doc(operationId="signOut")
@blp.doc(summary="Sign out",
         description="Ends the session on the server: the cookie stops working everywhere.")
def logout():
    sign_out_current()
    return ""


@blp.get("/auth/csrf")
@blp.response(200, CsrfSchema)
@errors(blp, 401)
@blp.doc(operationId="getCsrfToken")
@blp.doc(summary="A CSRF token for this session")
def csrf():
    return {"csrf_token": generate_csrf()}


@blp.get("/me")
@blp.response(200, MeSchema)
@errors(blp, 401)
@blp.doc(operationId="getMe")
@blp.doc(summary="The signed-in user")
def me():
    p = principal()
    assert p is not None
    return me_json(p.user, p.method, p.mfa_satisfied)


@blp.post("/auth/mfa")
@blp.response(200, MfaEnrolmentSchema)
@errors(blp, 401, 403, 409)
@blp.doc(operationId="startMfaEnrolment")
@blp.doc(summary="Start two-factor enrolment", description=(
    "Returns a new secret and its otpauth:// provisioning URI for an authenticator app. "
    "It takes effect once confirmed with a code."))
def mfa_enrol():
    p = principal()
    assert p is not None
    if p.method != "session":
        raise ApiError(403, "enrol from a signed-in session, not with an API token")
    user = db().get(User, p.user.id)
    secret, uri = auth_service.begin_mfa_enrolment(db(), clock_fn(), user)
    commit()
    return {"secret": secret, "provisioning_uri": uri}


@blp.post("/auth/mfa/confirm")
@blp.arguments(TotpSchema)
@blp.response(200, MeSchema)
@errors(blp, 400, 401, 403, 409, 413)
@blp.doc(operationId="confirmMfaEnrolment")
@blp.doc(summary="Confirm two-factor enrolment with a code")
def mfa_confirm(args: dict[str, Any]):
    p = principal()
    assert p is not None
    user = db().get(User, p.user.id)
    row = db().get(UserSession, p.user_session.id) if p.user_session is not None else None
    auth_service.confirm_mfa_enrolment(db(), clock_fn(), user, args["totp"], row)
    commit()
    return me_json(user, p.method, True)
