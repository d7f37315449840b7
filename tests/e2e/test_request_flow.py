"""The request's flow in headless Chromium: the check page before sending, and the focus on the
error summary after a send that could not succeed."""

from __future__ import annotations

from tests.e2e.test_browser import sign_in


def test_a_send_with_fields_missing_puts_the_focus_on_the_error_summary(page, live_server, screenshot):
    sign_in(page, live_server, live_server.seeded.fiji)
    page.goto(f"{live_server.url}/cases/new/upr_fund")
    page.get_by_label("Title").fill("Half done")
    page.get_by_role("button", name="Save and check before sending").click()
    assert page.title().startswith("Error: ")
    summary = page.locator(".error-summary")
    assert summary.evaluate("node => node === document.activeElement")
    summary.get_by_role("link").first.click()  # each problem links to its field
    assert page.evaluate("document.activeElement.tagName") in ("INPUT", "TEXTAREA", "SELECT")
    screenshot(page, "send-refused")


def test_the_check_page_lists_the_answers_and_sends(page, live_server, screenshot):
    s = live_server.seeded
    sign_in(page, live_server, s.fiji)
    page.goto(f"{live_server.url}/cases/{s.fiji_draft}")
    page.get_by_role("link", name="Check and send the request").click()
    assert page.get_by_role("heading", level=1).inner_text() == "Check your answers before sending"
    change = page.get_by_role("link", name="Change Title")
    assert change.get_attribute("href").endswith("/edit#title")
    screenshot(page, "check-answers")
    page.get_by_role("button", name="Send the request to OHCHR").click()
    banner = page.locator(".notification-banner")
    assert f"Your request {s.fiji_draft} was sent to OHCHR." in banner.inner_text()
    assert "We will review it by" in banner.inner_text()
