"""The answer form of a call in a browser: a question whose condition is not met is hidden until it
is, and the draft is saved a moment after one stops typing, without pressing a button."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tacase.db.models import CallResponse, OutboxMessage
from tests.e2e.conftest import LiveServer, serve, sign_in_as
from tests.e2e.test_page_accessibility import AXE, NARROW, _violations
from tests.integration.call_fixtures import make_call


@pytest.fixture(scope="module")
def server(module_db) -> Iterator[LiveServer]:
    for live in serve(module_db):
        with live.app.extensions["tacase"]["sessions"]() as s:
            make_call(s, live.clock)
            s.commit()
        yield live


def test_conditions_show_and_hide_and_the_draft_saves_itself(page, server, screenshot):
    sign_in_as(page, server, server.seeded.fiji)
    page.goto(f"{server.url}/calls/test-needs/respond")
    year = page.locator('[data-question="plan_year"]')
    assert year.is_hidden()
    page.get_by_role("radio", name="Yes").check()
    assert year.is_visible()
    page.get_by_role("radio", name="No", exact=True).check()
    assert year.is_hidden()
    page.get_by_label("Notes (optional)").fill("Saved while typing")
    page.locator("#autosave-status").filter(has_text="Draft saved.").wait_for(timeout=10_000)
    screenshot(page, "answer-form")
    with server.app.extensions["tacase"]["sessions"]() as s:
        response = s.scalar(select(CallResponse).where(CallResponse.respondent_kind == "state"))
        assert response.answers == {"has_plan": False, "notes": "Saved while typing"}
    # The page's version followed the saves: "Save draft" then goes through without a conflict.
    page.get_by_role("button", name="Save draft").click()
    assert "Your draft is saved" in page.content()


def _problems(page) -> list[str]:
    """Reflow at 320 CSS pixels, and axe-core's WCAG A/AA findings, as the other pages are checked."""
    page.set_viewport_size(NARROW)
    width, viewport = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
    problems = [f"at 320 px the page is {width} px wide"] if width > viewport else []
    if AXE.exists():
        problems += _violations(page)
    return problems


@pytest.fixture
def checked_page(browser) -> Iterator[object]:
    """A page of a context of its own that lets axe-core in despite the pages' CSP."""
    contexts = []

    def new():
        contexts.append(browser.new_context(bypass_csp=True))
        return contexts[-1].new_page()

    yield new
    for context in contexts:
        context.close()


def test_the_state_side_pages_are_accessible_and_reflow(checked_page, server, screenshot):
    page = checked_page()
    sign_in_as(page, server, server.seeded.fiji)
    for path in ("/", "/calls/test-needs/state", "/calls/test-needs/respond", "/calls/test-needs/check"):
        page.goto(server.url + path)
        assert not _problems(page), (path, _problems(page))
    page.goto(server.url + "/calls/test-needs/respond")
    page.locator("#q-plan_file").set_input_files(files=[{"name": "x.pdf", "mimeType": "text/plain",
                                                         "buffer": b"not a pdf"}])
    page.get_by_role("button", name="Save draft").click()
    assert "There is a problem" in page.content()
    screenshot(page, "answer-errors")
    assert not _problems(page)
    # The invitation's page, as the invited colleague opens it.
    page.goto(server.url + "/calls/test-needs/state")
    page.get_by_label("E-mail address of the person you invite").fill("health@gov.fj")
    page.get_by_label("Ministry or body").fill("Ministry of Health")
    page.get_by_role("button", name="Send the invitation").click()
    assert "health@gov.fj" in page.content() and not _problems(page)
    with server.app.extensions["tacase"]["sessions"]() as s:
        mail = s.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "health@gov.fj"))
    link = next(line for line in mail.body_text.splitlines() if "/calls/invitations/" in line).strip()
    colleague = checked_page()
    colleague.goto(server.url + link[link.index("/calls/invitations/"):])  # the mail names the public URL
    assert "Create your account for this call" in colleague.content() and not _problems(colleague)
