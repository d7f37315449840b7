"""A business calendar: weekends, a duty station's public holidays, and extra closures.

Working days are counted on the duty station's wall clock so that "15 working days from Monday
10:00" ends at 10:00 local time whatever daylight saving did in between: a working day counts 24
hours of business time; a weekend, holiday or closure counts none. Calendar days are plain elapsed
time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import holidays

DAY = 86400.0
UTC = dt.UTC


def _require_aware(instant: dt.datetime) -> None:
    if instant.tzinfo is None:
        raise ValueError("instants must be timezone-aware")


class BusinessCalendar:
    def __init__(
        self,
        station: str = "CH-GE",
        timezone: str = "Europe/Zurich",
        closures: Iterable[dt.date] = (),
        weekend: tuple[int, ...] = (5, 6),
    ) -> None:
        country, _, subdiv = station.partition("-")
        self.station = station
        self.timezone = ZoneInfo(timezone)
        self._holidays = holidays.country_holidays(country, subdiv=subdiv or None)
        self.closures = frozenset(closures)
        self.weekend = frozenset(weekend)

    def with_closures(self, closures: Iterable[dt.date]) -> BusinessCalendar:
        """The same calendar with these extra closed days (the holiday tables are shared)."""
        other = object.__new__(BusinessCalendar)
        other.__dict__.update(self.__dict__)
        other.closures = frozenset(closures)
        return other

    def holiday_name(self, day: dt.date) -> str | None:
        return self._holidays.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self._holidays and (
            day not in self.closures
        )

    def _local(self, instant: dt.datetime) -> dt.datetime:
        return instant.astimezone(self.timezone).replace(tzinfo=None)

    def _utc(self, wall: dt.datetime) -> dt.datetime:
        return wall.replace(tzinfo=self.timezone).astimezone(UTC)

    def add(self, start: dt.datetime, seconds: float, *, working: bool = True) -> dt.datetime:
        """The instant at which `seconds` of business time have passed since `start`."""
        _require_aware(start)
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if not working:
            # Calendar days are plain elapsed time: monotonic, and exactly undone by elapsed().
            return start.astimezone(UTC) + dt.timedelta(seconds=seconds)
        wall = self._local(start)
        left = dt.timedelta(seconds=seconds)
        # Bounded: a deadline is at most ten years; no calendar closes for longer.
        for _ in range(20000):
            midnight = dt.datetime.combine(wall.date() + dt.timedelta(days=1), dt.time())
            if self.is_working_day(wall.date()):
                if left <= midnight - wall:
                    return self._utc(wall + left)
                left -= midnight - wall
            wall = midnight
        raise ValueError("no working days found in the calendar")

    def subtract(self, end: dt.datetime, seconds: float) -> dt.datetime:
        """The latest instant from which `seconds` of business time have passed by `end`: how far
        back "five working days ago" reaches."""
        _require_aware(end)
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        wall = self._local(end)
        left = dt.timedelta(seconds=seconds)
        for _ in range(20000):
            day_start = dt.datetime.combine(wall.date(), dt.time())
            if day_start == wall:  # at midnight, the day before is the one to count back through
                day_start -= dt.timedelta(days=1)
            if self.is_working_day(day_start.date()):
                if left <= wall - day_start:
                    return self._utc(wall - left)
                left -= wall - day_start
            wall = day_start
        raise ValueError("no working days found in the calendar")

    def elapsed(self, start: dt.datetime, end: dt.datetime, *, working: bool = True) -> float:
        """Business seconds between two instants (negative when `end` is before `start`)."""
        _require_aware(start)
        _require_aware(end)
        if end < start:
            return -self.elapsed(end, start, working=working)
        if not working:
            return (end - start).total_seconds()
        a, b = self._local(start), self._local(end)
        total = 0.0
        while a < b:
            midnight = dt.datetime.combine(a.date() + dt.timedelta(days=1), dt.time())
            upto = min(midnight, b)
            if self.is_working_day(a.date()):
                total += (upto - a).total_seconds()
            a = upto
        return total

    def describe(self) -> dict:
        return {
            "duty_station": self.station,
            "timezone": str(self.timezone),
            "weekend": sorted(self.weekend),
            "closures": sorted(d.isoformat() for d in self.closures),
        }
