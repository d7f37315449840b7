"""The account pages: two-factor enrolment with a QR code, changing the password and the language."""

from __future__ import annotations

import html as html_lib
import json
import re

import pyotp
import pytest
from sqlalchemy import select

from tacase.db.models import AuditEvent, User, UserSession
from tests.api.conftest import PASSWORD
from tests.web.conftest import csrf_token, sign_in

HIDDEN = re.compile(r'<input id="[^"]*" name="([^"]+)" type="hidden" value="([^"]*)">')
KEY = re.compile(r'<code class="mfa-key">([A-Z2-7 ]+)</code>')
NEW_PASSWORD = "lantern orchard velvet quarry"


def text(response) -> str:
    return response.get_data(as_text=True)


def hidden_fields(client, path: str, prefix: str = "") -> dict[str, str]:
    """The hidden fields (CSRF and one-time token) of the form with this prefix on the page."""
    page = text(client.get(path))
    fields = {name: html_lib.unescape(value) for name, value in HIDDEN.findall(page)}
    wanted = {n: v for n, v in fields.items()
              if n.startswith(prefix) and n.endswith(("csrf_token", "form_token"))}
    assert len(wanted) == 2, (path, prefix, fields)
    return wanted


def key_on(page: str) -> str:
    found = KEY.search(page)
    assert found, "no key on the enrolment page"
    return found.group(1).replace(" ", "")


def user_row(app, email: str) -> User:
    with app.extensions["tacase"]["sessions"]() as s:
        user = s.scalar(select(User).where(User.email == email))
        s.expunge(user)
        return user


def audit(app, action: str) -> list[dict]:
    with app.extensions["tacase"]["sessions"]() as s:
        rows = s.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq))
        return [json.loads(row.body) for row in rows]


def live_sessions(app, email: str) -> int:
    with app.extensions["tacase"]["sessions"]() as s:
        user = s.scalar(select(User).where(User.email == email))
        return len(list(s.scalars(select(UserSession).where(
            UserSession.user_id == user.id, UserSession.ended_at.is_(None)))))


# --- two-factor enrolment ----------------------------------------------------------------------

def test_enrolment_end_to_end(client, app, seeded, api_clock):
    assert sign_in(client, seeded.unenrolled).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/mfa"
    assert client.get("/account").headers["Location"] == "/account/mfa"

    response = client.get("/account/mfa")
    page = text(response)
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    assert '<img class="mfa-qr" src="data:image/svg+xml' in page
    secret = key_on(page)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    alt = re.search(r'<img class="mfa-qr"[^>]* alt="([^"]+)"', page)
    assert alt and grouped in alt.group(1)
    assert "<script" not in page and "style=" not in page
    assert '<label class="label" for="code">' in page
    # A reload keeps the pending secret: an authenticator set up from the first page still works.
    assert key_on(text(client.get("/account/mfa"))) == secret
    assert user_row(app, seeded.unenrolled.email).mfa_enabled is False

    fields = hidden_fields(client, "/account/mfa")
    api_clock.advance(seconds=30)
    response = client.post("/account/mfa", data={**fields, "code": pyotp.TOTP(secret).at(api_clock())})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    home = client.get("/", follow_redirects=True)  # the office's home may lead on to its work queue
    assert home.status_code == 200 and home.request.path != "/account/mfa"  # verified: no new sign-in
    assert "Two-factor authentication is on" in text(home)
    user = user_row(app, seeded.unenrolled.email)
    assert user.mfa_enabled and user.mfa_secret == secret
    assert [e["data"]["user_id"] for e in audit(app, "auth.mfa_enabled")] == [user.id]

    # The next sign-in asks for a code.
    client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account")})
    assert sign_in(client, seeded.unenrolled).status_code == 401
    api_clock.advance(seconds=30)
    assert sign_in(client, seeded.unenrolled, totp=pyotp.TOTP(secret).at(api_clock())).status_code == 302


def test_a_wrong_code_is_said_next_to_the_field_and_the_token_works_after(client, app, seeded, api_clock):
    sign_in(client, seeded.unenrolled)
    secret = key_on(text(client.get("/account/mfa")))
    fields = hidden_fields(client, "/account/mfa")
    wrong = "000000" if pyotp.TOTP(secret).at(api_clock()) != "000000" else "111111"
    response = client.post("/account/mfa", data={**fields, "code": wrong})
    page = text(response)
    assert response.status_code == 422
    assert 'id="code-error"' in page and "The code does not match" in page
    assert 'class="error-summary"' in page and '<a href="#code">' in page
    assert key_on(page) == secret  # still the same enrolment
    assert f'value="{fields["form_token"]}"' in page
    assert user_row(app, seeded.unenrolled.email).mfa_enabled is False

    response = client.post("/account/mfa", data={**fields, "code": "12ab"})
    assert response.status_code == 422 and "Enter the 6 digits" in text(response)

    response = client.post("/account/mfa", data={**fields, "code": pyotp.TOTP(secret).at(api_clock())})
    assert response.status_code == 303
    assert user_row(app, seeded.unenrolled.email).mfa_enabled is True


