"""The pages' sentences made from the services' codes: field messages and audit events (no database)."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from flask import Flask
from flask_babel import Babel

from tacase.engine.definitions import load_dir
from tacase.services.audit_queries import EventContext
from tacase.web import audit_sentences
from tacase.web.field_messages import sentence

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
FIJI_CASE = {"id": 7, "reference": "UPR-2026-0019"}


@pytest.fixture(autouse=True)
def english_request():
    app = Flask(__name__)
    # the duty station's clock, as tacase.web.context.runtime() gives it to the pages
    app.extensions["tacase"] = {"runtime": SimpleNamespace(timezone="Europe/Zurich")}
    Babel(app, timezone_selector=lambda: "Europe/Zurich")
    with app.test_request_context():
        yield


@pytest.mark.parametrize(("message", "expected"), [
    ("is required", "Enter “Title”."),
    ("must be filled in before the request can be sent", "Enter “Title” before you send the request."),
    ("must be at most 200 characters", "“Title” must be 200 characters or fewer."),
    ("must be at most 10", "“Title” must be 10 or less."),
    ("must be one of: approve, reject", "Choose one of the answers offered for “Title”."),
    ("must not be before planned start", "“Title” must not be before “Planned start”."),
    ("something new", "Check “Title”: something new."),
    ("An indicator (a line starting with -) must come under a result.",
     "An indicator (a line starting with -) must come under a result."),
])
def test_a_field_message_becomes_a_sentence_naming_the_field(message, expected):
    assert sentence("Title", message, {"planned_start": "Planned start"}) == expected


def test_every_recorded_action_has_a_name_and_a_sentence():
    assert set(audit_sentences.SENTENCES) == set(audit_sentences.ACTION_NAMES)
    assert audit_sentences.action_name("auth.") == "Any sign-in event"
    assert audit_sentences.action_name("no.such") == "no.such"


def _event(action: str, data: dict, actor_id: int | None = 3) -> dict:
    actor = {"type": "user", "id": actor_id, "email": "ana@example.org"} if actor_id else {"type": "system"}
    return {"seq": 1, "action": action, "actor": actor, "case": FIJI_CASE, "data": data}


CONTEXT = EventContext(cases={7: ("FJI", "upr_fund")}, people={
    3: ("Ana Ruiz", frozenset({"reviewer"})), 4: ("Mere", frozenset({"approver"}))})


@pytest.mark.parametrize(("action", "data", "expected"), [
    ("case.transition", {"trigger": "return_to_state", "to": "returned", "due_at": "2026-12-19T23:00:00Z",
                         "due_party": "state"},
     "Reviewer Ana Ruiz asked Fiji for information on UPR-2026-0019. Reply due 19 December 2026."),
    ("case.transition", {"trigger": "review", "record": {"recommendation": "approve"}},
     "Reviewer Ana Ruiz recorded the review of UPR-2026-0019, recommending “Approve”."),
    ("case.transition", {"trigger": "approve", "record": {
        "approved_amount": {"amount": "45000.00", "currency": "USD"}}},
     "Reviewer Ana Ruiz approved UPR-2026-0019 for 45,000.00 USD."),
    ("case.assigned", {"from": None, "to": 4}, "Reviewer Ana Ruiz assigned UPR-2026-0019 to Approver Mere."),
    ("case.updated", {"changes": {"objectives": {}, "upr_cycle": {}}},
     "Reviewer Ana Ruiz edited UPR-2026-0019: Objectives, UPR cycle of the recommendations."),
])
def test_an_event_is_told_with_labels_names_and_dates_for_people(action, data, expected):
    definitions = load_dir(WORKFLOWS)
    assert audit_sentences.tell(_event(action, data), CONTEXT, definitions) == expected


def test_a_deadline_event_is_told_as_the_system():
    told = audit_sentences.tell(_event("deadline.state_reminder", {"status": "returned",
                                                                   "due_at": "2026-12-19T23:00:00Z"}, None),
                                CONTEXT, load_dir(WORKFLOWS))
    assert told == "The system reminded Fiji that its reply on UPR-2026-0019 is due 19 December 2026."
