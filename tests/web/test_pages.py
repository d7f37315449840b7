"""The sign-in page, the home page and signing out, through Flask's test client."""

from __future__ import annotations

import pytest

from tacase.web.security import CSP
from tacase.web.views import safe_next
from tests.api.conftest import PASSWORD
from tests.web.conftest import csrf_token, sign_in


def text(response) -> str:
    return response.get_data(as_text=True)


# --- the sign-in form ----------------------------------------------------------------------------

def test_sign_in_page_labels_every_input_and_sends_no_script(client):
    response = client.get("/sign-in")
    html = text(response)
    assert response.status_code == 200
    for name in ("email", "password", "totp"):
        assert f'<label class="label" for="{name}">' in html and f'id="{name}"' in html
    assert "<script" not in html and "style=" not in html
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["Cache-Control"] == "no-store"
    css = client.get("/static/web/tacase.css")
    assert css.status_code == 200 and ":focus-visible" in text(css)
    css.close()  # sent from an open file


def test_a_form_without_its_csrf_token_is_refused(client, seeded):
    response = client.post("/sign-in", data={"email": seeded.fiji.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "did not come from this site" in text(response)
    assert client.get("/").status_code == 302  # nobody signed in


def test_a_wrong_password_is_said_at_the_top_and_the_email_is_kept(client, seeded):
    response = sign_in(client, seeded.fiji, password="not the password at all")
    html = text(response)
    assert response.status_code == 401
    assert 'class="error-summary"' in html
    assert "The e-mail address or password is wrong" in html
    assert f'value="{seeded.fiji.email}"' in html
    assert "not the password at all" not in html


def test_missing_fields_are_named_next_to_the_field_and_in_the_summary(client):
    response = client.post("/sign-in", data={"csrf_token": csrf_token(client), "email": "someone@example.org",
                                             "password": "", "totp": "12ab"})
    html = text(response)
    assert response.status_code == 422
    assert '<a href="#password">Enter your password.</a>' in html
    assert 'id="password-error"' in html and 'aria-describedby="password-error"' in html
    assert 'id="totp-error"' in html and 'value="12ab"' in html
    assert 'value="someone@example.org"' in html


def test_too_many_failures_are_refused_for_a_while(client, seeded):
    for _ in range(3):
        assert sign_in(client, seeded.fiji, password="wrong password again").status_code == 401
    response = sign_in(client, seeded.fiji)  # even the right password now
    assert response.status_code == 429
    assert "Too many failed sign-ins" in text(response)


# --- who sees what --------------------------------------------------------------------------------

def test_anonymous_callers_are_sent_to_sign_in_and_come_back(client, seeded):
    response = client.get("/?page=1")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/?page%3D1"
    assert 'name="next" type="hidden" value="/?page=1"' in text(client.get(response.headers["Location"]))
    response = sign_in(client, seeded.fiji, next_path="/?page=1")
    assert response.headers["Location"] == "/?page=1"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "/\\evil.example",
                                    "javascript:alert(1)", "/%0d%0aSet-Cookie:x", "evil", ""])
def test_an_external_next_is_refused(client, seeded, target):
    response = sign_in(client, seeded.fiji, next_path=target)
    assert response.status_code == 302
    expected = target if target.startswith("/%0d") else "/"
    assert response.headers["Location"] == expected


@pytest.mark.parametrize(("target", "safe"), [
    ("/", "/"), ("/cases?q=1", "/cases?q=1"), ("//evil.example", None), ("/\\evil.example", None),
    ("https://evil.example", None), ("/a\r\nb", None), ("/a\\b", None), (None, None), ("", None),
])
def test_safe_next(target, safe):
    assert safe_next(target) == safe


def test_a_focal_point_sees_its_states_dashboard_only(client, seeded):
    response = sign_in(client, seeded.fiji)
    assert response.status_code == 302 and response.headers["Location"] == "/"
    response = client.get("/")
    html = text(response)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert "Requests from Fiji" in html
    assert seeded.fiji_returned in html and seeded.fiji_draft in html
    assert seeded.samoa_case not in html and "Observatoire" not in html
    assert "Awaiting your reply" in html  # the public status label
    assert "Your reply</strong>" in html and "due by" in html and "(Europe/Zurich)" in html
    assert "Complete and submit the draft" in html


def test_a_reviewer_must_give_a_code(client, seeded, api_clock):
    response = sign_in(client, seeded.reviewer)
    assert response.status_code == 401
    assert "needs the 6-digit code" in text(response)
    assert client.get("/").status_code == 302
    response = sign_in(client, seeded.reviewer, totp="000000")
    assert response.status_code == 401 and "The code is wrong" in text(response)
    response = sign_in(client, seeded.reviewer, totp=seeded.reviewer.code(api_clock))
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302 and home.headers["Location"] == "/cases"  # the work queue
    html = text(client.get("/cases"))
    assert seeded.fiji_returned in html and seeded.samoa_case in html  # the office sees every State
    assert "Returned to the State for information" in html  # the staff label


def test_staff_without_two_factor_get_no_pages(client, seeded):
    assert sign_in(client, seeded.unenrolled).status_code == 302
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"] == "/account/mfa"
    for path in ("/cases", f"/cases/{seeded.fiji_returned}", "/audit"):
        assert client.get(path).headers.get("Location") == "/account/mfa"
    response = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/account/mfa")})  # may leave
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"


# --- languages ------------------------------------------------------------------------------------

def test_the_browser_language_is_used_before_sign_in(client):
    assert "Se connecter" in text(client.get("/sign-in", headers={"Accept-Language": "fr-CH, en;q=0.5"}))
    assert "Iniciar sesión" in text(client.get("/sign-in", headers={"Accept-Language": "es"}))
    assert '<html lang="en">' in text(client.get("/sign-in", headers={"Accept-Language": "de"}))


def test_the_users_own_setting_wins_once_signed_in(client, seeded):
    sign_in(client, seeded.samoa)
    html = text(client.get("/", headers={"Accept-Language": "es"}))
    assert '<html lang="fr">' in html
    assert "Demandes de l'État : Samoa" in html and "Se déconnecter" in html


def test_error_messages_are_translated(client):
    response = client.post("/sign-in", headers={"Accept-Language": "es"},
                           data={"csrf_token": csrf_token(client), "email": "", "password": ""})
    assert "Introduzca su contraseña." in text(response)


# --- signing out ----------------------------------------------------------------------------------

def test_signing_out_ends_the_session_on_the_server(client, app, seeded):
    sign_in(client, seeded.fiji)
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value
    response = client.post("/sign-out", data={"csrf_token": csrf_token(client, "/")})
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert "You have signed out." in text(client.get("/sign-in"))
    assert client.get("/").status_code == 302
    replay = app.test_client()
    replay.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    assert replay.get("/").status_code == 302  # the old cookie no longer works anywhere


def test_signing_out_needs_the_csrf_token(client, seeded):
    sign_in(client, seeded.fiji)
    assert client.post("/sign-out").status_code == 400
    assert client.get("/").status_code == 200