def test_confirming_twice_with_the_same_form_does_it_once(client, app, seeded, api_clock):
    sign_in(client, seeded.unenrolled)
    secret = key_on(text(client.get("/account/mfa")))
    fields = hidden_fields(client, "/account/mfa")
    data = {**fields, "code": pyotp.TOTP(secret).at(api_clock())}
    assert client.post("/account/mfa", data=data).status_code == 303
    again = client.post("/account/mfa", data=data)
    assert again.status_code == 303 and again.headers["Location"] == "/"
    assert "already been sent" in text(client.get("/", follow_redirects=True))
    assert len(audit(app, "auth.mfa_enabled")) == 1


def test_an_enrolled_account_is_told_so_and_not_enrolled_again(client, app, seeded, api_clock):
    before = user_row(app, seeded.reviewer.email).mfa_secret
    sign_in(client, seeded.reviewer, totp=seeded.reviewer.code(api_clock))
    response = client.get("/account/mfa")
    page = text(response)
    assert response.status_code == 200
    assert "Two-factor authentication is on" in page
    assert "mfa-qr" not in page and "mfa-key" not in page
    assert user_row(app, seeded.reviewer.email).mfa_secret == before
    response = client.post("/account/mfa", data={"csrf_token": csrf_token(client, "/account"),
                                                 "form_token": "a-fresh-token", "code": "123456"})
    assert response.status_code == 409 and "Two-factor authentication is on" in text(response)
    assert user_row(app, seeded.reviewer.email).mfa_secret == before


def test_a_session_opened_before_enrolment_elsewhere_is_asked_to_sign_in_again(app, seeded, api_clock):
    first, second = app.test_client(), app.test_client()
    sign_in(first, seeded.unenrolled)
    sign_in(second, seeded.unenrolled)
    secret = key_on(text(first.get("/account/mfa")))
    fields = hidden_fields(first, "/account/mfa")
    first.post("/account/mfa", data={**fields, "code": pyotp.TOTP(secret).at(api_clock())})
    assert second.get("/").headers["Location"] == "/account/mfa"
    page = text(second.get("/account/mfa"))
    assert "Sign out, then sign in again with a code" in page and "mfa-qr" not in page


def test_a_focal_point_may_turn_it_on_without_being_made_to(client, seeded):
    sign_in(client, seeded.fiji)
    assert client.get("/").status_code == 200
    page = text(client.get("/account"))
    assert "optional for your account" in page
    assert "mfa-qr" in text(client.get("/account/mfa"))


# --- the account page ------------------------------------------------------------------------------

def test_the_account_page_says_who_you_are(client, seeded, api_clock):
    sign_in(client, seeded.fiji)
    response = client.get("/account")
    page = text(response)
    assert response.status_code == 200
    assert seeded.fiji.email in page and "State focal point" in page and "Fiji" in page
    for name in ("language-locale", "password-current_password", "password-new_password",
                 "password-repeat_password"):
        assert f'<label class="label" for="{name}">' in page and f'id="{name}"' in page
    assert "<script" not in page and "style=" not in page
    assert '<option lang="en" selected value="en">English</option>' in page

    other = client.application.test_client()
    sign_in(other, seeded.reviewer, totp=seeded.reviewer.code(api_clock))
    page = text(other.get("/account"))
    assert "Reviewer" in page and "<strong>On</strong>" in page


# --- the password ----------------------------------------------------------------------------------

def change_password(client, current: str, new: str, repeated: str | None = None, fields=None):
    fields = fields or hidden_fields(client, "/account", "password-")
    return client.post("/account/password", data={
        **fields, "password-current_password": current, "password-new_password": new,
        "password-repeat_password": new if repeated is None else repeated})


@pytest.mark.parametrize(("current", "new", "repeated", "field", "message"), [
    ("not my password at all", NEW_PASSWORD, None, "current_password", "The current password is wrong."),
    (PASSWORD, "short", None, "new_password", "Use at least 12 characters."),
    (PASSWORD, "password1234", None, "new_password", "too common"),
    (PASSWORD, PASSWORD, None, "new_password", "different from the current one"),
    (PASSWORD, NEW_PASSWORD, "lantern orchard velvet quarri", "repeat_password", "are not the same"),
])
def test_a_refused_password_change_says_why_next_to_the_field(client, app, seeded, current, new, repeated,
                                                              field, message):
    sign_in(client, seeded.fiji)
    response = change_password(client, current, new, repeated)
    page = text(response)
    assert response.status_code == 422
    assert f'id="password-{field}-error"' in page and message in page
    assert f'<a href="#password-{field}">' in page
    for secret in {current, new, repeated} - {None}:
        assert f'value="{secret}"' not in page  # passwords are never written back into the page
    assert not audit(app, "auth.password_changed")
    assert sign_in(app.test_client(), seeded.fiji).status_code == 302  # the old one still works


