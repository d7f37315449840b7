"""The deadline sweep: reminders, overdue flags, escalations and the State's notices, once per step.

Every decision is taken from the database at the moment given, so the sweep can run every minute,
from several schedulers at once, or be replayed at any instant. A step is a case's status entered
at `step_started_at`; the unique constraint on (case, step, kind) makes each event happen once,
whichever process inserts it first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import DateTime, Integer, bindparam, func, select, text, tuple_, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, raiseload
from sqlalchemy.orm.attributes import set_committed_value

from tacase.db.models import Case, DeadlineEvent
from tacase.engine.calendar import BusinessCalendar
from tacase.services import audit_log, notifications
from tacase.services.actors import SYSTEM
from tacase.services.business_calendar import business_calendar
from tacase.services.clock import Clock

DAY = 86400.0
# What one query considers at most, when a pass has no smaller limit.
BATCH = 500
_SWEEP_LOCK_KEY = 0x7461636173650002

REMINDER_KIND = {"office": "reminder", "state": "state_reminder"}
DUE_KIND = {"office": "overdue", "state": "last_notice"}


@dataclass
class SweepReport:
    at: dt.datetime
    skipped: bool = False  # another sweep was running
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("reminder", "overdue", "escalation", "state_reminder", "last_notice"), 0))

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        c = self.counts
        return (f"{c['reminder']} reminders, {c['overdue']} overdue, {c['escalation']} escalations, "
                f"{c['state_reminder']} State reminders, {c['last_notice']} last notices")


def _current_steps_events(session: Session, cases: Sequence[Any]) -> dict[int, dict[str, dt.datetime]]:
    """For each case, the events its current step has had, kind by kind, with when (one query, by
    the events' unique key: only the current steps' rows are read). A step without a deadline has
    none to look up."""
    steps = {c.id: c.step_started_at for c in cases if c.due_at is not None}
    if not steps:
        return {}
    rows = session.execute(
        select(DeadlineEvent.case_id, DeadlineEvent.kind, DeadlineEvent.at).where(_of_steps(session, steps))
    ).all()
    found: dict[int, dict[str, dt.datetime]] = {}
    for row in rows:
        found.setdefault(row.case_id, {})[row.kind] = row.at
    return found


def _of_steps(session: Session, steps: dict[int, dt.datetime]):
    """The events of these steps, by their unique key. PostgreSQL is sent the keys as two arrays:
    two parameters whatever the page's length, where a list of pairs would send a hundred, and the
    driver parses a statement of more than fifty parameters anew on every call."""
    key = tuple_(DeadlineEvent.case_id, DeadlineEvent.step_started_at)
    if session.get_bind().dialect.name != "postgresql":
        return key.in_(list(steps.items()))
    return key.in_(select(
        func.unnest(bindparam("step_case_ids", list(steps), type_=ARRAY(Integer))),
        func.unnest(bindparam("step_started", list(steps.values()), type_=ARRAY(DateTime(timezone=True))))))


def _record(session: Session, case: Case, kind: str, now: dt.datetime, report: SweepReport) -> None:
    """Insert the event unless another sweep did; then audit and notify in the same transaction."""
    try:
        with session.begin_nested():
            session.add(DeadlineEvent(case_id=case.id, step_started_at=case.step_started_at,
                                      status=case.status, kind=kind, due_at=case.due_at, at=now))
    except IntegrityError:
        return  # another scheduler recorded it first: nothing more to do here
    audit_log.record(session, SYSTEM, now, f"deadline.{kind}", case, {
        "status": case.status, "due_at": case.due_at, "due_party": case.due_party,
        "step_started_at": case.step_started_at,
    })
    notifications.notify_deadline(session, case, kind, now)
    report.counts[kind] += 1


def first_attention(case: Case) -> dt.datetime | None:
    """When a step just entered first needs the sweep: its reminder, or its due time."""
    if case.due_at is None or case.closed_at is not None:
        return None
    if case.remind_at is not None and case.remind_at < case.due_at:
        return case.remind_at
    return case.due_at


def next_attention(case: Case, done: set[str], calendar: BusinessCalendar,
                   threshold: float) -> dt.datetime | None:
    """When the sweep must look at the step again, given the events it has had."""
    party = case.due_party or "office"
    if case.due_at is None or case.closed_at is not None:
        return None
    if "escalation" in done or DUE_KIND["state"] in done:
        return None
    if DUE_KIND[party] in done:  # overdue: only the office's step goes on to an escalation
        return calendar.add(case.due_at, threshold) if party == "office" else None
    if REMINDER_KIND[party] in done:
        return case.due_at
    return first_attention(case)


def _due_now(case: Case, done: set[str], now: dt.datetime, calendar: BusinessCalendar,
             threshold: float) -> list[str]:
    """The events the step should have had by `now` and has not, in the order they fall due."""
    party = case.due_party or "office"
    reminder, due = REMINDER_KIND[party], DUE_KIND[party]
    if now < case.due_at:
        # A reminder goes out before the due time only, and once.
        late = case.remind_at is not None and case.remind_at <= now
        return [reminder] if late and not {reminder, due} & done else []
    kinds = [] if due in done else [due]
    if party == "office" and "escalation" not in done and calendar.elapsed(case.due_at, now) >= threshold:
        kinds.append("escalation")
    return kinds


def _only_sweep(session: Session) -> bool:
    """One sweep at a time: a second one skips its pass instead of queueing behind the first on the
    same rows. The unique constraint still guarantees once-per-step if this is ever bypassed."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: BEGIN IMMEDIATE already runs one writer at a time
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _SWEEP_LOCK_KEY}))


