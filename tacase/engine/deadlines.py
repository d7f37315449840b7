"""Deadlines of a step: when it is due, when to remind, and how the office's clock pauses.

Pure functions over the calendar and a state's deadline rule; the services store the results
on the case so that one indexed query finds what is due.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from tacase.engine.calendar import DAY, BusinessCalendar
from tacase.engine.definitions import Deadline


@dataclass(frozen=True)
class StepTimes:
    due_at: dt.datetime
    remind_at: dt.datetime


def budget_seconds(rule: Deadline) -> float:
    return rule.days * DAY


def schedule(
    rule: Deadline,
    start: dt.datetime,
    calendar: BusinessCalendar,
    reminder_share: float,
    remaining: float | None = None,
) -> StepTimes:
    """Due and reminder times of a step starting (or resuming, with `remaining` seconds) at `start`."""
    budget = budget_seconds(rule)
    left = budget if remaining is None else max(0.0, min(remaining, budget))
    remind_after = (
        rule.remind_after_days * DAY if rule.remind_after_days is not None else budget * reminder_share
    )
    # Resuming: the reminder point keeps its place in the step's budget.
    used = budget - left
    remind_in = max(0.0, remind_after - used)
    return StepTimes(
        due_at=calendar.add(start, left, working=rule.working),
        remind_at=calendar.add(start, min(remind_in, left), working=rule.working),
    )


def time_left(rule: Deadline, now: dt.datetime, due_at: dt.datetime,
              calendar: BusinessCalendar) -> float:
    """Business seconds left until `due_at` (zero when already due)."""
    return max(0.0, calendar.elapsed(now, due_at, working=rule.working))
