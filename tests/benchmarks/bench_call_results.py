"""What a call's results cost, against a bare grouped count of the same rows, on PostgreSQL.

    .venv/bin/python -m tests.benchmarks.bench_call_results postgresql://.../scratch [--responses N]

Makes a call to every Member and observer State (195) with 50 questions (choices, several choices,
yes/no, scales, numbers and two texts) and N submitted responses (4,000 by default: about 20 a
State), inserted in bulk with their counted `call_answers` rows and `call_answered` marks. Then
times, as the median of several runs:
  bare     SELECT question, choice, count(*) FROM call_answers WHERE call_id = ? GROUP BY question, choice
  results  tacase.services.calls.aggregation.results(): every question's counts, shares, number
           summaries and distributions, the texts listed, the response count
and prints both and the ratio, then the plan (EXPLAIN) of every statement `results()` sends, to show
the indexes used. With 20 invitations a State in the call (3,900), it also times what a focal point
does: opening its response (`responses.my_response`), saving 50 answers (`save_draft`) and
submitting them (`submit`, which writes the counted rows), each rolled back, against the bare
statements that read and update one response row. Tables are dropped and recreated: use a scratch
database. Absolute times drift on shared machines; the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import time
from decimal import Decimal
from typing import Any

from sqlalchemy import event, insert, select, text

from tacase.db.base import Base
from tacase.db.models import CallAnswer, CallAnswered, CallInvitation, CallResponse
from tacase.db.session import make_engine, make_session_factory
from tacase.engine import calls as call_defs
from tacase.engine.registry import WorkflowRegistry
from tacase.reference import requesting_states
from tacase.services import accounts
from tacase.services.actors import SYSTEM, Actor
from tacase.services.calls import aggregation, registry, responses
from tacase.services.clock import FixedClock
from tacase.services.runtime import Runtime
from tests.conftest import WORKFLOWS

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
KEY = "bench-needs"
BARE = ("SELECT question, choice, count(*) FROM call_answers WHERE call_id = :call "
        "GROUP BY question, choice")


def t(value: str) -> dict[str, str]:
    return {"en": value, "fr": value, "es": value}


def _options(n: int) -> list[dict[str, Any]]:
    return [{"value": f"o{i}", "label": t(f"Option {i}")} for i in range(n)]


def definition(questions: int) -> call_defs.CallDefinition:
    kinds = (["choice"] * 15 + ["choices"] * 10 + ["yes_no"] * 10 + ["scale"] * 8 + ["number"] * 5
             + ["text", "long_text"])
    items = []
    for i in range(questions):
        kind = kinds[i % len(kinds)]
        q: dict[str, Any] = {"key": f"q{i:02d}", "type": kind, "label": t(f"Question {i}")}
        if kind == "choice":
            q["options"] = _options(5)
        elif kind == "choices":
            q["options"] = _options(6)
        elif kind == "scale":
            q.update(min=1, max=5)
        items.append(q)
    return call_defs.parse({
        "key": KEY, "version": 1, "kind": "questionnaire", "title": t("Needs"), "introduction": t("Needs"),
        "audience": "all", "opens_on": "2026-02-01", "closes_on": "2026-04-30", "late_responses": "accept",
        "submitted_by": "each", "stakeholders": False, "reminders": [7], "publish_submissions": False,
        "questions": items}, source="benchmark")


def _answer(q: call_defs.Question, rng: random.Random) -> Any:
    if q.type == "choice":
        return rng.choice(q.option_values())
    if q.type == "choices":
        return sorted(rng.sample(q.option_values(), rng.randint(1, 3)))
    if q.type == "yes_no":
        return rng.random() < 0.6
    if q.type == "scale":
        return rng.randint(1, 5)
    if q.type == "number":
        return str(rng.randint(0, 500) * 100)
    return f"Answer {rng.randint(0, 10**6)}"


def _counted(q: call_defs.Question, value: Any) -> list[tuple[str | None, Decimal | None]]:
    if q.type == "choice":
        return [(value, None)]
    if q.type == "choices":
        return [(v, None) for v in value]
    if q.type == "yes_no":
        return [("yes" if value else "no", None)]
    if q.type == "scale":
        return [(str(value), Decimal(value))]
    if q.type == "number":
        return [(None, Decimal(value))]
    return []


def seed(url: str, responses: int, questions: int):
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    sessions = make_session_factory(engine, Runtime(workflows=WorkflowRegistry.from_dir(WORKFLOWS)))
    defn = definition(questions)
    rng = random.Random(15)
    states = sorted(requesting_states())
    with sessions.begin() as s:
        registry.sync_calls(s, {KEY: defn}, AT, "Europe/Zurich")
        call_id = registry.get_call(s, KEY).id
    answers = [{q.key: _answer(q, rng) for q in defn.questions} for _ in range(responses)]
    with sessions.begin() as s:
        rows = [{"call_id": call_id, "call_version": 1, "state_code": states[i % len(states)],
                 "respondent_kind": "ministry",
                 "respondent_type": rng.choice(("ministry", "local_government")),
                 "organisation": f"Ministry {i}", "status": "submitted", "answers": a, "late": False,
                 "submitted_at": AT + dt.timedelta(seconds=i), "reopened_count": 0,
                 "consent_to_publish": False,
                 "version": 1, "created_at": AT, "updated_at": AT} for i, a in enumerate(answers)]
        s.execute(insert(CallResponse), rows)
        ids = list(s.scalars(select(CallResponse.id).where(CallResponse.call_id == call_id)
                             .order_by(CallResponse.id)))
        reference = requesting_states()
        counted, marks = [], []
        for response_id, row in zip(ids, rows, strict=True):
            region = reference[row["state_code"]].region
            for q in defn.questions:
                marks.append({"response_id": response_id, "question": q.key, "call_id": call_id,
                              "submitted_at": row["submitted_at"], "region": region,
                              "respondent_type": row["respondent_type"]})
                for choice, number in _counted(q, row["answers"][q.key]):
                    counted.append({"response_id": response_id, "call_id": call_id, "question": q.key,
                                    "choice": choice, "number": number, "region": region,
                                    "respondent_type": row["respondent_type"]})
        for start in range(0, len(counted), 20000):
            s.execute(insert(CallAnswer), counted[start:start + 20000])
        for start in range(0, len(marks), 20000):
            s.execute(insert(CallAnswered), marks[start:start + 20000])
        s.execute(insert(CallInvitation), [
            {"call_id": call_id, "state_code": code, "email": f"body{i}.{code.lower()}@example.org",
             "ministry": f"Ministry {i}", "respondent_type": "ministry", "token_hash": f"{code}{i:061d}",
             "created_at": AT, "expires_at": AT + dt.timedelta(days=90)}
            for code in states for i in range(20)])
    with engine.connect() as conn:
        # As autovacuum leaves a table some time after its inserts: statistics and the visibility map
        # (without which no index is read alone).
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE"))
    return engine, sessions, call_id, defn, len(counted)


def focal_point_work(sessions: Any, engine: Any, defn: call_defs.CallDefinition, runs: int) -> None:
    """Open, save and submit one State's response, each rolled back, against bare row reads and writes."""
    clock = FixedClock(AT)
    with sessions.begin() as s:
        user = accounts.create_user(s, SYSTEM, clock, email="focal.kir@example.org",
                                    roles=["state_focal_point"], password="a long enough password 2026",
                                    state_code="KIR")
        actor = Actor.for_user(user)
    rng = random.Random(7)
    answers = {q.key: _answer(q, rng) for q in defn.questions}
    with sessions.begin() as s:
        response_id = responses.my_response(s, actor, clock, KEY).id

    def rolled_back(work: Any) -> Any:
        def run() -> None:
            with sessions() as s:
                work(s)
                s.flush()
                s.rollback()
        return run

    opened = _median_ms(rolled_back(lambda s: responses.my_response(s, actor, clock, KEY)), runs)
    saved = _median_ms(rolled_back(lambda s: responses.save_draft(s, actor, clock, KEY, answers)), runs)
    submitted = _median_ms(rolled_back(lambda s: (responses.save_draft(s, actor, clock, KEY, answers),
                                                  responses.submit(s, actor, clock, KEY))), runs)
    read = text("SELECT * FROM call_responses WHERE call_id = (SELECT id FROM calls WHERE key = :key) "
                "AND state_code = 'KIR' AND respondent_kind = 'state'")
    write = text("UPDATE call_responses SET answers = CAST(:answers AS jsonb), version = version + 1 "
                 "WHERE id = :id")

    def bare(statement: Any, **values: Any) -> Any:
        def run() -> None:
            with engine.connect() as conn:
                result = conn.execute(statement, values)
                if result.returns_rows:
                    result.all()
                conn.rollback()
        return run

    bare_read = _median_ms(bare(read, key=KEY), runs)
    bare_write = _median_ms(bare(write, answers=json.dumps(answers), id=response_id), runs)
    print(f"\nA focal point, in a call with {20 * len(requesting_states())} invitations:")
    print(f"open its response    {opened:8.1f} ms   bare read   {bare_read:6.1f} ms   "
          f"ratio {opened / bare_read:5.2f}")
    print(f"save 50 answers      {saved:8.1f} ms   bare update {bare_write:6.1f} ms   "
          f"ratio {saved / bare_write:5.2f}")
    print(f"save and submit      {submitted:8.1f} ms   bare update {bare_write:6.1f} ms   "
          f"ratio {submitted / bare_write:5.2f}")


