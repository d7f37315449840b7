"""Signing in and staying signed in over HTTP: cookies, sessions, CSRF, two-factor, login limits,
tokens, the audit trail of it all, security headers and the shape of errors."""

from __future__ import annotations

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import PASSWORD, World, complete_fields, make_app

API = "/api/v1"
COOKIE = "tacase_session"


# --- helpers -----------------------------------------------------------------------------------

def session_cookie(client: FlaskClient) -> str | None:
    cookie = client.get_cookie(COOKIE)
    return cookie.value if cookie is not None else None


def sid_of(app: Flask, cookie_value: str) -> str:
    """The server-side session id inside Flask's signed cookie."""
    return app.session_interface.get_signing_serializer(app).loads(cookie_value)["sid"]


def copy_of(app: Flask, client: FlaskClient) -> FlaskClient:
    """A second browser holding a copy of the first one's session cookie."""
    other = app.test_client()
    other.set_cookie(COOKIE, session_cookie(client))
    return other


def csrf(data: dict) -> dict[str, str]:
    return {"X-CSRFToken": data["csrf_token"]}


def new_case(client: FlaskClient, headers: dict[str, str]) -> str:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=headers)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["reference"]


def audit_actions(client: FlaskClient, auditor, **query: str) -> list[dict]:
    r = client.get(f"{API}/audit", query_string={"limit": 500, **query}, headers=auditor.auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["items"]


@pytest.fixture
def focal(world):
    return world.account("state_focal_point", state="FJI")


@pytest.fixture
def admin(world):
    return world.account("admin")


# --- signing in and out --------------------------------------------------------------------------

def test_login_returns_the_user_and_a_csrf_token_and_sets_a_safe_cookie(world, client, focal):
    r = client.post(f"{API}/auth/login", json={"email": focal.email, "password": PASSWORD})
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert body["user"]["email"] == focal.email
    assert body["user"]["auth_method"] == "session"
    assert body["csrf_token"]
    set_cookie = r.headers["Set-Cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in set_cookie
    assert "SameSite=Lax" in set_cookie
    cookie = client.get_cookie(COOKIE)
    assert cookie.http_only and cookie.same_site == "Lax"
    me = client.get(f"{API}/me")
    assert me.status_code == 200
    assert me.get_json()["email"] == focal.email


def test_each_login_gets_a_new_session_and_logout_ends_the_old_one(world, client, focal):
    data = world.login(client, focal)
    first_cookie = session_cookie(client)
    old_browser = copy_of(world.app, client)
    assert client.post(f"{API}/auth/logout", headers=csrf(data)).status_code == 204
    assert session_cookie(client) is None

    world.login(client, focal)
    second_cookie = session_cookie(client)
    assert second_cookie != first_cookie
    assert sid_of(world.app, second_cookie) != sid_of(world.app, first_cookie)
    assert client.get(f"{API}/me").status_code == 200
    assert old_browser.get(f"{API}/me").status_code == 401


def test_a_planted_cookie_is_not_promoted_by_signing_in(world, focal):
    """Session fixation: the victim's login never adopts a session id the attacker knows."""
    attacker = world.account("state_focal_point", state="FJI")
    attacker_client = world.app.test_client()
    world.login(attacker_client, attacker)
    victim_client = copy_of(world.app, attacker_client)
    world.login(victim_client, focal)
    victim_sid = sid_of(world.app, session_cookie(victim_client))
    assert victim_sid != sid_of(world.app, session_cookie(attacker_client))
    # The planted session ended when the browser holding it signed in as someone else.
    assert attacker_client.get(f"{API}/me").status_code == 401
    assert victim_client.get(f"{API}/me").get_json()["email"] == focal.email


def test_logout_ends_the_session_for_every_copy_of_the_cookie(world, client, focal):
    data = world.login(client, focal)
    stolen = copy_of(world.app, client)
    assert stolen.get(f"{API}/me").status_code == 200
    assert client.post(f"{API}/auth/logout", headers=csrf(data)).status_code == 204
    r = stolen.get(f"{API}/me")
    assert r.status_code == 401
    assert r.get_json()["code"] == "unauthenticated"
    assert client.get(f"{API}/me").status_code == 401


def test_logout_needs_the_csrf_token(world, client, focal):
    world.login(client, focal)
    r = client.post(f"{API}/auth/logout")
    assert r.status_code == 403
    assert r.get_json()["code"] == "csrf_failed"
    assert client.get(f"{API}/me").status_code == 200


def test_disabling_an_account_ends_its_sessions_and_tokens_at_once(world, client, focal, admin):
    world.login(client, focal)
    elsewhere = copy_of(world.app, client)
    assert elsewhere.get(f"{API}/me").status_code == 200
    assert client.get(f"{API}/me", headers=focal.auth).status_code == 200

    r = client.patch(f"{API}/users/{focal.id}", json={"is_active": False}, headers=admin.auth)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["is_active"] is False

    assert elsewhere.get(f"{API}/me").status_code == 401
    assert world.app.test_client().get(f"{API}/me", headers=focal.auth).status_code == 401
    # and the password no longer opens a new session
    r = world.app.test_client().post(f"{API}/auth/login", json={"email": focal.email, "password": PASSWORD})
    assert r.status_code == 401


def test_only_an_administrator_may_disable_an_account(world, client, focal):
    reviewer = world.account("reviewer")
    r = client.patch(f"{API}/users/{focal.id}", json={"is_active": False}, headers=reviewer.auth)
    assert r.status_code == 403
    assert client.get(f"{API}/me", headers=focal.auth).status_code == 200


# --- timeouts ------------------------------------------------------------------------------------

def test_an_idle_session_expires(world, client, focal):
    world.login(client, focal)
    world.clock.advance(minutes=29)
    assert client.get(f"{API}/me").status_code == 200  # activity keeps it alive
    world.clock.advance(minutes=29)
    assert client.get(f"{API}/me").status_code == 200
    world.clock.advance(minutes=31)
    assert client.get(f"{API}/me").status_code == 401


def test_the_idle_timeout_is_configurable(fresh_db, api_clock):
    app = make_app(fresh_db, api_clock, TACASE_SESSION_IDLE_MINUTES="5")
    try:
        world = World(app, api_clock)
        focal = world.account("state_focal_point", state="FJI")
        client = app.test_client()
        world.login(client, focal)
        api_clock.advance(minutes=4)
        assert client.get(f"{API}/me").status_code == 200
        api_clock.advance(minutes=6)
        assert client.get(f"{API}/me").status_code == 401
    finally:
        app.extensions["tacase"]["engine"].dispose()


def test_a_session_ends_after_its_absolute_lifetime_however_active(world, client, focal):
    world.login(client, focal)  # the absolute lifetime is 12 hours by default
    for _ in range(35):  # 11 hours 40 minutes of activity every 20 minutes
        world.clock.advance(minutes=20)
        assert client.get(f"{API}/me").status_code == 200
    world.clock.advance(minutes=19)
    assert client.get(f"{API}/me").status_code == 200
    world.clock.advance(minutes=2)
    assert client.get(f"{API}/me").status_code == 401


# --- CSRF ----------------------------------------------------------------------------------------

def test_a_cookie_write_without_the_csrf_token_is_refused(world, client, focal):
    world.login(client, focal)
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()})
    assert r.status_code == 403
    body = r.get_json()
    assert body["code"] == "csrf_failed"
    assert body["message"]
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()},
                    headers={"X-CSRFToken": "not-the-token"})
    assert r.status_code == 403
    assert r.get_json()["code"] == "csrf_failed"
    assert client.get(f"{API}/cases").get_json()["total"] == 0


