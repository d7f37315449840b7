"""A UPR Fund request from the State's form to its evaluation, through the pages only: the State,
a reviewer and an approver each in a browser of their own, then the Board reading the record."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.conftest import LiveServer, fill_request_form, serve, sign_in_as

TITLE = "Legal aid for the outer islands"
QUESTIONS = "Please say how the paralegals will be chosen."
REPLY = "Each island council proposes two candidates; the Legal Aid Commission selects."
FEEDBACK = "The workshops reached every island; the law was tabled in November."
STEPS = ("submit", "return_to_state", "resubmit", "review", "approve", "deliver", "evaluate")
CSV_HEADER = ["seq", "occurred_at", "actor_id", "actor_email", "action", "case_reference", "data",
              "hash", "prev_hash"]


@pytest.fixture(scope="module")
def journey_server(module_db) -> Iterator[LiveServer]:
    """A server and database for this module alone: the journey counts its own case's events."""
    yield from serve(module_db)


def status_of(page) -> str:
    return page.locator("dl.summary dd.status").inner_text()


def act(page, trigger_label: str) -> None:
    """Open the form of a step from the case page's actions (a link, as the step records fields)."""
    actions = page.locator("section", has=page.get_by_role("heading", name="What you can do now"))
    actions.get_by_role("link", name=trigger_label).click()
    assert page.get_by_role("heading", level=1).inner_text() == trigger_label


