"""Service-level speed: what a transition costs compared with a bare write of the same row.

    .venv/bin/python -m tests.benchmarks.bench_services [--url URL] [--cases N]

For each database it times, in the same run:
  baseline   a bare UPDATE of the case's status and one INSERT of a history row, one commit each
  transition fire_transition (permission, guards, state machine, deadline, audit append), one
             commit each
  verify     recomputing the whole audit chain, per event
and prints the figures and the ratios. Absolute times drift on shared machines; ratios travel.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import time

from sqlalchemy import func, insert, select, update

from tacase.audit.store import verify_chain
from tacase.db.base import Base
from tacase.db.models import AuditEvent, Case, CaseTransition
from tacase.db.session import make_engine, make_session_factory
from tacase.engine.registry import WorkflowRegistry
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import utcnow
from tacase.services.runtime import Runtime
from tests.conftest import WORKFLOWS, Factory


def bench(url: str, n: int) -> dict[str, float]:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine, Runtime(workflows=WorkflowRegistry.from_dir(WORKFLOWS)))
    with sessions.begin() as s:
        focal = Actor.for_user(accounts.create_user(s, SYSTEM, utcnow, email="f@example.org",
                                                    roles=["state_focal_point"], state_code="FJI",
                                                    password=None))
        factory = Factory(s, utcnow)
        refs = [cases.open_draft(s, focal, utcnow, type="upr_fund",
                                 fields=factory.complete_fields()).reference for _ in range(2 * n)]
    with sessions() as s:
        ids = dict(s.execute(select(Case.reference, Case.id)).all())

    start = time.perf_counter()
    for ref in refs[:n]:
        with sessions.begin() as s:
            s.execute(update(Case).where(Case.id == ids[ref]).values(status="submitted",
                                                                     version=Case.version + 1))
            s.execute(insert(CaseTransition).values(
                case_id=ids[ref], trigger="submit", from_state="draft", to_state="submitted",
                actor_id=focal.id, at=dt.datetime.now(dt.UTC), record={}, seconds_in_state=0.0))
    baseline = (time.perf_counter() - start) / n

    start = time.perf_counter()
    for ref in refs[n:]:
        with sessions.begin() as s:
            transitions.fire_transition(s, focal, utcnow, ref, "submit")
    fired = (time.perf_counter() - start) / n

    with sessions() as s:
        events = s.scalar(select(func.count()).select_from(AuditEvent))
        start = time.perf_counter()
        assert verify_chain(s).ok
        verify = (time.perf_counter() - start) / events
    engine.dispose()
    return {"baseline_ms": baseline * 1e3, "transition_ms": fired * 1e3,
            "ratio": fired / baseline, "verify_us_per_event": verify * 1e6, "events": events}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", action="append", help="database URL (repeatable); the tables "
                        "are dropped and recreated, so use a scratch database")
    parser.add_argument("--cases", type=int, default=300)
    args = parser.parse_args()
    urls = args.url or ["sqlite:///" + os.path.abspath("instance/bench.sqlite3")]
    for url in urls:
        os.makedirs("instance", exist_ok=True)
        r = bench(url, args.cases)
        print(f"{url.split('://')[0]:<12} baseline {r['baseline_ms']:.2f} ms/commit   "
              f"transition {r['transition_ms']:.2f} ms/commit   ratio {r['ratio']:.1f}x   "
              f"verify {r['verify_us_per_event']:.1f} us/event over {r['events']} events")


if __name__ == "__main__":
    main()