def test_a_cookie_write_with_the_csrf_token_works(world, client, focal):
    data = world.login(client, focal)
    reference = new_case(client, csrf(data))
    assert client.get(f"{API}/cases/{reference}").status_code == 200


def test_the_csrf_token_of_another_session_does_not_work(world, client, focal):
    other = world.app.test_client()
    other_data = world.login(other, world.account("state_focal_point", state="FJI"))
    world.login(client, focal)
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=csrf(other_data))
    assert r.status_code == 403
    assert r.get_json()["code"] == "csrf_failed"


def test_bearer_token_writes_need_no_csrf_token(client, focal):
    new_case(client, focal.auth)


def test_reads_with_a_cookie_need_no_csrf_token(world, client, focal):
    world.login(client, focal)
    assert client.get(f"{API}/cases").status_code == 200


# --- two-factor authentication ----------------------------------------------------------------------

def test_staff_without_mfa_sign_in_but_may_not_touch_cases_until_enrolled(world, client, focal):
    reference = new_case(client, focal.auth)
    reviewer = world.account("reviewer", mfa=False)
    data = world.login(client, reviewer)
    assert data["user"]["mfa_required"] is True
    assert data["user"]["mfa_enrolment_required"] is True
    headers = csrf(data)

    refused = [
        client.get(f"{API}/cases"),
        client.get(f"{API}/cases/{reference}"),
        client.get(f"{API}/cases/{reference}/events"),
        client.get(f"{API}/cases/{reference}/transitions"),
        client.get(f"{API}/cases/{reference}/comments"),
        client.post(f"{API}/cases/{reference}/comments", json={"body": "hello"}, headers=headers),
        client.post(f"{API}/cases/{reference}/transitions", json={"trigger": "review"}, headers=headers),
        client.post(f"{API}/tokens", json={"name": "a way around"}, headers=headers),
    ]
    for r in refused:
        assert r.status_code == 403, (r.request.path, r.get_json())
        assert r.get_json()["code"] == "mfa_required"
    # their API token does not get round it either
    r = world.app.test_client().get(f"{API}/cases", headers=reviewer.auth)
    assert r.status_code == 403 and r.get_json()["code"] == "mfa_required"
    assert client.get(f"{API}/me").status_code == 200

    r = client.post(f"{API}/auth/mfa", headers=headers)
    assert r.status_code == 200, r.get_json()
    enrolment = r.get_json()
    assert enrolment["secret"]
    assert enrolment["provisioning_uri"].startswith("otpauth://totp/")
    world.clock.advance(seconds=30)
    code = pyotp.TOTP(enrolment["secret"]).at(world.clock())
    r = client.post(f"{API}/auth/mfa/confirm", json={"totp": code}, headers=headers)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["mfa_enabled"] is True

    assert client.get(f"{API}/cases").status_code == 200
    assert client.get(f"{API}/cases/{reference}").status_code == 200
    # from now on signing in needs a code
    world.clock.advance(seconds=30)
    again = world.app.test_client()
    r = again.post(f"{API}/auth/login", json={"email": reviewer.email, "password": PASSWORD})
    assert r.status_code == 401 and r.get_json()["code"] == "totp_required"
    r = again.post(f"{API}/auth/login", json={"email": reviewer.email, "password": PASSWORD,
                                              "totp": pyotp.TOTP(enrolment["secret"]).at(world.clock())})
    assert r.status_code == 200, r.get_json()