def test_a_request_goes_from_the_state_to_its_evaluation(open_page, journey_server, screenshot):
    server, s = journey_server, journey_server.seeded

    # The State fills in a request completely and sends it.
    state = open_page()
    sign_in_as(state, server, s.fiji)
    state.get_by_role("link", name="Make a new request").click()
    state.get_by_role("link", name="UPR Voluntary Fund grant").click()
    assert state.url.startswith(f"{server.url}/cases/new/upr_fund?form=")
    fill_request_form(state, TITLE)
    screenshot(state, "1-request-form")
    state.get_by_role("button", name="Save and check before sending").click()
    # GOV.UK's check answers: every answer with a link to change it, then the send button
    assert state.get_by_role("heading", level=1).inner_text() == "Check your answers before sending"
    assert state.locator("dl.check-answers a", has_text="Change").count() >= 15
    screenshot(state, "1b-check-answers")
    state.get_by_role("button", name="Send the request to OHCHR").click()
    assert "was sent to OHCHR" in state.locator(".notification-banner").inner_text()
    reference = state.locator("h1 .reference").inner_text()
    assert state.url.startswith(f"{server.url}/cases/{reference}")
    assert status_of(state) == "Under review"
    fields = state.locator("dl.fields").inner_text()
    assert "A/HRC/43/8" in fields and "40 paralegals certified" in fields
    screenshot(state, "2-sent")

    # A reviewer finds it in the work queue and asks the State for information.
    reviewer = open_page()
    sign_in_as(reviewer, server, s.reviewer)
    assert reviewer.url == f"{server.url}/cases"
    row = reviewer.locator("table.queue tr", has_text=TITLE)
    assert "Screening and review" in row.inner_text()
    row.get_by_role("link", name=reference).click()
    assert status_of(reviewer) == "Screening and review"
    screenshot(reviewer, "3-reviewer-case")
    act(reviewer, "Ask the State for information")
    reviewer.get_by_label("What the State is asked to provide").fill(QUESTIONS)
    screenshot(reviewer, "4-questions")
    reviewer.get_by_role("button", name="Ask the State for information").click()
    assert status_of(reviewer) == "Returned to the State for information"

    # The State sees what is asked and replies.
    state.reload()
    awaited = state.locator("section.awaited")
    assert awaited.get_by_role("heading", name="OHCHR is waiting for your reply").is_visible()
    assert QUESTIONS in awaited.inner_text()
    assert status_of(state) == "Awaiting your reply"
    screenshot(state, "5-awaiting-reply")
    act(state, "Send the reply")
    state.get_by_label("Reply to the questions").fill(REPLY)
    state.get_by_role("button", name="Send the reply").click()
    assert status_of(state) == "Under review"
    assert state.locator("section.awaited").count() == 0

    # The reviewer records the review, recommending approval.
    reviewer.reload()
    assert REPLY in reviewer.locator("ol.timeline").inner_text()
    act(reviewer, "Record the review")
    reviewer.get_by_label("Assessment and recommendation to the approver").fill(
        "Sound plan, realistic budget, strong national ownership.")
    reviewer.get_by_label("Recommendation", exact=True).select_option("approve")
    reviewer.get_by_role("button", name="Record the review").click()
    assert status_of(reviewer) == "Reviewed, awaiting decision"
    # Approving is another person's decision: the reviewer is not offered it.
    assert reviewer.get_by_role("link", name="Approve", exact=True).count() == 0
    assert reviewer.get_by_role("button", name="Approve", exact=True).count() == 0

    # The approver, a different person, approves with an amount.
    approver = open_page()
    sign_in_as(approver, server, s.approver)
    approver.goto(f"{server.url}/cases/{reference}")
    act(approver, "Approve")
    approver.get_by_label("Amount", exact=True).fill("48000.00")
    approver.get_by_label("Currency (ISO code, such as USD)").fill("USD")
    approver.get_by_label("Conditions of the grant").fill("A narrative report within 60 days of the end.")
    screenshot(approver, "6-approve")
    approver.get_by_role("button", name="Approve", exact=True).click()
    assert status_of(approver) == "Approved, in delivery"
    assert "48,000.00 USD" in approver.locator("ol.timeline").inner_text()

    # The reviewer records the delivery.
    reviewer.reload()
    act(reviewer, "Record delivery")
    reviewer.get_by_label("Delivery started").fill("2026-06-01")
    reviewer.get_by_label("Delivery ended").fill("2026-12-15")
    reviewer.get_by_label("Activities carried out").fill("Six workshops; the draft law reviewed.")
    reviewer.get_by_label("Amount", exact=True).fill("47250.00")
    reviewer.get_by_label("Currency (ISO code, such as USD)").fill("USD")
    reviewer.get_by_role("button", name="Record delivery").click()
    assert status_of(reviewer) == "Delivered, awaiting evaluation"

    # The State gives its feedback.
    state.reload()
    assert status_of(state) == "Delivered"
    state.get_by_label("Your feedback on the assistance").fill(FEEDBACK)
    screenshot(state, "7-feedback")
    state.get_by_role("button", name="Send the feedback").click()
    assert FEEDBACK in state.locator("ol.comments").inner_text()

    # The reviewer evaluates; the form offers the State's feedback.
    reviewer.reload()
    act(reviewer, "Record the evaluation")
    assert reviewer.get_by_label("The State's feedback").input_value() == FEEDBACK
    reviewer.get_by_label("Overall rating").select_option("satisfactory")
    reviewer.get_by_label("Findings").fill("Results achieved; the law is before Parliament.")
    screenshot(reviewer, "8-evaluation")
    reviewer.get_by_role("button", name="Record the evaluation").click()
    assert status_of(reviewer) == "Evaluated (closed)"

    # The State sees the request completed, with nothing left to do.
    state.reload()
    assert status_of(state) == "Completed"
    assert state.get_by_role("heading", name="What you can do now").count() == 0
    screenshot(state, "9-completed")

    # The Board reads the case: no action, no form.
    board = open_page()
    sign_in_as(board, server, s.board)
    board.goto(f"{server.url}/cases/{reference}")
    assert status_of(board) == "Evaluated (closed)"
    assert board.get_by_role("heading", name="What you can do now").count() == 0
    main = board.locator("main")
    assert main.locator("form").count() == 0 and main.get_by_role("button").count() == 0
    assert main.locator("input, textarea, select").count() == 0
    screenshot(board, "10-board-case")

    # The Board reads the case's events in the audit log, verifies the chain and exports it.
    board.goto(f"{server.url}/audit")
    board.get_by_label("Case reference").fill(reference)
    board.get_by_role("button", name="Show the events").click()
    assert f"case={reference}" in board.url
    verification = board.locator("section.audit-verification").inner_text()
    assert "Verified." in verification and "verifies" in verification
    table = board.locator("table.audit-events tbody")
    # What happened by its name and in a sentence; the recorded codes behind "Show the recorded event"
    actions = table.locator("td:nth-child(4)").all_inner_texts()
    assert actions.count("Step of a request") == len(STEPS)
    assert "Request opened" in actions and "Comment added" in actions
    sentences = " ".join(table.locator("p.sentence").all_inner_texts())
    assert f"request {reference} to OHCHR." in sentences and "Reply due" in sentences
    assert "case.transition" not in " ".join(table.locator("td.details").all_inner_texts())
    raw = " ".join(table.locator("details.raw-record dl").all_text_contents())
    assert raw.count("case.transition") == len(STEPS) and all(step in raw for step in STEPS)
    table.locator("details.raw-record summary").first.click()
    assert "case.created" in table.locator("details.raw-record").first.inner_text()
    assert set(table.locator("td.reference").all_inner_texts()) == {reference}
    screenshot(board, "11-audit")
    with board.expect_download() as download_info:
        board.get_by_role("link", name="Download every event matching these filters (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.startswith("tacase-audit-")
    assert download.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.path()).read_text(encoding="utf-8"))))
    assert rows[0] == CSV_HEADER
    assert len(rows) == 1 + len(actions)
    assert {row[5] for row in rows[1:]} == {reference}
