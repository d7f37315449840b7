"""The deadline sweep travelling through time with an injected clock, on both databases."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from tacase.audit.store import verify_chain
from tacase.db.models import AuditEvent, CalendarClosure, Case, DeadlineEvent
from tacase.services import audit_log, transitions
from tacase.services.clock import FixedClock
from tacase.services.deadline_sweep import step_events, sweep_deadlines

DAY = dt.timedelta(days=1)


@pytest.fixture
def people(make):
    return {"fji": make.focal("FJI"), "reviewer": make.user("reviewer")}


def submitted(session, make, people, clock):
    case = make.draft(people["fji"])
    transitions.fire_transition(session, people["fji"], clock, case.reference, "submit")
    return case


def events(session, case) -> list[str]:
    return list(session.scalars(
        select(DeadlineEvent.kind).where(DeadlineEvent.case_id == case.id).order_by(DeadlineEvent.id)))


def sweep_at(session, moment: dt.datetime, **kw):
    return sweep_deadlines(session, FixedClock(moment), **kw)


def test_reminder_then_overdue_then_escalation_each_once(session, make, people, clock):
    case = submitted(session, make, people, clock)  # Monday 2 March 2026, 15 working days
    assert sweep_at(session, case.remind_at - dt.timedelta(minutes=1)).total == 0
    assert sweep_at(session, case.remind_at).counts["reminder"] == 1
    assert sweep_at(session, case.remind_at + dt.timedelta(hours=1)).total == 0
    assert sweep_at(session, case.due_at - dt.timedelta(seconds=1)).total == 0
    assert sweep_at(session, case.due_at).counts["overdue"] == 1
    assert sweep_at(session, case.due_at + DAY).total == 0
    # Due on a Monday morning; five working days later is the next Monday morning.
    report = sweep_at(session, case.due_at + 7 * DAY)
    assert report.counts["escalation"] == 1
    assert sweep_at(session, case.due_at + 30 * DAY).total == 0
    assert events(session, case) == ["reminder", "overdue", "escalation"]
    audit_log.seal(session)  # this transaction's events, chained as its commit would
    actions = list(session.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case.id)))
    assert [a for a in actions if a.startswith("deadline.")] == [
        "deadline.reminder", "deadline.overdue", "deadline.escalation"]
    assert verify_chain(session).ok


def test_the_due_date_skips_weekends_and_holidays(session, make, people):
    # Submitted Thursday 26 March 2026: Good Friday (3 April) and Easter Monday (6 April) are
    # holidays in Geneva, so 15 working days end two days later than weekends alone would say.
    clock = FixedClock(dt.datetime(2026, 3, 26, 9, 0, tzinfo=dt.UTC))
    case = make.draft(people["fji"])
    transitions.fire_transition(session, people["fji"], clock, case.reference, "submit")
    local_due = case.due_at.astimezone(dt.timezone(dt.timedelta(hours=2)))
    assert local_due.date() == dt.date(2026, 4, 20)
    assert sweep_at(session, dt.datetime(2026, 4, 17, 12, 0, tzinfo=dt.UTC)).counts["overdue"] == 0
    assert sweep_at(session, case.due_at).counts["overdue"] == 1


def test_a_closure_recorded_before_the_step_moves_its_due_date(session, make, people, clock):
    session.add(CalendarClosure(station="CH-GE", day=dt.date(2026, 3, 10), reason="Staff retreat",
                                created_at=clock()))
    session.flush()
    with_closure = submitted(session, make, people, clock)
    session.delete(session.scalar(select(CalendarClosure)))
    session.flush()
    without = submitted(session, make, people, clock)
    assert with_closure.due_at - without.due_at == DAY


def test_escalation_counts_working_days_only(session, make, people, clock):
    case = submitted(session, make, people, clock)
    sweep_at(session, case.due_at)
    # Due Monday 23 March: by Sunday only four working days have passed, by Monday five.
    assert sweep_at(session, case.due_at + 6 * DAY).counts["escalation"] == 0
    assert sweep_at(session, case.due_at + 7 * DAY).counts["escalation"] == 1


def test_while_the_state_is_waited_on_only_its_own_deadline_runs(session, make, people, clock):
    case = submitted(session, make, people, clock)
    clock.advance(days=7)
    transitions.fire_transition(session, people["reviewer"], clock, case.reference, "return_to_state",
                                data={"questions": "Which ministry leads?"})
    assert case.due_party == "state" and case.paused_state == "submitted"
    office_left = case.paused_remaining_s
    assert sweep_at(session, clock() + 19 * DAY).total == 0
    assert sweep_at(session, clock() + 20 * DAY).counts["state_reminder"] == 1
    report = sweep_at(session, clock() + 30 * DAY)
    assert report.counts["last_notice"] == 1 and report.counts["overdue"] == 0
    assert sweep_at(session, clock() + 45 * DAY).total == 0  # the office is never escalated for it
    clock.advance(days=31)
    transitions.fire_transition(session, people["fji"], clock, case.reference, "resubmit",
                                data={"reply": "The Ministry of Justice."})
    assert case.due_party == "office" and case.paused_state is None
    # The office's step resumes with the time it had left, and is a new step for the sweep.
    from tacase.services.business_calendar import business_calendar
    assert business_calendar(session).elapsed(clock(), case.due_at) == pytest.approx(office_left)
    assert sweep_at(session, case.due_at).counts["overdue"] == 1
    assert events(session, case) == ["state_reminder", "last_notice", "overdue"]


def test_closed_cases_are_never_flagged(session, make, people, clock):
    case = make.draft(people["fji"])
    transitions.fire_transition(session, people["fji"], clock, case.reference, "withdraw", data={})
    assert sweep_at(session, clock() + 400 * DAY).total == 0


def test_the_api_fields_of_a_step(session, make, people, clock):
    case = submitted(session, make, people, clock)
    sweep_at(session, case.remind_at)
    sweep_at(session, case.due_at)
    got = step_events(session, [case])[case.id]
    assert got.reminded_at == case.remind_at and got.overdue_at == case.due_at
    assert got.escalated_at is None


def test_concurrent_sweeps_record_each_event_once(fresh_sessions, clock, backend):
    if backend == "sqlite":
        pytest.skip("SQLite runs one writer at a time; the race needs PostgreSQL")
    from tacase.services import accounts, cases
    from tacase.services.actors import SYSTEM, Actor
    from tests.conftest import Factory

    with fresh_sessions() as s:
        focal = Actor.for_user(accounts.create_user(s, SYSTEM, clock, email="f@example.org",
                                                    roles=["state_focal_point"], state_code="FJI",
                                                    password=None))
        factory = Factory(s, clock)
        refs = []
        for _ in range(20):
            c = cases.open_draft(s, focal, clock, type="upr_fund", fields=factory.complete_fields())
            transitions.fire_transition(s, focal, clock, c.reference, "submit")
            refs.append(c.reference)
        due = max(c.due_at for c in s.scalars(select(Case)))
        s.commit()
    barrier = threading.Barrier(4)
    errors = []

    def sweeper():
        try:
            barrier.wait()
            with fresh_sessions() as s:
                sweep_deadlines(s, FixedClock(due + 60 * DAY))
                s.commit()
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=sweeper) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    with fresh_sessions() as s:
        kinds = dict(s.execute(select(DeadlineEvent.kind, func.count()).group_by(DeadlineEvent.kind)).all())
        assert kinds == {"overdue": 20, "escalation": 20}
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action.startswith("deadline."))) == 40
        assert verify_chain(s).ok