def test_mfa_enrolment_refuses_a_wrong_code(world, client):
    reviewer = world.account("reviewer", mfa=False)
    headers = csrf(world.login(client, reviewer))
    assert client.post(f"{API}/auth/mfa", headers=headers).status_code == 200
    r = client.post(f"{API}/auth/mfa/confirm", json={"totp": "000000"}, headers=headers)
    assert r.status_code == 422
    assert "totp" in r.get_json()["errors"]
    assert client.get(f"{API}/cases").get_json()["code"] == "mfa_required"


def test_staff_with_mfa_need_a_valid_code(world, client):
    reviewer = world.account("reviewer")
    body = {"email": reviewer.email, "password": PASSWORD}
    r = client.post(f"{API}/auth/login", json=body)
    assert r.status_code == 401
    assert r.get_json()["code"] == "totp_required"
    world.clock.advance(seconds=30)
    totp = pyotp.TOTP(reviewer.mfa_secret)
    good = totp.at(world.clock())
    near = {totp.at(world.clock(), counter_offset=offset) for offset in (-1, 0, 1)}  # accepted now
    wrong = next(c for c in ("000000", "111111", "222222", "333333") if c not in near)
    r = client.post(f"{API}/auth/login", json={**body, "totp": wrong})
    assert r.status_code == 401
    assert r.get_json()["code"] == "totp_invalid"
    assert client.get(f"{API}/me").status_code == 401
    data = world.login(client, reviewer, totp=good)
    assert data["user"]["mfa_enrolment_required"] is False
    assert client.get(f"{API}/cases").status_code == 200


def test_a_totp_code_works_once(world, client):
    reviewer = world.account("reviewer")
    code = world.totp(reviewer)
    data = world.login(client, reviewer, totp=code)
    assert client.post(f"{API}/auth/logout", headers=csrf(data)).status_code == 204
    r = client.post(f"{API}/auth/login", json={"email": reviewer.email, "password": PASSWORD, "totp": code})
    assert r.status_code == 401
    assert r.get_json()["code"] == "totp_invalid"
    world.login(client, reviewer)  # the next code is fine


def test_focal_points_need_no_mfa(world, client, focal):
    data = world.login(client, focal)
    assert data["user"]["mfa_required"] is False
    assert data["user"]["mfa_enrolment_required"] is False
    assert client.get(f"{API}/cases").status_code == 200
    new_case(client, csrf(data))


