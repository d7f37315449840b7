"""Reminders to the States that have not answered a call: the scheduler's at the call's set points
before the closing date, and the office's one-click ones (followup.remind), both written here.

Who is reminded: the State's active focal points, and the colleagues they invited to this call who
have not submitted. Each mail is written in its reader's language when it is queued.
"""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date
from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import (
    Call,
    CallInvitation,
    CallParticipant,
    CallReminder,
    CallResponse,
    OutboxMessage,
    User,
    UserRole,
)
from tacase.engine.calls import CallDefinition
from tacase.engine.roles import STATE_FOCAL_POINT
from tacase.reference import requesting_state
from tacase.services import audit_log
from tacase.services.actors import SYSTEM, Actor
from tacase.services.calls.registry import definition_of
from tacase.services.clock import Clock
from tacase.services.messages import language, translate
from tacase.services.runtime import runtime_of

KIND = "call_reminder"


def N_(message: str) -> str:
    return message


SUBJECT = N_("Reminder: %(title)s - answers by %(date)s")
GREETING = N_("Dear %(name)s,")
BODY = N_("%(state)s has not yet submitted its answer to \"%(title)s\". Answers are expected by %(date)s.")
BODY_LATE = N_("The closing date of \"%(title)s\" (%(date)s) has passed; "
               "%(state)s has not submitted its answer.")
ACTION = N_("Open the call: %(link)s")
REASON = N_("You receive this as a focal point of %(state)s or as a colleague invited to answer this call.")


def recipients(session: Session, call: Call, state_code: str) -> list[User]:
    """The State's active focal points, and its invitees to this call who have not submitted."""
    focal = select(UserRole.user_id).where(UserRole.role == STATE_FOCAL_POINT)
    people = list(session.scalars(select(User).where(User.is_active.is_(True), User.state_code == state_code,
                                                     User.id.in_(focal)).order_by(User.id)))
    submitted = select(CallResponse.invitation_id).where(
        CallResponse.call_id == call.id, CallResponse.status == "submitted",
        CallResponse.invitation_id.is_not(None))
    invitees = session.scalars(
        select(User).join(CallInvitation, CallInvitation.user_id == User.id)
        .where(CallInvitation.call_id == call.id, CallInvitation.state_code == state_code,
               CallInvitation.revoked_at.is_(None), CallInvitation.id.not_in(submitted),
               User.is_active.is_(True))
        .order_by(User.id))
    seen = {u.id for u in people}
    for user in invitees:
        if user.id not in seen:
            seen.add(user.id)
            people.append(user)
    return people


def _link(session: Session, call: Call) -> str:
    return f"{runtime_of(session).public_url.rstrip('/')}/calls/{call.key}"


def _mail(session: Session, call: Call, definition: CallDefinition, state_code: str, user: User,
          now: dt.datetime) -> OutboxMessage:
    locale = language(user.locale)
    state = requesting_state(state_code)
    values: dict[str, Any] = {
        "title": definition.title.text(locale),
        "date": format_date(call.closes_on, format="long", locale=locale),
        "state": state.name(locale) if state is not None else state_code,
        "name": user.display_name or user.email, "link": _link(session, call),
    }
    subject = translate(locale, SUBJECT, **values)[:300]
    paragraphs = [translate(locale, GREETING, **values),
                  translate(locale, BODY_LATE if now >= call.closes_at else BODY, **values),
                  translate(locale, ACTION, **values), translate(locale, REASON, **values)]
    html = "".join(f"<p>{escape(p)}</p>" for p in paragraphs[:2])
    html += f'<p><a href="{escape(values["link"])}">{escape(values["title"])}</a></p>'
    html += f"<p>{escape(paragraphs[3])}</p>"
    return OutboxMessage(created_at=now, recipient_id=user.id, to_address=user.email, subject=subject,
                         body_text="\n\n".join(paragraphs) + "\n", body_html=html, kind=KIND, case_id=None,
                         status="digest" if user.daily_digest else "pending", attempts=0, next_attempt_at=now)


def remind_state(session: Session, actor: Actor, call: Call, definition: CallDefinition,
                 participant: CallParticipant, now: dt.datetime, *, days_before: int | None = None) -> int:
    """Queue the reminder mails of one State; returns how many were queued."""
    people = recipients(session, call, participant.state_code)
    for user in people:
        session.add(_mail(session, call, definition, participant.state_code, user, now))
    participant.last_reminded_at = now
    participant.reminders_sent = (participant.reminders_sent or 0) + 1
    data: dict[str, Any] = {"call": call.key, "state": participant.state_code, "recipients": len(people)}
    if days_before is not None:
        data["days_before"] = days_before
    audit_log.record(session, actor, now, "call.reminder_sent", data=data)
    return len(people)


def _moment(day: dt.date, timezone: str) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=ZoneInfo(timezone)).astimezone(dt.UTC)


def due_point(definition: CallDefinition, call: Call, now: dt.datetime, timezone: str) -> int | None:
    """The set point (days before closing) whose moment came last, if any has: a call recorded late
    reminds once for the nearest point, not once for each point already past."""
    due = [n for n in definition.reminders if _moment(call.closes_on - dt.timedelta(days=n), timezone) <= now]
    return min(due) if due else None


def send_due_reminders(session: Session, clock: Clock, *, now: dt.datetime | None = None) -> dict[str, int]:
    """The scheduler's pass: every open call reminds, once per set point, each State of its audience
    that has not submitted. Safe to run again: `call_reminders` holds what was sent."""
    now = now if now is not None else clock()
    timezone = runtime_of(session).timezone
    counts = {"calls": 0, "states": 0, "mails": 0}
    calls = session.scalars(select(Call).where(Call.opens_on <= now.date(), Call.closes_at > now)
                            .order_by(Call.id))
    for call in calls:
        definition = definition_of(session, call)
        point = due_point(definition, call, now, timezone)
        if point is None:
            continue
        done = set(session.scalars(select(CallReminder.state_code).where(
            CallReminder.call_id == call.id, CallReminder.days_before == point)))
        waiting = [p for p in session.scalars(
            select(CallParticipant).where(CallParticipant.call_id == call.id,
                                          CallParticipant.submitted_at.is_(None))
            .order_by(CallParticipant.state_code)) if p.state_code not in done]
        if not waiting:
            continue
        counts["calls"] += 1
        for participant in waiting:
            session.add(CallReminder(call_id=call.id, state_code=participant.state_code, days_before=point,
                                     sent_at=now))
            counts["mails"] += remind_state(session, SYSTEM, call, definition, participant, now,
                                            days_before=point)
            counts["states"] += 1
        session.flush()
    return counts