def sweep_deadlines(session: Session, clock: Clock, *, escalate_after_working_days: int = 5,
                    limit: int | None = None) -> SweepReport:
    """One pass over what is due at `clock()`: at most `limit` events (with None, all those due).
    It reads only the cases whose next attention has come (an index), so a pass costs what is due
    now and nothing for the backlog already flagged. Flushes, never commits:
    `jobs.tasks.sweep_in_batches` commits a pass at a time."""
    now = clock()
    report = SweepReport(at=now)
    if not _only_sweep(session):
        report.skipped = True
        return report
    calendar = business_calendar(session)
    threshold = escalate_after_working_days * DAY
    budget = limit if limit is not None else 2**31
    while report.total < budget:
        due = list(session.scalars(
            select(Case).options(raiseload(Case.recommendations))
            .where(Case.next_attention_at <= now)
            .order_by(Case.next_attention_at, Case.id).limit(min(budget - report.total, BATCH))
        ))
        if not due:
            break
        recorded = _current_steps_events(session, due)
        later = []
        for case in due:
            done = set(recorded.get(case.id, ()))
            for kind in _due_now(case, done, now, calendar, threshold):
                if report.total >= budget:
                    break
                _record(session, case, kind, now, report)
                done.add(kind)  # by this sweep or, if it was first, by another
            later.append((case, next_attention(case, done, calendar, threshold)))
        _look_again(session, later)
    return report


_LOOK_AGAIN = (
    update(Case.__table__)
    .where(Case.__table__.c.id == bindparam("case_id"),
           Case.__table__.c.step_started_at == bindparam("step_started_at_was"))
    .values(next_attention_at=bindparam("when"))
)


def _look_again(session: Session, cases: list[tuple[Case, dt.datetime | None]]) -> None:
    """Set when the sweep next looks at each case (one statement for the batch), unless the case has
    moved to another step since it was read. Not through the ORM: the sweep's bookkeeping is no
    change of the case (its version, and so its ETag, stay)."""
    if not cases:
        return
    session.execute(_LOOK_AGAIN, [{"case_id": case.id, "step_started_at_was": case.step_started_at,
                                   "when": when} for case, when in cases])
    for case, when in cases:
        set_committed_value(case, "next_attention_at", when)


@dataclass(frozen=True)
class StepEvents:
    reminded_at: dt.datetime | None = None
    overdue_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None


def step_events(session: Session, cases: Sequence[Any]) -> dict[int, StepEvents]:
    """For each case, when its current step was reminded, flagged overdue and escalated."""
    return {case_id: StepEvents(
        reminded_at=kinds.get("reminder") or kinds.get("state_reminder"),
        overdue_at=kinds.get("overdue") or kinds.get("last_notice"),
        escalated_at=kinds.get("escalation"),
    ) for case_id, kinds in _current_steps_events(session, cases).items()}