# --- login limits --------------------------------------------------------------------------------

@pytest.fixture
def limited(fresh_db, api_clock):
    """An app with short login limits: 3 failures per account, 5 per address, a minute each."""
    app = make_app(fresh_db, api_clock, TACASE_LOGIN_LIMIT_PER_ACCOUNT="3 per minute",
                   TACASE_LOGIN_LIMIT_PER_ADDRESS="5 per minute")
    yield World(app, api_clock)
    app.extensions["tacase"]["engine"].dispose()


def client_at(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return client


def login_as(client: FlaskClient, email: str, password: str):
    return client.post(f"{API}/auth/login", json={"email": email, "password": password})


def test_failed_logins_are_limited_per_account(limited):
    focal = limited.account("state_focal_point", state="FJI")
    bystander = limited.account("state_focal_point", state="FJI")
    client = limited.app.test_client()
    for _ in range(3):
        assert login_as(client, focal.email, "wrong password").status_code == 401
    r = login_as(client, focal.email, "wrong password")
    assert r.status_code == 429
    assert r.get_json()["code"] == "rate_limited"
    assert int(r.headers["Retry-After"]) >= 1
    # the right password does not get through either, from this address or another
    assert login_as(client, focal.email, PASSWORD).status_code == 429
    elsewhere = client_at(limited.app, "198.51.100.7")
    assert login_as(elsewhere, focal.email, PASSWORD).status_code == 429
    # the same address may still sign in to another account
    assert login_as(client, bystander.email, PASSWORD).status_code == 200


def test_failed_logins_are_limited_per_address(limited):
    focal = limited.account("state_focal_point", state="FJI")
    client = client_at(limited.app, "203.0.113.9")
    for i in range(5):  # a different (unknown) account each time: only the address counts up
        assert login_as(client, f"nobody{i}@example.org", "guess").status_code == 401
    r = login_as(client, focal.email, PASSWORD)
    assert r.status_code == 429
    assert int(r.headers["Retry-After"]) >= 1
    other_address = client_at(limited.app, "203.0.113.10")
    assert login_as(other_address, focal.email, PASSWORD).status_code == 200


def test_a_missing_totp_does_not_count_as_a_failure(limited):
    reviewer = limited.account("reviewer")
    client = limited.app.test_client()
    for _ in range(4):
        r = login_as(client, reviewer.email, PASSWORD)
        assert r.status_code == 401 and r.get_json()["code"] == "totp_required"
    limited.login(client, reviewer)


# --- the audit trail of accounts --------------------------------------------------------------------

def test_sign_ins_tokens_and_account_changes_are_audited(world, client, focal, admin):
    board = world.account("board")
    reviewer = world.account("reviewer")
    approver = world.account("approver")
    assert login_as(client, focal.email, "wrong password").status_code == 401
    world.login(client, focal)
    r = client.post(f"{API}/tokens", json={"name": "ci"}, headers=focal.auth)
    assert r.status_code == 201
    token_id = r.get_json()["id"]
    r = client.patch(f"{API}/users/{reviewer.id}", json={"roles": ["reviewer", "approver"]},
                     headers=admin.auth)
    assert r.status_code == 200, r.get_json()
    r = client.patch(f"{API}/users/{focal.id}", json={"is_active": False}, headers=admin.auth)
    assert r.status_code == 200, r.get_json()

    events = audit_actions(client, board)
    by_action: dict[str, list[dict]] = {}
    for event in events:
        by_action.setdefault(event["action"], []).append(event)

    failed = [e for e in by_action["auth.login_failed"] if e["data"]["email"] == focal.email]
    assert [e["data"]["reason"] for e in failed] == ["invalid_credentials"]
    assert "wrong password" not in str(failed[0])
    assert [e["actor"]["id"] for e in by_action["auth.login"]] == [focal.id]
    assert any(e["data"]["token_id"] == token_id and e["actor"]["id"] == focal.id
               for e in by_action["token.created"])
    (roles,) = by_action["user.roles_changed"]
    assert roles["actor"]["id"] == admin.id
    assert roles["data"] == {"user_id": reviewer.id,
                             "roles": {"from": ["reviewer"], "to": ["approver", "reviewer"]}}
    (disabled,) = by_action["user.disabled"]
    assert disabled["actor"]["id"] == admin.id
    assert disabled["data"]["user_id"] == focal.id
    assert disabled["data"]["sessions_ended"] == 1
    assert disabled["data"]["tokens_revoked"] == 2  # the fixture's token and "ci"

    # an administrator reads it too, filtered by a prefix; nobody else does
    auth_events = audit_actions(client, admin, action="auth.")
    assert {e["action"] for e in auth_events} == {"auth.login_failed", "auth.login"}
    assert client.get(f"{API}/audit", headers=approver.auth).status_code == 403


def test_a_role_change_ends_the_accounts_sessions(world, client, admin):
    reviewer = world.account("reviewer")
    world.login(client, reviewer)
    r = world.app.test_client().patch(f"{API}/users/{reviewer.id}", json={"roles": ["approver"]},
                                      headers=admin.auth)
    assert r.status_code == 200, r.get_json()
    assert client.get(f"{API}/me").status_code == 401


# --- API tokens ----------------------------------------------------------------------------------

def test_a_token_secret_is_shown_once_and_revoking_ends_it(world, client, focal):
    r = client.post(f"{API}/tokens", json={"name": "reporting script", "expires_in_days": 7},
                    headers=focal.auth)
    assert r.status_code == 201, r.get_json()
    created = r.get_json()
    secret = created["token"]
    assert secret.startswith(created["prefix"])
    bearer = {"Authorization": f"Bearer {secret}"}
    me = client.get(f"{API}/me", headers=bearer)
    assert me.status_code == 200 and me.get_json()["auth_method"] == "token"

    listed = client.get(f"{API}/tokens", headers=bearer).get_json()
    assert {t["name"] for t in listed} == {"tests", "reporting script"}
    assert all("token" not in t for t in listed)
    assert secret not in str(listed)

    assert client.delete(f"{API}/tokens/{created['id']}", headers=bearer).status_code == 204
    assert client.get(f"{API}/me", headers=bearer).status_code == 401
    assert client.get(f"{API}/me", headers=focal.auth).status_code == 200
    (row,) = [t for t in client.get(f"{API}/tokens", headers=focal.auth).get_json()
              if t["id"] == created["id"]]
    assert row["revoked_at"] is not None


def test_nobody_revokes_another_persons_token(world, client, focal):
    other = world.account("state_focal_point", state="FJI")
    token_id = client.post(f"{API}/tokens", json={"name": "mine"}, headers=focal.auth).get_json()["id"]
    assert client.delete(f"{API}/tokens/{token_id}", headers=other.auth).status_code == 404


def test_an_expired_token_is_refused(world, client, focal):
    r = client.post(f"{API}/tokens", json={"name": "short", "expires_in_days": 1}, headers=focal.auth)
    bearer = {"Authorization": f"Bearer {r.get_json()['token']}"}
    world.clock.advance(hours=23, minutes=59)
    assert client.get(f"{API}/me", headers=bearer).status_code == 200
    world.clock.advance(minutes=2)
    r = client.get(f"{API}/me", headers=bearer)
    assert r.status_code == 401
    assert r.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer tac_not-a-real-token", "Bearer ", "Basic dXNlcjpwYXNz"])
def test_a_bad_authorization_header_is_refused(client, header):
    assert client.get(f"{API}/me", headers={"Authorization": header}).status_code == 401


# --- headers -------------------------------------------------------------------------------------

def test_security_headers_and_no_store_on_case_data(client, focal):
    reference = new_case(client, focal.auth)
    r = client.get(f"{API}/cases/{reference}", headers=focal.auth)
    assert r.status_code == 200
    csp = {d.strip().split(" ", 1)[0]: d.strip() for d in r.headers["Content-Security-Policy"].split(";")}
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]
    assert csp["frame-ancestors"] == "frame-ancestors 'none'"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Referrer-Policy"] == "no-referrer"
    assert r.headers["Cache-Control"] == "no-store"
    for path in (f"{API}/cases", f"{API}/cases/{reference}/events"):
        assert client.get(path, headers=focal.auth).headers["Cache-Control"] == "no-store"


