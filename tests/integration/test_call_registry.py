"""Calls recorded from their definitions: versions kept, the audience's States joined once."""

from __future__ import annotations

import copy
import datetime as dt

import pytest
from sqlalchemy import func, select

from tacase.db.models import AuditEvent, Call, CallParticipant, CallVersion
from tacase.engine import calls as call_defs
from tacase.reference import requesting_states
from tacase.services import audit_log
from tacase.services.calls import registry
from tacase.services.errors import NotFound

TEXT = {"en": "Needs", "fr": "Besoins", "es": "Necesidades"}
RAW = {
    "key": "needs-test", "version": 1, "kind": "questionnaire", "title": TEXT, "introduction": TEXT,
    "audience": ["FJI", "KEN"], "opens_on": "2026-11-02", "closes_on": "2027-01-29",
    "late_responses": "accept", "submitted_by": "focal_point", "stakeholders": False, "reminders": [7],
    "publish_submissions": False,
    "questions": [{"key": "has_plan", "type": "yes_no", "label": TEXT, "required": True}],
}


def definition(raw: dict = RAW) -> call_defs.CallDefinition:
    return call_defs.parse(copy.deepcopy(raw), source="test")


def test_closing_instant_is_the_end_of_the_day_in_geneva():
    assert registry.closing_instant(dt.date(2027, 1, 29), "Europe/Zurich") == dt.datetime(
        2027, 1, 29, 23, 0, tzinfo=dt.UTC)


def test_sync_records_call_version_and_audience(session, clock):
    counts = registry.sync_calls(session, {"needs-test": definition()}, clock.now, "Europe/Zurich")
    assert counts == {"added": 1, "changed": 0, "unchanged": 0}
    call = registry.get_call(session, "needs-test")
    assert call.kind == "questionnaire" and call.title_en == "Needs"
    assert call.closes_at == dt.datetime(2027, 1, 29, 23, 0, tzinfo=dt.UTC)
    states = set(session.scalars(
        select(CallParticipant.state_code).where(CallParticipant.call_id == call.id)))
    assert states == {"FJI", "KEN"}
    audit_log.seal(session)
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "call.synced")) == 1
    again = registry.sync_calls(session, {"needs-test": definition()}, clock.now, "Europe/Zurich")
    assert again["unchanged"] == 1
    assert registry.definition_of(session, call).question("has_plan").type == "yes_no"


def test_a_changed_text_adds_a_version_and_keeps_the_old(session, clock):
    registry.sync_calls(session, {"needs-test": definition()}, clock.now, "Europe/Zurich")
    raw2 = copy.deepcopy(RAW) | {"version": 2, "audience": ["FJI", "KEN", "PER"]}
    registry.sync_calls(session, {"needs-test": definition(raw2)}, clock.now, "Europe/Zurich")
    call = registry.get_call(session, "needs-test")
    assert call.version == 2
    versions = select(func.count()).select_from(CallVersion).where(CallVersion.call_id == call.id)
    assert session.scalar(versions) == 2
    assert registry.definition_of(session, call, 1).version == 1
    assert session.get(CallParticipant, (call.id, "PER")) is not None
    with pytest.raises(NotFound):
        registry.definition_of(session, call, 7)


def test_audience_all_joins_every_requesting_state(session, clock):
    registry.sync_calls(session, {"needs-test": definition(RAW | {"audience": "all"})}, clock.now, "UTC")
    call = session.scalar(select(Call).where(Call.key == "needs-test"))
    n = session.scalar(
        select(func.count()).select_from(CallParticipant).where(CallParticipant.call_id == call.id))
    assert n == len(requesting_states())


def test_open_calls_for_state(session, clock):
    registry.sync_calls(session, {"needs-test": definition()}, clock.now, "UTC")
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    assert [c.key for c in registry.open_calls_for_state(session, "FJI", now)] == ["needs-test"]
    assert registry.open_calls_for_state(session, "PER", now) == []
    assert registry.open_calls_for_state(session, "FJI", dt.datetime(2026, 10, 1, tzinfo=dt.UTC)) == []


def test_unknown_call_is_not_found(session):
    for key in ("nope", "x" * 500, None):
        with pytest.raises(NotFound):
            registry.get_call(session, key)
