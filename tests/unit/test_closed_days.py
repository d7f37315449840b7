"""Why a day is not a working day, and the range helpers of the calendar view."""

from __future__ import annotations

import datetime as dt

import pytest

from tacase.engine.calendar import BusinessCalendar
from tacase.engine.closed_days import ClosedDay, Reason, closed_days, reasons_closed, shifted


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return BusinessCalendar("CH-GE", "Europe/Zurich")


def test_a_working_day_has_no_reason(calendar):
    assert reasons_closed(calendar, dt.date(2026, 3, 11), {}) == ()


def test_every_reason_is_given_in_a_fixed_order(calendar):
    # Swiss National Day 2026 is a Saturday; a closure on it (recorded before a holiday table
    # changed, say) is listed too.
    day = dt.date(2026, 8, 1)
    assert reasons_closed(calendar, day, {day: "Flood"}) == (
        Reason("weekend", "Saturday"), Reason("holiday", "National Day"), Reason("closure", "Flood"))


def test_closures_come_from_the_mapping_not_the_calendar(calendar):
    day = dt.date(2026, 3, 10)
    assert reasons_closed(calendar.with_closures([day]), day, {}) == ()
    assert reasons_closed(calendar, day, {day: "Retreat"}) == (Reason("closure", "Retreat"),)


def test_closed_days_lists_the_range_in_order_with_both_ends(calendar):
    days = closed_days(calendar, dt.date(2026, 4, 3), dt.date(2026, 4, 6), {dt.date(2026, 4, 4): "x"})
    assert [(d.day.isoformat(), d.weekday, [r.kind for r in d.reasons]) for d in days] == [
        ("2026-04-03", "Friday", ["holiday"]),
        ("2026-04-04", "Saturday", ["weekend", "closure"]),
        ("2026-04-05", "Sunday", ["weekend"]),
        ("2026-04-06", "Monday", ["holiday"]),
    ]


def test_closed_days_of_a_working_week_is_empty(calendar):
    assert closed_days(calendar, dt.date(2026, 3, 9), dt.date(2026, 3, 13), {}) == []


def test_closed_days_covers_a_leap_year_and_no_more(calendar):
    days = closed_days(calendar, dt.date(2028, 1, 1), dt.date(2028, 12, 31), {})
    assert days[0] == ClosedDay(dt.date(2028, 1, 1), (Reason("weekend", "Saturday"),
                                                      Reason("holiday", "New Year's Day")))
    with pytest.raises(ValueError, match="366"):
        closed_days(calendar, dt.date(2028, 1, 1), dt.date(2029, 1, 1), {})
    with pytest.raises(ValueError, match="before"):
        closed_days(calendar, dt.date(2028, 1, 2), dt.date(2028, 1, 1), {})


@pytest.mark.parametrize(("day", "days", "expected"), [
    (dt.date(2026, 3, 2), 60, dt.date(2026, 5, 1)),
    (dt.date(2026, 3, 2), -60, dt.date(2026, 1, 1)),
    (dt.date(9999, 12, 1), 60, dt.date.max),
    (dt.date(1, 1, 10), -60, dt.date.min),
])
def test_shifted_stops_at_the_ends_of_the_calendar(day, days, expected):
    assert shifted(day, days) == expected