def test_changing_the_password_ends_the_other_sessions_only(client, app, seeded):
    elsewhere = app.test_client()
    sign_in(elsewhere, seeded.fiji)
    sign_in(client, seeded.fiji)
    assert live_sessions(app, seeded.fiji.email) == 2
    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    assert "Your password was changed" in text(client.get("/account"))
    assert client.get("/").status_code == 200  # this session goes on
    assert elsewhere.get("/").status_code == 302  # the other one has ended
    assert live_sessions(app, seeded.fiji.email) == 1
    [event] = audit(app, "auth.password_changed")
    assert event["data"]["sessions_ended"] == 1
    assert sign_in(app.test_client(), seeded.fiji).status_code == 401  # the old password is refused
    assert sign_in(app.test_client(), seeded.fiji, password=NEW_PASSWORD).status_code == 302


def test_the_same_password_form_sent_twice_changes_it_once(client, app, seeded):
    sign_in(client, seeded.fiji)
    fields = hidden_fields(client, "/account", "password-")
    assert change_password(client, PASSWORD, NEW_PASSWORD, fields=fields).status_code == 303
    again = change_password(client, PASSWORD, NEW_PASSWORD, fields=fields)
    assert again.status_code == 303 and again.headers["Location"] == "/account"
    assert "already been sent" in text(client.get("/account"))
    assert len(audit(app, "auth.password_changed")) == 1


def test_wrong_current_passwords_are_limited_like_sign_ins(client, seeded):
    sign_in(client, seeded.fiji)
    for _ in range(3):
        assert change_password(client, "wrong password again", NEW_PASSWORD).status_code == 422
    response = change_password(client, PASSWORD, NEW_PASSWORD)
    assert response.status_code == 429 and "Too many wrong passwords" in text(response)


# --- the language ----------------------------------------------------------------------------------

def test_choosing_french_turns_the_pages_french(client, app, seeded):
    sign_in(client, seeded.fiji)
    assert '<html lang="en">' in text(client.get("/account"))
    fields = hidden_fields(client, "/account", "language-")
    response = client.post("/account/language", data={**fields, "language-locale": "fr"})
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    page = text(client.get("/account", headers={"Accept-Language": "en"}))
    assert '<html lang="fr">' in page and "Se déconnecter" in page
    assert "Français" in page
    assert user_row(app, seeded.fiji.email).locale == "fr"
    [event] = audit(app, "user.updated")
    assert event["data"]["locale"] == {"from": "en", "to": "fr"}
    # The same form again does nothing more.
    again = client.post("/account/language", data={**fields, "language-locale": "es"})
    assert again.status_code == 303
    assert user_row(app, seeded.fiji.email).locale == "fr"
    assert len(audit(app, "user.updated")) == 1


def test_an_unknown_language_is_refused(client, app, seeded):
    sign_in(client, seeded.fiji)
    fields = hidden_fields(client, "/account", "language-")
    response = client.post("/account/language", data={**fields, "language-locale": "de"})
    assert response.status_code == 422 and 'id="language-locale-error"' in text(response)
    assert user_row(app, seeded.fiji.email).locale == "en"


# --- forms that did not come from the page -------------------------------------------------------

@pytest.mark.parametrize(("path", "data"), [
    ("/account/language", {"language-locale": "fr"}),
    ("/account/password", {"password-current_password": PASSWORD, "password-new_password": NEW_PASSWORD,
                           "password-repeat_password": NEW_PASSWORD}),
    ("/account/mfa", {"code": "123456"}),
])
def test_a_form_without_its_csrf_token_is_refused(client, app, seeded, path, data):
    person = seeded.unenrolled if path == "/account/mfa" else seeded.fiji
    sign_in(client, person)
    response = client.post(path, data={**data, "form_token": "x", "language-form_token": "x",
                                       "password-form_token": "x"})
    assert response.status_code == 400 and "did not come from this site" in text(response)
    user = user_row(app, person.email)
    assert user.locale == "en" and not user.mfa_enabled
    assert not audit(app, "auth.password_changed")


def test_a_form_without_its_one_time_token_is_refused(client, seeded):
    sign_in(client, seeded.fiji)
    fields = hidden_fields(client, "/account", "language-")
    response = client.post("/account/language", data={"language-csrf_token": fields["language-csrf_token"],
                                                      "language-locale": "fr"})
    assert response.status_code == 400
