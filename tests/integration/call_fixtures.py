"""A small call used by the State side's tests: every counted question type and a condition."""

from __future__ import annotations

import copy
import datetime as dt

from tacase.engine import calls as call_defs
from tacase.services.calls import registry


def _l(text: str) -> dict[str, str]:
    return {"en": text, "fr": text + " (fr)", "es": text + " (es)"}


RAW = {
    "key": "test-needs", "version": 1, "kind": "questionnaire",
    "title": _l("Needs on economic rights"), "introduction": _l("Tell us what you need."),
    "audience": ["FJI", "KEN"], "opens_on": "2026-03-01", "closes_on": "2026-03-31",
    "late_responses": "accept", "submitted_by": "focal_point", "stakeholders": False,
    "reminders": [7, 2], "publish_submissions": False,
    "questions": [
        {"key": "has_plan", "type": "yes_no", "label": _l("Has a plan?"), "required": True},
        {"key": "plan_year", "type": "number", "label": _l("Year adopted"), "min": 1990, "max": 2030,
         "when": {"question": "has_plan", "equals": True}},
        {"key": "sectors", "type": "choices", "label": _l("Sectors"),
         "options": [{"value": "health", "label": _l("Health")},
                     {"value": "education", "label": _l("Education")},
                     {"value": "labour", "label": _l("Labour")}]},
        {"key": "priority", "type": "choice", "label": _l("Priority"), "required": True,
         "options": [{"value": "high", "label": _l("High")}, {"value": "low", "label": _l("Low")}]},
        {"key": "score", "type": "scale", "label": _l("Capacity"), "min": 1, "max": 5},
        {"key": "notes", "type": "long_text", "label": _l("Notes")},
        {"key": "plan_file", "type": "document", "label": _l("The plan, if there is one")},
    ],
}


def make_call(session, clock, **changes):
    raw = copy.deepcopy(RAW)
    raw.update(changes)
    definition = call_defs.parse(raw, "test")
    registry.sync_calls(session, {definition.key: definition}, clock(), "Europe/Zurich")
    return registry.get_call(session, definition.key)


COMPLETE = {"has_plan": True, "plan_year": "2020", "sectors": ["health", "labour"], "priority": "high",
            "score": 4, "notes": "Line one.\nLine two."}

CLOSING = dt.datetime(2026, 3, 31, 22, 0, tzinfo=dt.UTC)  # the end of 31 March in Geneva (CEST)
