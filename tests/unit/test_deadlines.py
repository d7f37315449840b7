"""When a step is due, when to remind, and how a paused clock resumes."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from tacase.engine.calendar import DAY, BusinessCalendar
from tacase.engine.deadlines import StepTimes, budget_seconds, schedule, time_left
from tacase.engine.definitions import Deadline

UTC = dt.UTC
GENEVA = ZoneInfo("Europe/Zurich")
FIFTEEN = Deadline(days=15, working=True, party="office")
SHARE = 0.8


def local(year: int, month: int, day: int, hour: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=GENEVA).astimezone(UTC)


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return BusinessCalendar("CH-GE", "Europe/Zurich")


MONDAY = local(2026, 1, 12, 10)


def test_budget() -> None:
    assert budget_seconds(FIFTEEN) == 15 * DAY


def test_schedule_fifteen_working_days(calendar: BusinessCalendar) -> None:
    times = schedule(FIFTEEN, MONDAY, calendar, SHARE)
    assert times == StepTimes(due_at=local(2026, 2, 2, 10), remind_at=local(2026, 1, 28, 10))
    assert times.due_at == calendar.add(MONDAY, 15 * DAY)
    assert calendar.elapsed(MONDAY, times.due_at) == 15 * DAY
    assert calendar.elapsed(MONDAY, times.remind_at) == pytest.approx(0.8 * 15 * DAY)


def test_schedule_over_holidays(calendar: BusinessCalendar) -> None:
    # From Monday 21 December 2026: Christmas, Restoration Day and New Year's Day are skipped.
    times = schedule(FIFTEEN, local(2026, 12, 21, 10), calendar, SHARE)
    assert times.due_at == local(2027, 1, 14, 10)


def test_schedule_in_calendar_days(calendar: BusinessCalendar) -> None:
    rule = Deadline(days=30, working=False, party="state")
    times = schedule(rule, MONDAY, calendar, 0.5)
    assert times.due_at == local(2026, 2, 11, 10)
    assert times.remind_at == local(2026, 1, 27, 10)


def test_remind_after_days_overrides_the_share(calendar: BusinessCalendar) -> None:
    rule = Deadline(days=15, working=True, party="office", remind_after_days=5)
    times = schedule(rule, MONDAY, calendar, SHARE)
    assert times.due_at == local(2026, 2, 2, 10)
    assert times.remind_at == local(2026, 1, 19, 10)


def test_fractional_remind_after_days(calendar: BusinessCalendar) -> None:
    rule = Deadline(days=30, working=False, party="state", remind_after_days=20.5)
    assert schedule(rule, MONDAY, calendar, SHARE).remind_at == local(2026, 2, 1, 22)


def test_resume_with_the_remaining_time(calendar: BusinessCalendar) -> None:
    resumed = local(2026, 3, 3, 14)  # a Tuesday
    remaining = 5 * DAY  # ten of fifteen days used: the reminder (at day 12) is two days away
    times = schedule(FIFTEEN, resumed, calendar, SHARE, remaining=remaining)
    assert times.due_at == calendar.add(resumed, remaining)
    assert times.due_at == local(2026, 3, 10, 14)
    assert times.remind_at == calendar.add(resumed, 2 * DAY)
    assert times.remind_at == local(2026, 3, 5, 14)


def test_resume_after_the_reminder_point(calendar: BusinessCalendar) -> None:
    resumed = local(2026, 3, 3, 14)
    times = schedule(FIFTEEN, resumed, calendar, SHARE, remaining=2 * DAY)
    assert times.due_at == calendar.add(resumed, 2 * DAY)
    assert times.remind_at == resumed


def test_resume_exactly_at_the_reminder_point(calendar: BusinessCalendar) -> None:
    resumed = local(2026, 3, 3, 14)
    times = schedule(FIFTEEN, resumed, calendar, SHARE, remaining=0.2 * 15 * DAY)
    assert times.remind_at == resumed


def test_resume_with_remind_after_days(calendar: BusinessCalendar) -> None:
    rule = Deadline(days=15, working=True, party="office", remind_after_days=5)
    resumed = local(2026, 3, 3, 14)
    times = schedule(rule, resumed, calendar, SHARE, remaining=12 * DAY)  # 3 days used
    assert times.remind_at == calendar.add(resumed, 2 * DAY)


def test_remaining_is_clamped_to_the_budget(calendar: BusinessCalendar) -> None:
    fresh = schedule(FIFTEEN, MONDAY, calendar, SHARE)
    assert schedule(FIFTEEN, MONDAY, calendar, SHARE, remaining=99 * DAY) == fresh
    overdue = schedule(FIFTEEN, MONDAY, calendar, SHARE, remaining=-DAY)
    assert overdue == StepTimes(due_at=MONDAY, remind_at=MONDAY)


def test_remind_is_never_after_due(calendar: BusinessCalendar) -> None:
    for remaining in (0.0, 1.0, DAY, 3 * DAY, 7.5 * DAY, 15 * DAY):
        times = schedule(FIFTEEN, MONDAY, calendar, SHARE, remaining=remaining)
        assert MONDAY <= times.remind_at <= times.due_at


def test_time_left(calendar: BusinessCalendar) -> None:
    due = schedule(FIFTEEN, MONDAY, calendar, SHARE).due_at
    assert time_left(FIFTEEN, MONDAY, due, calendar) == 15 * DAY
    assert time_left(FIFTEEN, local(2026, 1, 30, 10), due, calendar) == DAY  # Friday to Monday
    assert time_left(FIFTEEN, local(2026, 1, 31, 12), due, calendar) == 10 * 3600  # a Saturday
    assert time_left(FIFTEEN, due, due, calendar) == 0


def test_time_left_is_zero_when_overdue(calendar: BusinessCalendar) -> None:
    due = local(2026, 2, 2, 10)
    assert time_left(FIFTEEN, due + dt.timedelta(seconds=1), due, calendar) == 0
    assert time_left(FIFTEEN, local(2026, 3, 2, 10), due, calendar) == 0


def test_time_left_in_calendar_days(calendar: BusinessCalendar) -> None:
    rule = Deadline(days=30, working=False, party="state")
    due = local(2026, 2, 11, 10)
    assert time_left(rule, local(2026, 2, 7, 10), due, calendar) == 4 * DAY  # over a weekend
