"""The answer form of a call in a browser: a question whose condition is not met is hidden until it
is, and the draft is saved a moment after one stops typing, without pressing a button."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from tacase.db.models import CallResponse
from tests.e2e.conftest import LiveServer, serve, sign_in_as
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
