"""The business calendar of the Geneva duty station."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tacase.engine.calendar import DAY, BusinessCalendar

UTC = dt.UTC
GENEVA = ZoneInfo("Europe/Zurich")
HOUR = 3600.0
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> dt.datetime:
    """A wall-clock time in Geneva, as a UTC instant."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=GENEVA).astimezone(UTC)


def wall(instant: dt.datetime) -> dt.datetime:
    return instant.astimezone(GENEVA).replace(tzinfo=None)


@pytest.fixture(scope="module")
def calendar() -> BusinessCalendar:
    return BusinessCalendar("CH-GE", "Europe/Zurich")


# --- working days -----------------------------------------------------------------------------


def test_weekdays_are_working_days(calendar: BusinessCalendar) -> None:
    monday = dt.date(2026, 1, 12)
    days = [monday + dt.timedelta(days=i) for i in range(7)]
    assert [calendar.is_working_day(d) for d in days] == [True] * 5 + [False] * 2


@pytest.mark.parametrize(
    ("day", "name"),
    [(dt.date(2026, 12, 31), "Restoration Day"), (dt.date(2026, 9, 10), "Genevan Fast"),
     (dt.date(2026, 12, 25), "Christmas Day"), (dt.date(2027, 1, 1), "New Year's Day")],
)
def test_geneva_holidays_are_not_working_days(
    calendar: BusinessCalendar, day: dt.date, name: str
) -> None:
    assert day.weekday() < 5
    assert not calendar.is_working_day(day)
    assert calendar.holiday_name(day) == name


def test_an_ordinary_day_has_no_holiday(calendar: BusinessCalendar) -> None:
    assert calendar.holiday_name(dt.date(2026, 9, 9)) is None
    assert calendar.is_working_day(dt.date(2026, 9, 9))


def test_closures_are_not_working_days() -> None:
    closed = BusinessCalendar(closures=[dt.date(2026, 1, 12)])
    assert not closed.is_working_day(dt.date(2026, 1, 12))
    assert closed.is_working_day(dt.date(2026, 1, 13))
    assert closed.describe() == {"duty_station": "CH-GE", "timezone": "Europe/Zurich",
                                 "weekend": [5, 6], "closures": ["2026-01-12"]}


# --- add --------------------------------------------------------------------------------------


def test_add_within_a_day(calendar: BusinessCalendar) -> None:
    assert calendar.add(local(2026, 1, 12, 10), 2 * HOUR) == local(2026, 1, 12, 12)
    assert calendar.add(local(2026, 1, 12, 10), 0) == local(2026, 1, 12, 10)


def test_add_across_a_weekend(calendar: BusinessCalendar) -> None:
    friday = local(2026, 1, 9, 10)
    assert calendar.add(friday, DAY) == local(2026, 1, 12, 10)  # Monday
    assert calendar.add(friday, 5 * DAY) == local(2026, 1, 16, 10)  # the next Friday
    assert calendar.add(friday, 6 * DAY) == local(2026, 1, 19, 10)


def test_add_up_to_midnight_stays_on_the_day(calendar: BusinessCalendar) -> None:
    friday = local(2026, 1, 9, 10)
    assert calendar.add(friday, 14 * HOUR) == local(2026, 1, 10)  # Friday 24:00
    assert calendar.add(friday, 14 * HOUR + 1) == local(2026, 1, 12, 0, 0) + dt.timedelta(seconds=1)


def test_add_across_a_holiday(calendar: BusinessCalendar) -> None:
    # Thursday 10 September 2026 is the Genevan Fast.
    assert calendar.add(local(2026, 9, 9, 10), DAY) == local(2026, 9, 11, 10)
    # Christmas falls on a Friday, then the weekend.
    assert calendar.add(local(2026, 12, 24, 10), DAY) == local(2026, 12, 28, 10)
    # Restoration Day and New Year's Day, then the weekend.
    assert calendar.add(local(2026, 12, 30, 10), DAY) == local(2027, 1, 4, 10)


