"""Days the duty station is closed beyond weekends and public holidays, and the calendar they make.

Adding or removing a closure does not move due dates already set: a State was told those dates, and
steps in progress keep them. Steps started afterwards count working days on the new calendar.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tacase.db.models import CalendarClosure
from tacase.engine.closed_days import MAX_RANGE_DAYS, WEEKDAYS, ClosedDay, closed_days, shifted
from tacase.engine.roles import ADMIN
from tacase.services import audit_log
from tacase.services.actors import Actor
from tacase.services.clock import Clock
from tacase.services.errors import Forbidden, NotFound, ValidationFailed
from tacase.services.runtime import runtime_of

MAX_REASON = 200
DEFAULT_DAYS_AHEAD = 60


def _require_admin(actor: Actor) -> None:
    if ADMIN not in actor.roles:
        raise Forbidden("only an administrator may record or remove closures")


def list_closures(session: Session, actor: Actor, *, start: dt.date | None = None,
                  end: dt.date | None = None) -> list[CalendarClosure]:
    """The duty station's closures in day order, from `start` to `end` (both included) when given.
    Every signed-in user may read them: deadlines are counted on them. An `end` before `start`
    is an empty range."""
    query = (select(CalendarClosure).where(CalendarClosure.station == runtime_of(session).station)
             .order_by(CalendarClosure.day))
    if start is not None:
        query = query.where(CalendarClosure.day >= start)
    if end is not None:
        query = query.where(CalendarClosure.day <= end)
    return list(session.scalars(query))


def _closure_on(session: Session, station: str, day: dt.date) -> CalendarClosure | None:
    return session.scalar(select(CalendarClosure).where(CalendarClosure.station == station,
                                                        CalendarClosure.day == day))


def add_closure(session: Session, actor: Actor, clock: Clock, day: dt.date, reason: str) -> CalendarClosure:
    _require_admin(actor)
    runtime = runtime_of(session)
    calendar = runtime.calendar()
    errors: dict[str, list[str]] = {}
    # A datetime is a date too, but would carry a time the column drops without a word.
    if not isinstance(day, dt.date) or isinstance(day, dt.datetime):
        errors["day"] = ["must be a date (YYYY-MM-DD)"]
    elif day.weekday() in calendar.weekend:
        errors["day"] = [f"{day.isoformat()} is a {WEEKDAYS[day.weekday()]}, a weekend day already"]
    elif calendar.holiday_name(day):
        errors["day"] = [f"{day.isoformat()} is a public holiday already ({calendar.holiday_name(day)})"]
    elif (existing := _closure_on(session, runtime.station, day)) is not None:
        errors["day"] = [f"{day.isoformat()} is already closed ({existing.reason})"]
    text = reason.strip() if isinstance(reason, str) else ""
    if not 1 <= len(text) <= MAX_REASON:
        errors["reason"] = [f"must be text of 1 to {MAX_REASON} characters"]
    if errors:
        raise ValidationFailed(errors)
    now = clock()
    closure = CalendarClosure(station=runtime.station, day=day, reason=text, created_by_id=actor.id,
                              created_at=now)
    try:
        with session.begin_nested():
            session.add(closure)
    except IntegrityError:  # another administrator closed the same day between our read and write
        raise ValidationFailed({"day": [f"{day.isoformat()} is already closed"]}) from None
    audit_log.record(session, actor, now, "calendar.closure_added", data=_audit_data(closure))
    return closure


def remove_closure(session: Session, actor: Actor, clock: Clock, closure_id: int) -> None:
    _require_admin(actor)
    closure = session.get(CalendarClosure, closure_id)
    if closure is None or closure.station != runtime_of(session).station:
        raise NotFound(f"closure {closure_id} not found")
    data = _audit_data(closure)
    session.delete(closure)
    session.flush()
    audit_log.record(session, actor, clock(), "calendar.closure_removed", data=data)


def _audit_data(closure: CalendarClosure) -> dict[str, object]:
    return {"closure_id": closure.id, "station": closure.station, "day": closure.day.isoformat(),
            "reason": closure.reason}


@dataclass(frozen=True)
class CalendarInForce:
    station: str
    timezone: str
    weekend: tuple[str, ...]
    start: dt.date
    end: dt.date
    closed: list[ClosedDay]


def calendar_in_force(session: Session, actor: Actor, clock: Clock, *, start: dt.date | None = None,
                      end: dt.date | None = None) -> CalendarInForce:
    """Every non-working day from `start` to `end`, with why; at most 366 days at a time (a longer
    range stops after 366 days: the answer's `end` says where), none when `end` is before `start`.
    Without them: today at the duty station to 60 days later (60 days up to `end` when that is past)."""
    runtime = runtime_of(session)
    calendar = runtime.calendar()
    if start is None:
        today = clock().astimezone(calendar.timezone).date()
        start = today if end is None or end >= today else shifted(end, -DEFAULT_DAYS_AHEAD)
    if end is None:
        end = shifted(start, DEFAULT_DAYS_AHEAD)
    end = min(end, shifted(start, MAX_RANGE_DAYS - 1))
    closed: list[ClosedDay] = []
    if end >= start:
        closures = {c.day: c.reason for c in list_closures(session, actor, start=start, end=end)}
        closed = closed_days(calendar, start, end, closures)
    return CalendarInForce(
        station=runtime.station, timezone=str(calendar.timezone),
        weekend=tuple(WEEKDAYS[d] for d in sorted(calendar.weekend)),
        start=start, end=end, closed=closed,
    )