def _median_ms(work: Any, runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        work()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url", help="a scratch PostgreSQL database (its tables are dropped)")
    parser.add_argument("--responses", type=int, default=4000)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    engine, sessions, call_id, defn, rows = seed(args.url, args.responses, args.questions)
    print(f"call to {len(requesting_states())} States, {args.questions} questions, {args.responses} "
          f"responses, {rows} counted answers")

    with sessions() as s:
        call = registry.get_call(s, KEY)
        aggregation.results(s, call, defn)  # warm: the first run pays for the caches
        s.execute(text(BARE), {"call": call_id}).all()
        bare = _median_ms(lambda: s.execute(text(BARE), {"call": call_id}).all(), args.runs)
        full = _median_ms(lambda: aggregation.results(s, call, defn), args.runs)
        region = requesting_states()["FJI"].region
        filtered = _median_ms(lambda: aggregation.results(s, call, defn, region=region,
                                                          respondent_type="ministry"), args.runs)
    print(f"bare grouped count   {bare:8.1f} ms (median of {args.runs})")
    print(f"results()            {full:8.1f} ms   ratio {full / bare:5.2f}")
    print(f"results() filtered   {filtered:8.1f} ms   ratio {filtered / bare:5.2f}"
          f"  (region {region}, ministries)")

    statements: list[tuple[str, Any]] = []

    def keep(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        statements.append((statement, parameters))

    with sessions() as s:
        call = registry.get_call(s, KEY)
        event.listen(engine, "before_cursor_execute", keep)
        aggregation.results(s, call, defn)
        event.remove(engine, "before_cursor_execute", keep)
        raw = s.connection().connection.driver_connection
        with raw.cursor() as cursor:
            print(f"\n{len(statements)} statements from results(), after the bare count:")
            plans = [(BARE.replace(":call", "%(call)s"), {"call": call_id}), *statements]
            for statement, parameters in plans:
                cursor.execute("EXPLAIN " + statement, parameters)
                print("\n" + " ".join(statement.split())[:200])
                for (line,) in cursor.fetchall():
                    print("   ", line)
    engine.dispose()
    focal_point_work(sessions, engine, defn, args.runs)
    engine.dispose()
    print(json.dumps({"bare_ms": round(bare, 2), "results_ms": round(full, 2),
                      "ratio": round(full / bare, 2)}))


if __name__ == "__main__":
    main()
