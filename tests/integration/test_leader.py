"""The leader lock: one holder at a time; the next takes over when the holder goes."""

from __future__ import annotations

import datetime as dt

from tacase.db.session import make_engine, make_session_factory
from tacase.jobs import tasks
from tacase.jobs.leader import LeaseLeader, leader_for
from tacase.jobs.schedule import schedule
from tacase.services.clock import FixedClock


def test_one_leader_at_a_time_and_a_takeover(fresh_db, runtime):
    engine = make_engine(fresh_db)
    sessions = make_session_factory(engine, runtime)
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    first = leader_for(engine, sessions, "first", clock, lease_seconds=30)
    second = leader_for(engine, sessions, "second", clock, lease_seconds=30)
    try:
        assert first.try_acquire()
        assert not second.try_acquire()
        assert first.still_leader()
        first.release()
        assert second.try_acquire()
        assert not first.try_acquire()
    finally:
        first.release()
        second.release()
        engine.dispose()


def test_a_lease_that_is_not_renewed_passes_to_the_next(fresh_db, runtime):
    engine = make_engine(fresh_db)
    sessions = make_session_factory(engine, runtime)
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    ttl = dt.timedelta(seconds=30)
    first, second = LeaseLeader(sessions, "first", clock, ttl), LeaseLeader(sessions, "second", clock, ttl)
    try:
        assert first.try_acquire()
        clock.advance(seconds=20)
        assert first.still_leader()  # renewed until 09:00:50
        clock.advance(seconds=25)
        assert not second.try_acquire()
        clock.advance(seconds=10)  # the first died: its lease ran out
        assert second.try_acquire()
        assert not first.still_leader()
    finally:
        engine.dispose()


def test_the_schedule_is_data(runtime):
    from config import load_config

    jobs = {job.name: job for job in schedule(load_config("testing", environ={"TACASE_DIGEST_HOUR": "6"}))}
    assert jobs["sweep-deadlines"].every == {"seconds": 60}
    assert jobs["daily-digest"].trigger == "cron" and jobs["daily-digest"].every["hour"] == 6
    assert set(jobs) == {"sweep-deadlines", "deliver-mail", "daily-digest", "purge-idempotency-keys",
                         "audit-checkpoint", "audit-verify-full", "refresh-record-counts", "build-open-data",
                         "build-iati-file", "refresh-timeliness", "audit-sign-checkpoint", "sync-calls",
                         "call-reminders"}
    assert all(hasattr(tasks, job.task) for job in jobs.values())
    assert jobs["audit-verify-full"].trigger == "cron"
    assert jobs["audit-sign-checkpoint"].trigger == "cron" and set(jobs["audit-sign-checkpoint"].every) >= {
        "hour", "minute"}
