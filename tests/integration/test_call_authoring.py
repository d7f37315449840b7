"""Calls written by administrators: the file format and its checks, a version per change."""

from __future__ import annotations

import copy

import pytest
import yaml

from tacase.services.actors import Actor
from tacase.services.calls import authoring, registry
from tacase.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.integration.test_call_registry import RAW, definition

ADMIN = Actor(id=None, name="admin@example.org", roles=frozenset({"admin"}))
REVIEWER = Actor(id=None, name="reviewer@example.org", roles=frozenset({"reviewer"}))
ZONE = "Europe/Zurich"


def text(raw: dict = RAW, **changes) -> str:
    return yaml.dump(copy.deepcopy(raw) | changes, Dumper=authoring._PlainDumper, allow_unicode=True)


def test_an_administrator_writes_a_call_and_each_change_is_a_version(session, clock):
    call, outcome = authoring.write_call(session, ADMIN, clock, text(version=7), timezone=ZONE)
    assert outcome == "added" and call.source == "office" and call.version == 1
    same, outcome = authoring.write_call(session, ADMIN, clock, text(), timezone=ZONE, key="needs-test")
    assert outcome == "unchanged" and same.version == 1
    changed, outcome = authoring.write_call(session, ADMIN, clock, text(closes_on="2027-02-26"),
                                            timezone=ZONE, key="needs-test")
    assert outcome == "changed" and changed.version == 2
    assert registry.definition_of(session, changed, 1).closes_on.isoformat() == "2027-01-29"
    assert "closes_on: '2027-02-26'" in authoring.call_text(session, ADMIN, "needs-test")


def test_the_mapping_of_the_api_is_accepted_too(session, clock):
    call, _ = authoring.write_call(session, ADMIN, clock, copy.deepcopy(RAW), timezone=ZONE)
    assert call.key == "needs-test"


def test_only_administrators_write_calls(session, clock):
    with pytest.raises(Forbidden):
        authoring.write_call(session, REVIEWER, clock, text(), timezone=ZONE)


def test_each_problem_is_named(session, clock):
    with pytest.raises(ValidationFailed) as refused:
        authoring.write_call(session, ADMIN, clock, text(kind="poll", opens_on="2027-03-01"), timezone=ZONE)
    problems = refused.value.errors["definition"]
    assert any(p.startswith("kind:") for p in problems) and any("closes_on" in p for p in problems)
    for bad in ("", "key: [", "a: &x [1]\nb: *x\n", "- just\n- a list\n", "x" * 300_000):
        with pytest.raises(ValidationFailed):
            authoring.write_call(session, ADMIN, clock, bad, timezone=ZONE)


def test_keys_are_neither_taken_twice_nor_changed(session, clock):
    authoring.write_call(session, ADMIN, clock, text(), timezone=ZONE)
    with pytest.raises(Conflict):
        authoring.write_call(session, ADMIN, clock, text(), timezone=ZONE)
    with pytest.raises(ValidationFailed):
        authoring.write_call(session, ADMIN, clock, text(key="other-key"), timezone=ZONE, key="needs-test")
    with pytest.raises(NotFound):
        authoring.write_call(session, ADMIN, clock, text(key="not-there"), timezone=ZONE, key="not-there")


def test_a_call_of_a_file_is_changed_in_its_file_and_files_leave_office_calls_alone(session, clock):
    registry.sync_calls(session, {"needs-test": definition()}, clock.now, ZONE)
    with pytest.raises(Conflict):
        authoring.write_call(session, ADMIN, clock, text(closes_on="2027-02-26"), timezone=ZONE,
                             key="needs-test")
    other = copy.deepcopy(RAW) | {"key": "office-call"}
    authoring.write_call(session, ADMIN, clock, text(other), timezone=ZONE)
    counts = registry.sync_calls(session, {"office-call": definition(other)}, clock.now, ZONE)
    assert counts["skipped"] == 1
