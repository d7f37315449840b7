"""What a deadline sweep costs per event, against a bare insert of the same rows.

    .venv/bin/python -m tests.benchmarks.bench_sweep [--url URL] [--cases N]

Opens and submits N cases, then in the same run times:
  baseline  one INSERT of N deadline-event rows and one commit (no selection, audit or mail)
  sweep     one sweep at a moment when every step is overdue and escalated: it selects the due
            steps, inserts 2N events, appends 2N audit events and writes the notifications and
            outbox mail for each, in one commit
  idle      a second sweep at the same moment, which finds nothing to do (the every-minute case)
and prints the figures per event and the ratio. Then, on fresh tables, it opens drafts one after
another while the scheduler's sweep (another process, committing ten events at a time) flags and
escalates 2N events, and prints how long a draft, its commit and its wait for the audit chain's
lock took meanwhile, against the same with no sweep.
Tables are dropped and recreated: use a scratch database. Absolute times drift on shared
machines; the ratios are the figures to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import statistics
import tempfile
import time

from sqlalchemy import insert, select

from tacase.audit import store
from tacase.db.base import Base
from tacase.db.models import Case, DeadlineEvent
from tacase.db.session import make_engine, make_session_factory
from tacase.engine.registry import WorkflowRegistry
from tacase.jobs.tasks import sweep_in_batches
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tacase.services.deadline_sweep import sweep_deadlines
from tacase.services.runtime import Runtime
from tests.conftest import WORKFLOWS, Factory, complete_fields


def _seed(url: str, n: int):
    """Fresh tables with n submitted cases; the engine, the sessions, the focal point, the cases'
    steps and a moment when every one of them is overdue and escalated."""
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine, Runtime(workflows=WorkflowRegistry.from_dir(WORKFLOWS)))
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    with sessions.begin() as s:
        focal = Actor.for_user(accounts.create_user(s, SYSTEM, clock, email="f@example.org",
                                                    roles=["state_focal_point"], state_code="FJI",
                                                    password=None))
        for i in range(3):
            accounts.create_user(s, SYSTEM, clock, email=f"a{i}@example.org", roles=["approver"],
                                 password=None)
        factory = Factory(s, clock)
        for _ in range(n):
            case = cases.open_draft(s, focal, clock, type="upr_fund", fields=factory.complete_fields())
            transitions.fire_transition(s, focal, clock, case.reference, "submit")
    with sessions() as s:
        steps = s.execute(select(Case.id, Case.step_started_at, Case.due_at)).all()
    later = FixedClock(max(r.due_at for r in steps) + dt.timedelta(days=30))
    return engine, sessions, focal, steps, later


def _sweep_in_a_process(url: str, moment: dt.datetime, started) -> int:
    engine = make_engine(url)
    sessions = make_session_factory(engine, Runtime(workflows=WorkflowRegistry.from_dir(WORKFLOWS)))
    started.set()
    report = sweep_in_batches(sessions, FixedClock(moment), escalate_after_working_days=5)
    engine.dispose()
    return report.total


def writes_during_a_sweep(url: str, n: int) -> dict[str, float]:
    """How long opening a draft takes while the scheduler (another process, as in production) sweeps
    2n events, and with no sweep."""
    engine, sessions, focal, _, later = _seed(url, n)

    waits: list[float] = []
    lock_waits: list[float] = []
    take_lock = store._lock_chain

    def timed_lock(session) -> None:
        start = time.perf_counter()
        take_lock(session)
        lock_waits.append(time.perf_counter() - start)

    store._lock_chain = timed_lock  # this process only: the drafts' waits for the chain's lock

    def open_one() -> float:
        """The draft's whole time; the time its commit waited for the chain's lock goes to `waits`."""
        start = time.perf_counter()
        with sessions() as s:
            cases.open_draft(s, focal, later, type="upr_fund", fields=complete_fields())
            s.flush()
            before_commit = time.perf_counter()
            s.commit()  # the audit append: the chain's lock, the insert, the commit
            waits.append(time.perf_counter() - before_commit)
        return time.perf_counter() - start

    quiet = [open_one() for _ in range(30)]
    quiet_commits, quiet_locks = list(waits), list(lock_waits)
    waits.clear()
    lock_waits.clear()
    context = multiprocessing.get_context("spawn")
    with context.Manager() as manager, context.Pool(1) as pool:
        started = manager.Event()
        sweep = pool.apply_async(_sweep_in_a_process, (url, later(), started))
        started.wait()
        during = []
        while not sweep.ready():
            during.append(open_one())
        events = sweep.get()
    store._lock_chain = take_lock
    engine.dispose()
    return {"events": events, "writes": len(during),
            "quiet_median_ms": statistics.median(quiet) * 1e3,
            "during_median_ms": statistics.median(during) * 1e3, "during_max_ms": max(during) * 1e3,
            "commit_quiet_ms": statistics.median(quiet_commits) * 1e3,
            "commit_median_ms": statistics.median(waits) * 1e3, "commit_max_ms": max(waits) * 1e3,
            "lock_quiet_ms": max(quiet_locks) * 1e3, "lock_median_ms": statistics.median(lock_waits) * 1e3,
            "lock_max_ms": max(lock_waits) * 1e3}


def bench(url: str, n: int) -> dict[str, float]:
    engine, sessions, _, steps, later = _seed(url, n)

    start = time.perf_counter()
    with sessions.begin() as s:
        s.execute(insert(DeadlineEvent), [
            {"case_id": r.id, "step_started_at": r.step_started_at, "status": "submitted",
             "kind": "reminder", "due_at": r.due_at, "at": later()} for r in steps])
    baseline = (time.perf_counter() - start) / n

    start = time.perf_counter()
    with sessions.begin() as s:
        report = sweep_deadlines(s, later)
    swept = (time.perf_counter() - start) / report.total

    start = time.perf_counter()
    with sessions.begin() as s:
        assert sweep_deadlines(s, later).total == 0
    idle = time.perf_counter() - start
    engine.dispose()
    return {"baseline_ms": baseline * 1e3, "sweep_ms": swept * 1e3, "events": report.total,
            "idle_ms": idle * 1e3}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="database URL (repeatable); a scratch one")
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    urls = args.url or [f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench.sqlite3')}"]
    for url in urls:
        r = bench(url, args.cases)
        print(f"{url.split(':')[0]:<10} {r['events']} events: bare insert {r['baseline_ms']:.3f} ms/row   "
              f"sweep {r['sweep_ms']:.2f} ms/event   ratio {r['sweep_ms'] / r['baseline_ms']:.0f}x   "
              f"idle sweep over {args.cases} open cases {r['idle_ms']:.1f} ms")
        w = writes_during_a_sweep(url, args.cases)
        print(f"{'':<10} opening a draft while a sweep of {w['events']} events commits in batches: "
              f"median {w['during_median_ms']:.1f} ms, longest {w['during_max_ms']:.1f} ms over "
              f"{w['writes']} drafts (with no sweep: median {w['quiet_median_ms']:.1f} ms)")
        print(f"{'':<10} of which the commit (the chain's lock, the append, the commit): median "
              f"{w['commit_median_ms']:.1f} ms, longest {w['commit_max_ms']:.1f} ms (with no sweep: "
              f"median {w['commit_quiet_ms']:.1f} ms)")
        print(f"{'':<10} of which waiting for the chain's lock: median {w['lock_median_ms']:.2f} ms, "
              f"longest {w['lock_max_ms']:.1f} ms (with no sweep: longest {w['lock_quiet_ms']:.2f} ms)")


if __name__ == "__main__":
    main()