def test_errors_carry_the_security_headers_too(client):
    r = client.get(f"{API}/cases")
    assert r.status_code == 401
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in r.headers["Content-Security-Policy"]
    assert r.headers["Cache-Control"] == "no-store"


# --- error shapes --------------------------------------------------------------------------------

def test_malformed_json_is_a_400(client, focal):
    r = client.post(f"{API}/cases", data='{"type": "upr_fund",', content_type="application/json",
                    headers=focal.auth)
    assert r.status_code == 400
    body = r.get_json()
    assert body["code"] == "malformed_json"
    assert body["message"]


def test_a_validation_error_names_the_field(client, focal):
    r = client.post(f"{API}/tokens", json={"expires_in_days": 7}, headers=focal.auth)
    assert r.status_code == 422
    body = r.get_json()
    assert body["code"] == "validation_failed"
    assert body["message"]
    assert "name" in body["errors"]
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields(), "budget": "lots"},
                    headers=focal.auth)
    assert r.status_code == 422
    assert "budget" in r.get_json()["errors"]


def test_a_wrong_method_is_a_405_with_allow(client, focal):
    r = client.delete(f"{API}/cases", headers=focal.auth)
    assert r.status_code == 405
    assert r.get_json()["code"] == "method_not_allowed"
    assert {"GET", "POST"} <= {m.strip() for m in r.headers["Allow"].split(",")}


