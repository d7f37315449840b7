"""The deadline sweep: reminders, overdue flags, escalations and the State's notices, once per step.

Every decision is taken from the database at the moment given, so the sweep can run every minute,
from several schedulers at once, or be replayed at any instant. A step is a case's status entered
at `step_started_at`; the unique constraint on (case, step, kind) makes each event happen once,
whichever process inserts it first.
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, exists, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, raiseload

from tacase.db.models import Case, DeadlineEvent
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


def _has_event(*kinds: str) -> Any:
    return exists().where(
        DeadlineEvent.case_id == Case.id, DeadlineEvent.step_started_at == Case.step_started_at,
        DeadlineEvent.kind.in_(kinds),
    )


def _candidates(session: Session, limit: int, *conditions: Any) -> list[Case]:
    return list(session.scalars(
        select(Case).options(raiseload(Case.recommendations))
        .where(Case.due_at.is_not(None), Case.closed_at.is_(None), *conditions)
        .order_by(Case.due_at, Case.id).limit(min(limit, BATCH))
    ))


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


def _only_sweep(session: Session) -> bool:
    """One sweep at a time: a second one skips its pass instead of queueing behind the first on the
    same rows. The unique constraint still guarantees once-per-step if this is ever bypassed."""
    if session.get_bind().dialect.name != "postgresql":
        return True  # SQLite: BEGIN IMMEDIATE already runs one writer at a time
    return bool(session.scalar(text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _SWEEP_LOCK_KEY}))


def sweep_deadlines(session: Session, clock: Clock, *, escalate_after_working_days: int = 5,
                    limit: int | None = None) -> SweepReport:
    """One pass over what is due at `clock()`: at most `limit` events (with None, all those due).
    Flushes, never commits: `jobs.tasks.sweep_in_batches` commits a pass at a time."""
    now = clock()
    report = SweepReport(at=now)
    if not _only_sweep(session):
        report.skipped = True
        return report
    budget = limit if limit is not None else 2**31

    def left() -> int:
        return budget - report.total

    for party in ("office", "state"):
        reminder, due = REMINDER_KIND[party], DUE_KIND[party]
        for kind, conditions in (
            (reminder, (Case.due_party == party, Case.remind_at <= now, Case.due_at > now,
                        ~_has_event(reminder, due))),
            (due, (Case.due_party == party, Case.due_at <= now, ~_has_event(due))),
        ):
            while left() > 0 and (found := _candidates(session, left(), *conditions)):
                before = report.total
                for case in found:
                    _record(session, case, kind, now, report)
                if report.total == before:
                    break  # every one was another sweep's already
    calendar = business_calendar(session)
    threshold = escalate_after_working_days * DAY
    while left() > 0:
        overdue = _candidates(session, left(), and_(Case.due_party == "office", Case.due_at <= now),
                              _has_event("overdue"), ~_has_event("escalation"))
        # By due date: once one is not overdue long enough, neither are those after it.
        ready = list(itertools.takewhile(lambda c: calendar.elapsed(c.due_at, now) >= threshold, overdue))
        before = report.total
        for case in ready:
            _record(session, case, "escalation", now, report)
        if len(ready) < len(overdue) or not ready or report.total == before:
            break
    return report


@dataclass(frozen=True)
class StepEvents:
    reminded_at: dt.datetime | None = None
    overdue_at: dt.datetime | None = None
    escalated_at: dt.datetime | None = None


def step_events(session: Session, cases: list[Case]) -> dict[int, StepEvents]:
    """For each case, when its current step was reminded, flagged overdue and escalated (one query)."""
    if not cases:
        return {}
    steps = {c.id: c.step_started_at for c in cases}
    rows = session.execute(
        select(DeadlineEvent.case_id, DeadlineEvent.step_started_at, DeadlineEvent.kind, DeadlineEvent.at)
        .where(DeadlineEvent.case_id.in_(steps))
    ).all()
    found: dict[int, dict[str, dt.datetime]] = {}
    for row in rows:
        if row.step_started_at == steps[row.case_id]:
            found.setdefault(row.case_id, {})[row.kind] = row.at
    out = {}
    for case_id, kinds in found.items():
        out[case_id] = StepEvents(
            reminded_at=kinds.get("reminder") or kinds.get("state_reminder"),
            overdue_at=kinds.get("overdue") or kinds.get("last_notice"),
            escalated_at=kinds.get("escalation"),
        )
    return out