def test_add_across_the_change_to_summer_time(calendar: BusinessCalendar) -> None:
    friday = local(2026, 3, 27, 10)  # clocks go forward on Sunday 29 March
    monday = calendar.add(friday, DAY)
    assert wall(monday) == dt.datetime(2026, 3, 30, 10)
    assert friday == dt.datetime(2026, 3, 27, 9, tzinfo=UTC)
    assert monday == dt.datetime(2026, 3, 30, 8, tzinfo=UTC)


def test_add_across_the_change_to_winter_time(calendar: BusinessCalendar) -> None:
    friday = local(2026, 10, 23, 10)  # clocks go back on Sunday 25 October
    monday = calendar.add(friday, DAY)
    assert wall(monday) == dt.datetime(2026, 10, 26, 10)
    assert monday - friday == dt.timedelta(days=3, hours=1)


def test_add_from_a_weekend_counts_from_monday(calendar: BusinessCalendar) -> None:
    saturday = local(2026, 1, 10, 15)
    assert calendar.add(saturday, HOUR) == local(2026, 1, 12, 1)
    assert calendar.add(saturday, 0) == local(2026, 1, 12)
    assert calendar.add(local(2026, 1, 11, 23, 59), DAY) == local(2026, 1, 13)


def test_add_from_a_holiday_counts_from_the_next_working_day(calendar: BusinessCalendar) -> None:
    assert calendar.add(local(2026, 9, 10, 15), 2 * HOUR) == local(2026, 9, 11, 2)


def test_add_in_calendar_days_ignores_weekends_and_holidays(calendar: BusinessCalendar) -> None:
    friday = local(2026, 1, 9, 10)
    assert calendar.add(friday, DAY, working=False) == local(2026, 1, 10, 10)
    assert calendar.add(friday, 30 * DAY, working=False) == local(2026, 2, 8, 10)
    assert calendar.add(local(2026, 12, 24, 10), DAY, working=False) == local(2026, 12, 25, 10)


def test_calendar_days_are_elapsed_time_across_summer_time(calendar: BusinessCalendar) -> None:
    friday = local(2026, 3, 27, 10)
    assert calendar.add(friday, 3 * DAY, working=False) - friday == dt.timedelta(days=3)
    assert wall(calendar.add(friday, 3 * DAY, working=False)) == dt.datetime(2026, 3, 30, 11)


def test_add_skips_closures() -> None:
    closed = BusinessCalendar("CH-GE", "Europe/Zurich",
                              closures=[dt.date(2026, 1, 12), dt.date(2026, 1, 13)])
    assert closed.add(local(2026, 1, 9, 10), DAY) == local(2026, 1, 14, 10)
    assert closed.add(local(2026, 1, 9, 10), DAY, working=False) == local(2026, 1, 10, 10)


def test_add_in_another_timezone() -> None:
    new_york = BusinessCalendar("US-NY", "America/New_York")
    zone = ZoneInfo("America/New_York")
    friday = dt.datetime(2026, 1, 9, 10, tzinfo=zone)
    # Monday 12 January is not a holiday in New York; Monday 19 January (MLK Day) is.
    assert new_york.add(friday, DAY) == dt.datetime(2026, 1, 12, 10, tzinfo=zone)
    assert new_york.add(friday, 6 * DAY) == dt.datetime(2026, 1, 20, 10, tzinfo=zone)


def test_add_returns_utc(calendar: BusinessCalendar) -> None:
    start = dt.datetime(2026, 1, 12, 10, tzinfo=GENEVA)
    result = calendar.add(start, HOUR)
    assert result.tzinfo is UTC
    assert result == dt.datetime(2026, 1, 12, 10, tzinfo=UTC)


# --- elapsed ----------------------------------------------------------------------------------


def test_elapsed_counts_only_working_time(calendar: BusinessCalendar) -> None:
    friday, monday = local(2026, 1, 9, 10), local(2026, 1, 12, 10)
    assert calendar.elapsed(friday, monday) == DAY
    assert calendar.elapsed(friday, monday, working=False) == 3 * DAY
    assert calendar.elapsed(monday, friday) == -DAY
    assert calendar.elapsed(local(2026, 1, 10, 9), local(2026, 1, 11, 18)) == 0
    assert calendar.elapsed(friday, friday) == 0


