"""The web pages in headless Chromium: signing in, the dashboard, two-factor codes, languages."""

from __future__ import annotations

from tests.api.conftest import PASSWORD


def sign_in(page, server, person, *, totp: str = "") -> None:
    page.goto(f"{server.url}/sign-in")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    if totp:
        page.get_by_label("Authenticator code").fill(totp)
    page.get_by_role("button", name="Sign in").click()


def test_a_focal_point_signs_in_and_sees_its_dashboard(page, live_server, screenshot):
    s = live_server.seeded
    page.goto(f"{live_server.url}/")
    assert page.url == f"{live_server.url}/sign-in?next=/"  # sent to sign in first
    screenshot(page, "sign-in")
    page.get_by_label("E-mail address").fill(s.fiji.email)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    summary = page.locator(".error-summary")
    assert "The e-mail address or password is wrong" in summary.inner_text()
    assert page.get_by_label("E-mail address").input_value() == s.fiji.email
    assert page.get_by_label("Password").input_value() == ""
    screenshot(page, "wrong-password")

    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    assert page.url == f"{live_server.url}/"
    assert page.get_by_role("heading", level=1).inner_text() == "Requests from Fiji"
    table = page.locator("table.cases")
    assert s.fiji_returned in table.inner_text() and s.fiji_draft in table.inner_text()
    assert s.samoa_case not in page.content()
    row = table.locator("tr", has_text=s.fiji_returned)
    assert "Awaiting your reply" in row.inner_text() and "due by" in row.inner_text()
    screenshot(page, "dashboard")


def test_the_keyboard_focus_is_visible(page, live_server):
    page.goto(f"{live_server.url}/sign-in")
    page.keyboard.press("Tab")  # the skip link comes first and shows itself
    skip = page.get_by_role("link", name="Skip to main content")
    assert skip.evaluate("e => e === document.activeElement")
    page.get_by_label("E-mail address").focus()
    outline = page.get_by_label("E-mail address").evaluate("e => getComputedStyle(e).outlineStyle")
    assert outline == "solid"


def test_a_reviewer_must_give_a_code(page, live_server, screenshot):
    s = live_server.seeded
    sign_in(page, live_server, s.reviewer)
    assert "needs the 6-digit code" in page.locator("#totp-error").inner_text()
    assert page.get_by_label("E-mail address").input_value() == s.reviewer.email
    screenshot(page, "code-needed")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("Authenticator code").fill(s.reviewer.code(live_server.clock))
    page.get_by_role("button", name="Sign in").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Work queue"
    assert s.samoa_case in page.content() and s.fiji_returned in page.content()
    screenshot(page, "cases")


def test_a_french_speaking_focal_point_sees_french_pages(open_page, live_server, screenshot):
    s = live_server.seeded
    page = open_page("fr-FR")
    page.goto(f"{live_server.url}/sign-in")
    assert page.get_by_role("heading", level=1).inner_text() == "Se connecter"  # the browser's language
    page.get_by_label("Adresse électronique").fill(s.samoa.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("button", name="Se connecter").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Demandes de l'État : Samoa"
    assert page.locator("html").get_attribute("lang") == "fr"
    assert s.samoa_case in page.content() and s.fiji_returned not in page.content()
    screenshot(page, "tableau-de-bord")
    # The account's own setting (fr) wins over an English browser too.
    english = open_page("en-GB")
    sign_in(english, live_server, s.samoa)
    assert english.get_by_role("button", name="Se déconnecter").is_visible()


def test_sign_out_ends_the_session(page, live_server, screenshot):
    s = live_server.seeded
    sign_in(page, live_server, s.fiji)
    assert page.url == f"{live_server.url}/"
    cookies = page.context.cookies()
    page.get_by_role("button", name="Sign out").click()
    assert page.url == f"{live_server.url}/sign-in"
    assert "You have signed out." in page.locator(".notice").inner_text()
    screenshot(page, "signed-out")
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/sign-in")
    # The cookie from before signing out opens nothing: the session ended on the server.
    page.context.add_cookies(cookies)
    page.goto(f"{live_server.url}/")
    assert page.url.startswith(f"{live_server.url}/sign-in")
