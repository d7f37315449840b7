"""The business calendar in force: the duty station's weekends and holidays plus recorded closures."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import CalendarClosure
from tacase.engine.calendar import BusinessCalendar
from tacase.services.runtime import runtime_of


def business_calendar(session: Session) -> BusinessCalendar:
    runtime = runtime_of(session)
    days = session.scalars(select(CalendarClosure.day).where(CalendarClosure.station == runtime.station))
    return runtime.calendar().with_closures(days)