def test_calendar_elapsed_is_real_time_across_summer_time(calendar: BusinessCalendar) -> None:
    saturday, sunday = local(2026, 3, 28, 12), local(2026, 3, 29, 12)
    assert sunday - saturday == dt.timedelta(hours=23)
    assert calendar.elapsed(saturday, sunday, working=False) == 23 * 3600


# --- add and elapsed are inverses -------------------------------------------------------------

instants = st.datetimes(
    min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2031, 12, 31), timezones=st.just(UTC)
)
budgets = st.floats(min_value=0, max_value=400 * DAY, allow_nan=False, allow_infinity=False)


@PROPERTY
@given(start=instants, seconds=budgets)
def test_elapsed_inverts_add_in_working_time(start: dt.datetime, seconds: float) -> None:
    calendar = BusinessCalendar("CH-GE", "Europe/Zurich")
    end = calendar.add(start, seconds)
    assert end >= start
    assert calendar.elapsed(start, end) == pytest.approx(seconds, abs=1e-6)


@PROPERTY
@given(start=instants, seconds=budgets)
def test_elapsed_inverts_add_in_calendar_time(start: dt.datetime, seconds: float) -> None:
    calendar = BusinessCalendar("CH-GE", "Europe/Zurich")
    end = calendar.add(start, seconds, working=False)
    assert calendar.elapsed(start, end, working=False) == pytest.approx(seconds, abs=1e-6)


@PROPERTY
@given(start=instants, first=budgets, second=budgets)
def test_add_is_additive_in_working_time(start: dt.datetime, first: float, second: float) -> None:
    calendar = BusinessCalendar("CH-GE", "Europe/Zurich")
    once = calendar.add(start, first + second)
    twice = calendar.add(calendar.add(start, first), second)
    assert abs((once - twice).total_seconds()) <= 1e-6 or (
        # both ends of a non-working stretch: the same business instant
        calendar.elapsed(once, twice) == pytest.approx(0, abs=1e-6)
    )


# --- refused ----------------------------------------------------------------------------------


@pytest.mark.parametrize("working", [True, False])
def test_naive_datetimes_are_refused(calendar: BusinessCalendar, working: bool) -> None:
    naive = dt.datetime(2026, 1, 12, 10)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.add(naive, HOUR, working=working)
    with pytest.raises(ValueError, match="timezone-aware"):
        calendar.elapsed(naive, naive + dt.timedelta(hours=1), working=working)


@pytest.mark.parametrize("working", [True, False])
def test_negative_seconds_are_refused(calendar: BusinessCalendar, working: bool) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        calendar.add(local(2026, 1, 12, 10), -1, working=working)


# --- around the change of the clocks --------------------------------------------------------


def test_calendar_add_never_goes_back_in_time(calendar: BusinessCalendar) -> None:
    # 01:30 UTC on 25 October 2026 is 02:30 local, the second time round (CET).
    start = dt.datetime(2026, 10, 25, 1, 30, tzinfo=UTC)
    assert calendar.add(start, 0, working=False) == start
    assert calendar.add(start, 600, working=False) > start


def test_calendar_elapsed_inverts_add_into_the_skipped_hour(calendar: BusinessCalendar) -> None:
    # One calendar day after Saturday 02:30 is Sunday 02:30, which the clocks skip.
    start = local(2026, 3, 28, 2, 30)
    end = calendar.add(start, DAY, working=False)
    assert calendar.elapsed(start, end, working=False) == DAY


@PROPERTY
@given(end=instants, seconds=budgets)
def test_subtract_reaches_back_exactly_that_much_working_time(end: dt.datetime, seconds: float) -> None:
    calendar = BusinessCalendar("CH-GE", "Europe/Zurich")
    start = calendar.subtract(end, seconds)
    assert start <= end
    assert calendar.elapsed(start, end) == pytest.approx(seconds, abs=1e-6)


def test_five_working_days_before_a_monday_morning_is_the_monday_before(calendar: BusinessCalendar) -> None:
    monday = local(2026, 3, 9, 10)
    assert calendar.subtract(monday, 5 * DAY) == local(2026, 3, 2, 10)