def test_an_oversized_body_is_a_413(client, focal):
    big = {"type": "upr_fund", **complete_fields(), "objectives": "x" * (1024 * 1024)}
    r = client.post(f"{API}/cases", json=big, headers=focal.auth)
    assert r.status_code == 413
    assert r.get_json()["code"] == "payload_too_large"
    assert client.get(f"{API}/cases", headers=focal.auth).get_json()["total"] == 0


def test_an_unknown_route_is_a_json_404(client, focal):
    for headers in ({}, focal.auth):
        r = client.get(f"{API}/no-such-thing", headers=headers)
        assert r.status_code == 404
        assert r.is_json
        assert r.get_json()["code"] == "not_found"


def test_an_unknown_case_is_a_json_404(client, focal):
    r = client.get(f"{API}/cases/UPR-2026-9999", headers=focal.auth)
    assert r.status_code == 404
    assert r.get_json()["code"] == "not_found"


def test_signing_in_again_ends_the_session_held_before(world, app):
    focal = world.account("state_focal_point", state="FJI")
    client = app.test_client()
    world.login(client, focal)
    old = client.get_cookie("tacase_session").value
    world.login(client, focal)
    stale = app.test_client()
    stale.set_cookie("tacase_session", old)
    assert stale.get("/api/v1/me").status_code == 401
    assert client.get("/api/v1/me").status_code == 200


@pytest.mark.parametrize("where", ["body", "query", "path"])
def test_text_no_database_can_store_is_a_400(client, focal, where):
    if where == "body":
        r = client.post(f"{API}/cases", json={"type": "upr_fund", "title": "a\u0000b"}, headers=focal.auth)
    elif where == "query":
        r = client.get(f"{API}/cases?q=a%00b", headers=focal.auth)
    else:
        r = client.get(f"{API}/cases/UPR-%00", headers=focal.auth)
    assert r.status_code == 400
    assert r.get_json()["code"] in ("bad_request", "malformed_json")


def test_a_lone_surrogate_in_a_body_is_malformed(client, focal):
    body = b'{"type": "upr_fund", "title": "\\ud800"}'
    r = client.post(f"{API}/cases", data=body, content_type="application/json", headers=focal.auth)
    assert r.status_code == 400
    assert r.get_json()["code"] == "malformed_json"


def test_login_limits_can_be_kept_in_redis(fresh_db, api_clock, backend):
    """Several servers share their counts through Redis (TACASE_RATELIMIT_STORAGE_URL)."""
    import socket
    import uuid

    if backend != "sqlite":
        pytest.skip("the storage of the limits does not depend on the database")
    try:
        socket.create_connection(("127.0.0.1", 6379), timeout=1).close()
    except OSError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    env = {"TACASE_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379",
           "TACASE_LOGIN_LIMIT_PER_ACCOUNT": "2 per minute",
           "TACASE_LOGIN_LIMIT_PER_ADDRESS": "1000 per minute"}
    first, second = make_app(fresh_db, api_clock, **env), make_app(fresh_db, api_clock, **env)
    try:
        body = {"email": f"{uuid.uuid4().hex}@example.org", "password": "not the password"}
        assert first.test_client().post(f"{API}/auth/login", json=body).status_code == 401
        assert second.test_client().post(f"{API}/auth/login", json=body).status_code == 401
        assert first.test_client().post(f"{API}/auth/login", json=body).status_code == 429
    finally:
        for app in (first, second):
            app.extensions["tacase"]["engine"].dispose()


def test_nul_in_a_repeated_query_parameter_is_a_400(client, focal):
    r = client.get(f"{API}/cases?status=draft&status=a%00b", headers=focal.auth)
    assert r.status_code == 400
