"""What a deadline sweep costs per event, against a bare insert of the same rows.

    .venv/bin/python -m tests.benchmarks.bench_sweep [--url URL] [--cases N]

Opens and submits N cases, then in the same run times:
  baseline  one INSERT of N deadline-event rows and one commit (no selection, audit or mail)
  sweep     one sweep at a moment when every step is overdue and escalated: it selects the due
            steps, inserts 2N events, appends 2N audit events and writes the notifications and
            outbox mail for each, in one commit
  idle      a second sweep at the same moment, which finds nothing to do (the every-minute case)
and prints the figures per event and the ratio. Tables are dropped and recreated: use a scratch
database. Absolute times drift on shared machines; the ratios are the figures to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time

from sqlalchemy import insert, select

from tacase.db.base import Base
from tacase.db.models import Case, DeadlineEvent
from tacase.db.session import make_engine, make_session_factory
from tacase.engine.registry import WorkflowRegistry
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tacase.services.deadline_sweep import sweep_deadlines
from tacase.services.runtime import Runtime
from tests.conftest import WORKFLOWS, Factory


def bench(url: str, n: int) -> dict[str, float]:
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


if __name__ == "__main__":
    main()
