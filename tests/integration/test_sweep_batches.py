"""The sweep commits a few events at a time, so that web writes never queue behind a whole sweep
for the audit chain's lock, and still records every event once."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from tacase.audit import store
from tacase.audit.store import verify_chain
from tacase.cli import main
from tacase.db.models import AuditEvent, Case, DeadlineEvent
from tacase.jobs import tasks
from tacase.services import accounts, cases, transitions
from tacase.services import deadline_sweep as sweep_service
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tests.conftest import Factory, complete_fields

DAY = dt.timedelta(days=1)


def submitted_cases(sessions, clock, count: int) -> tuple[Actor, dt.datetime]:
    """`count` submitted cases; returns their focal point and a moment when all are long overdue."""
    with sessions() as s:
        focal = Actor.for_user(accounts.create_user(s, SYSTEM, clock, email="f@example.org",
                                                    roles=["state_focal_point"], state_code="FJI",
                                                    password=None))
        accounts.create_user(s, SYSTEM, clock, email="a@example.org", roles=["approver"], password=None)
        factory = Factory(s, clock)
        for _ in range(count):
            case = cases.open_draft(s, focal, clock, type="upr_fund", fields=factory.complete_fields())
            transitions.fire_transition(s, focal, clock, case.reference, "submit")
        due = max(c.due_at for c in s.scalars(select(Case)))
        s.commit()
    return focal, due + 60 * DAY


def test_each_transaction_of_a_sweep_chains_a_few_events(fresh_sessions, clock, monkeypatch):
    _, later = submitted_cases(fresh_sessions, clock, 25)  # 25 overdue and 25 escalations
    sealed: list[int] = []
    real_seal = store.seal

    def counting_seal(session):
        chained = real_seal(session)
        if chained:
            sealed.append(len(chained))
        return chained

    monkeypatch.setattr(store, "seal", counting_seal)
    report = tasks.sweep_in_batches(fresh_sessions, FixedClock(later), escalate_after_working_days=5,
                                    batch=10)
    assert report.counts["overdue"] == 25 and report.counts["escalation"] == 25
    assert sum(sealed) == 50 and max(sealed) <= 10 and len(sealed) >= 5
    with fresh_sessions() as s:
        assert verify_chain(s).ok
    again = tasks.sweep_in_batches(fresh_sessions, FixedClock(later), escalate_after_working_days=5)
    assert again.total == 0


def test_a_write_during_a_long_sweep_is_not_held_until_the_sweep_ends(fresh_sessions, clock, backend,
                                                                       monkeypatch):
    if backend == "sqlite":
        pytest.skip("SQLite lets one writer in at a time, whatever the sweep does; the lock is PostgreSQL's")
    focal, later = submitted_cases(fresh_sessions, clock, 150)
    order: list[str] = []
    first_batch = threading.Event()
    real_sweep = sweep_service.sweep_deadlines

    def sweep_and_tell(session, *args, **kwargs):
        report = real_sweep(session, *args, **kwargs)
        first_batch.set()  # the writer starts once the sweep is under way
        return report

    def sweeper():
        tasks.sweep_in_batches(fresh_sessions, FixedClock(later), escalate_after_working_days=5)
        order.append("sweep finished")

    def writer():
        first_batch.wait(30)
        with fresh_sessions() as s:
            cases.open_draft(s, focal, FixedClock(later), type="upr_fund", fields=complete_fields())
            s.commit()  # chains its audit event: the lock the sweep's commits take too
        order.append("write committed")

    monkeypatch.setattr(tasks, "sweep", sweep_and_tell)
    threads = [threading.Thread(target=sweeper), threading.Thread(target=writer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert order == ["write committed", "sweep finished"]
    with fresh_sessions() as s:
        kinds = dict(s.execute(select(DeadlineEvent.kind, func.count()).group_by(DeadlineEvent.kind)).all())
        assert kinds == {"overdue": 150, "escalation": 150}
        assert verify_chain(s).ok


@pytest.fixture
def cli(fresh_db, monkeypatch):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", fresh_db)
    return lambda *args: CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_the_command_says_when_another_sweep_is_running(cli, fresh_sessions, clock, backend, monkeypatch):
    _, later = submitted_cases(fresh_sessions, clock, 3)
    with monkeypatch.context() as patched:
        if backend == "postgresql":
            # Another sweep's transaction holds the sweep lock.
            holder = fresh_sessions()
            holder.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": sweep_service._SWEEP_LOCK_KEY})
        else:
            # SQLite runs one writer at a time and so never skips: stand in for the lock being taken.
            patched.setattr(sweep_service, "_only_sweep", lambda session: False)
        try:
            result = cli("deadlines", "sweep", "--now", later.isoformat())
        finally:
            if backend == "postgresql":
                holder.rollback()
                holder.close()
    assert "skipped: another sweep is running" in result.output
    assert "0 reminders" not in result.output
    done = cli("deadlines", "sweep", "--now", later.isoformat())
    assert "3 overdue" in done.output and "3 escalations" in done.output
    with fresh_sessions() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "deadline.overdue")) == 3


def test_one_pass_without_a_limit_does_all_that_is_due_however_many(fresh_sessions, clock, monkeypatch):
    _, later = submitted_cases(fresh_sessions, clock, 12)
    monkeypatch.setattr(sweep_service, "BATCH", 5)  # what one query reads at most
    with fresh_sessions() as s:
        report = sweep_service.sweep_deadlines(s, FixedClock(later))
        s.commit()
    assert report.counts["overdue"] == 12 and report.counts["escalation"] == 12


def test_a_pass_reads_only_what_is_due_now_not_the_backlog_already_flagged(fresh_sessions, clock):
    """Once every step is flagged and escalated, the next passes load no case at all."""
    from sqlalchemy import event as orm_event

    _, later = submitted_cases(fresh_sessions, clock, 30)
    first = tasks.sweep_in_batches(fresh_sessions, FixedClock(later), escalate_after_working_days=5)
    assert first.counts["overdue"] == 30 and first.counts["escalation"] == 30
    loaded: list[int] = []

    def count_loads(target, context) -> None:
        loaded.append(target.id)

    orm_event.listen(Case, "load", count_loads)
    try:
        for hours in (1, 24, 24 * 30):
            report = tasks.sweep_in_batches(fresh_sessions, FixedClock(later + dt.timedelta(hours=hours)),
                                            escalate_after_working_days=5)
            assert report.total == 0
    finally:
        orm_event.remove(Case, "load", count_loads)
    assert loaded == []
    with fresh_sessions() as s:
        waiting = select(func.count()).select_from(Case).where(Case.next_attention_at.is_not(None))
        assert s.scalar(waiting) == 0


def test_the_sweeps_bookkeeping_leaves_the_case_s_version_alone(fresh_sessions, clock):
    _, later = submitted_cases(fresh_sessions, clock, 2)
    with fresh_sessions() as s:
        before = dict(s.execute(select(Case.id, Case.version)).all())
    tasks.sweep_in_batches(fresh_sessions, FixedClock(later), escalate_after_working_days=5)
    with fresh_sessions() as s:
        assert dict(s.execute(select(Case.id, Case.version)).all()) == before  # ETags still hold
