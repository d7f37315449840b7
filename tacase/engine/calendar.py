"""A business calendar: weekends, a duty station's public holidays, and extra closures.

Time is counted on the duty station's wall clock so that "15 working days from Monday 10:00" ends
at 10:00 local time whatever daylight saving did in between. A working day counts 24 hours of
business time; a weekend, holiday or closure counts none.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import holidays

DAY = 86400.0
UTC = dt.UTC


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

    def holiday_name(self, day: dt.date) -> str | None:
        return self._holidays.get(day)

    def is_working_day(self, day: dt.date) -> bool:
        return day.weekday() not in self.weekend and day not in self._holidays and (
            day not in self.closures
        )

    def _local(self, instant: dt.datetime) -> dt.datetime:
        if instant.tzinfo is None:
            raise ValueError("instants must be timezone-aware")
        return instant.astimezone(self.timezone).replace(tzinfo=None)

    def _utc(self, wall: dt.datetime) -> dt.datetime:
        return wall.replace(tzinfo=self.timezone).astimezone(UTC)

    def add(self, start: dt.datetime, seconds: float, *, working: bool = True) -> dt.datetime:
        """The instant at which `seconds` of business time have passed since `start`."""
        if seconds < 0:
            raise ValueError("seconds must not be negative")
        if not working:
            return self._utc(self._local(start) + dt.timedelta(seconds=seconds))
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

    def elapsed(self, start: dt.datetime, end: dt.datetime, *, working: bool = True) -> float:
        """Business seconds between two instants (negative when `end` is before `start`)."""
        if end < start:
            return -self.elapsed(end, start, working=working)
        a, b = self._local(start), self._local(end)
        if not working:
            return (b - a).total_seconds()
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
