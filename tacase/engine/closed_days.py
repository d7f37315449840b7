"""Why a day is not a working day: a weekend, a public holiday, a recorded closure, or several.

The business calendar only answers yes or no; a State reading its deadlines needs the reason, and
closures carry theirs in the database rather than in the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from tacase.engine.calendar import BusinessCalendar

# Fixed English names: calendar.day_name follows the process locale.
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MAX_RANGE_DAYS = 366


@dataclass(frozen=True)
class Reason:
    kind: str  # "weekend", "holiday" or "closure"
    text: str  # the weekday, the holiday's name, the closure's reason


@dataclass(frozen=True)
class ClosedDay:
    day: dt.date
    reasons: tuple[Reason, ...]

    @property
    def weekday(self) -> str:
        return WEEKDAYS[self.day.weekday()]


def reasons_closed(calendar: BusinessCalendar, day: dt.date, closures: Mapping[dt.date, str]
                   ) -> tuple[Reason, ...]:
    """Every reason `day` is closed, empty for a working day. `closures` maps closed days to their
    reasons; the calendar's own closure set is not consulted, so that the two cannot disagree."""
    out = []
    if day.weekday() in calendar.weekend:
        out.append(Reason("weekend", WEEKDAYS[day.weekday()]))
    holiday = calendar.holiday_name(day)
    if holiday:
        out.append(Reason("holiday", holiday))
    if day in closures:
        out.append(Reason("closure", closures[day]))
    return tuple(out)


def closed_days(calendar: BusinessCalendar, start: dt.date, end: dt.date,
                closures: Mapping[dt.date, str]) -> list[ClosedDay]:
    """The non-working days from `start` to `end`, both included, in order."""
    if end < start:
        raise ValueError("end must not be before start")
    if (end - start).days + 1 > MAX_RANGE_DAYS:
        raise ValueError(f"at most {MAX_RANGE_DAYS} days at a time")
    out = []
    for offset in range((end - start).days + 1):
        day = start + dt.timedelta(days=offset)
        reasons = reasons_closed(calendar, day, closures)
        if reasons:
            out.append(ClosedDay(day, reasons))
    return out


def shifted(day: dt.date, days: int) -> dt.date:
    """`day` plus `days` (which may be negative), stopping at the first or last representable date
    instead of overflowing: a client may well ask about year 9999."""
    ordinal = min(max(day.toordinal() + days, dt.date.min.toordinal()), dt.date.max.toordinal())
    return dt.date.fromordinal(ordinal)
