"""The closure services on SQLite and PostgreSQL: the race on one day, and the calendar they feed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from tacase.db.models import AuditEvent, CalendarClosure
from tacase.services import audit_log, closures
from tacase.services.business_calendar import business_calendar
from tacase.services.errors import Forbidden, NotFound, ValidationFailed

DAY = dt.date(2026, 3, 10)


@pytest.fixture
def admin(make):
    return make.user("admin")


def actions(session) -> list[str]:
    audit_log.seal(session)  # this transaction's events, chained as its commit would
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_a_closure_is_in_the_calendar_transitions_use(session, clock, admin):
    assert business_calendar(session).is_working_day(DAY)
    closures.add_closure(session, admin, clock, DAY, "  Staff retreat ")
    assert not business_calendar(session).is_working_day(DAY)
    assert [c.reason for c in closures.list_closures(session, admin)] == ["Staff retreat"]


def test_losing_the_race_for_a_day_is_a_validation_error_and_leaves_the_transaction_usable(
        session, clock, admin, monkeypatch):
    closures.add_closure(session, admin, clock, DAY, "First")
    # As if another administrator's insert landed between our check and our write.
    monkeypatch.setattr(closures, "_closure_on", lambda *_: None)
    with pytest.raises(ValidationFailed) as refused:
        closures.add_closure(session, admin, clock, DAY, "Second")
    assert list(refused.value.errors) == ["day"]
    closures.add_closure(session, admin, clock, DAY + dt.timedelta(days=1), "Third")
    assert [c.reason for c in session.scalars(select(CalendarClosure).order_by(CalendarClosure.day))] == [
        "First", "Third"]
    assert actions(session).count("calendar.closure_added") == 2


def test_only_administrators_and_only_existing_closures(session, clock, make, admin):
    reviewer = make.user("reviewer")
    with pytest.raises(Forbidden):
        closures.add_closure(session, reviewer, clock, DAY, "Retreat")
    closure = closures.add_closure(session, admin, clock, DAY, "Retreat")
    with pytest.raises(Forbidden):
        closures.remove_closure(session, reviewer, clock, closure.id)
    closures.remove_closure(session, admin, clock, closure.id)
    with pytest.raises(NotFound):
        closures.remove_closure(session, admin, clock, closure.id)
    assert actions(session)[-2:] == ["calendar.closure_added", "calendar.closure_removed"]


def test_closures_of_another_station_are_neither_listed_nor_removable(session, clock, admin):
    other = CalendarClosure(station="KE", day=DAY, reason="Elsewhere", created_at=clock())
    session.add(other)
    session.flush()
    assert closures.list_closures(session, admin) == []
    assert business_calendar(session).is_working_day(DAY)
    with pytest.raises(NotFound):
        closures.remove_closure(session, admin, clock, other.id)
    closures.add_closure(session, admin, clock, DAY, "Here")  # the same day at this station is free


def test_a_datetime_is_not_taken_for_a_day(session, clock, admin):
    with pytest.raises(ValidationFailed) as refused:
        closures.add_closure(session, admin, clock, dt.datetime(2026, 3, 10, 12, tzinfo=dt.UTC), "x")
    assert refused.value.errors == {"day": ["must be a date (YYYY-MM-DD)"]}
