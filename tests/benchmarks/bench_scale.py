"""Speed at scale, from outside: tacase under gunicorn against a bare Flask + SQLAlchemy Core app.

    .venv/bin/python -m tests.benchmarks.bench_scale --url postgresql://postgres@127.0.0.1/scratch

Seeds a scratch PostgreSQL database with set-based SQL (100,000 cases in every status, a reserve of
submitted cases for the transitions, an audit chain), starts `tacase serve --workers 2` and the bare
app (tests/benchmarks/bare_app.py, gunicorn with 2 workers) side by side, and loads both with wrk
(Debian's `wrk`) over the loopback, 8 connections, interleaved: bare, tacase, bare, tacase... Each
figure is the median of the rounds. Then it adds a million open cases, 5% of them overdue and
already flagged, and times the every-minute sweep against a bare indexed count; and times
`tacase audit verify` against fetching the rows and hashing them raw. It prints:

  figure                                 tacase / bare    goal
  open a draft, POST /api/v1/cases       req/s ratio      >= 0.6
  a transition, POST .../transitions     req/s ratio      >= 0.5
  the work queue, 50 of 100,000 cases    req/s ratio      >= 0.7
  page 1000 against page 1               latency ratio    <= 1.5
  page 1000 by cursor against page 1     latency ratio    <= 1.5
  the sweep over 1.1 million open cases  time ratio       <= 2
  audit verify against raw hashing       rate ratio       >= 0.5
  worker memory over the run             MB before/after  flat

Everything in the database is dropped first: name a scratch database. Never assert these in a test;
the table is the measure.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import psycopg

from tests.benchmarks import scale_seed

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LIST_CASES, RESERVE_PREFIX, FLOOR_PREFIX, SWEEP_PREFIX = "L", "T", "F", "S"


# --- servers ----------------------------------------------------------------------------------------

@contextmanager
def servers(url: str, tacase_port: int, bare_port: int, log_dir: Path,
            extra_env: dict[str, str] | None = None):
    """tacase and the bare app under gunicorn, 2 workers each; `extra_env` adds settings."""
    env = {**os.environ, **(extra_env or {}), "TACASE_CONFIG": "production", "TACASE_DATABASE_URL": url,
           "TACASE_SECRET_KEY": secrets.token_hex(32), "TACASE_DOCUMENTS_DIR": str(log_dir / "documents"),
           "BARE_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
    commands = {
        "tacase": [str(BIN / "tacase"), "serve", "--workers", "2", "--bind", f"127.0.0.1:{tacase_port}"],
        "bare": [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{bare_port}",
                 "--access-logfile", "-", "tests.benchmarks.bare_app:app"],
    }
    procs = [subprocess.Popen(command, env=env, cwd=ROOT, stdout=(log_dir / f"{name}.log").open("w"),
                              stderr=subprocess.STDOUT, start_new_session=True)
             for name, command in commands.items()]
    try:
        for port, path in ((tacase_port, "/healthz"), (bare_port, "/rows")):
            _wait_until_up(f"http://127.0.0.1:{port}{path}")
        yield procs[0]
    finally:
        for proc in procs:
            os.killpg(proc.pid, signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)


def _wait_until_up(address: str) -> None:
    for _ in range(120):
        try:
            with urllib.request.urlopen(address, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{address} did not answer")


def workers_rss_mb(master: subprocess.Popen) -> float:
    """Resident memory of gunicorn's workers (the master's children), in MB."""
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    total = 0
    for pid in children:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


# --- wrk ----------------------------------------------------------------------------------------------

LUA = """
local method, path, body = "{method}", "{path}", [[{body}]]
local headers = {{["Content-Type"] = "application/json"}}
if "{auth}" ~= "" then headers["Authorization"] = "{auth}" end
local refs, step, at = nil, 1, 1
local serial = 0
function setup(thread)
  serial = serial + 1
  thread:set("tid", serial)
end
function init(args)
  if "{refs}" ~= "" then
    refs = {{}}
    for line in io.lines("{refs}") do refs[#refs + 1] = line end
    step = {threads}
    at = tonumber(args[1] or "0") + tid
  end
end
function request()
  local p = path
  if refs then
    p = string.gsub(path, "REF", refs[(at - 1) % #refs + 1])
    at = at + step
  end
  return wrk.format(method, p, headers, body)
end
"""


def wrk(base: str, path: str, *, seconds: int, method: str = "GET", body: str = "", auth: str = "",
        refs: str = "", offset: int = 0, connections: int = 8, threads: int = 2) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(LUA.format(method=method, path=path, body=body, auth=auth, refs=refs, threads=threads))
    command = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency",
               "-s", script.name, base, "--", str(offset)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    os.unlink(script.name)
    out = done.stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    scale = {"us": 1e-3, "ms": 1, "s": 1e3}
    return {"rate": rate, "requests": requests, "bad": int(bad.group(1)) if bad else 0,
            "p50_ms": float(p50.group(1)) * scale[p50.group(2)]}


def interleaved(rounds: int, bare, tacase, floor=None) -> tuple[list[dict], list[dict], list[dict]]:
    """Each load in turn, round after round (bare, tacase[, floor], bare, ...), so that the
    machine's drift touches all alike."""
    bares, tacases, floors = [], [], []
    for i in range(rounds):
        bares.append(bare(i))
        tacases.append(tacase(i))
        if floor is not None:
            floors.append(floor(i))
    return bares, tacases, floors


def median(runs: list[dict], key: str = "rate") -> float:
    return statistics.median(r[key] for r in runs)


def deep_cursor(url: str, position: int) -> str:
    """The work queue's cursor after `position` cases (its default order), as next_cursor gives it."""
    from types import SimpleNamespace

    from tacase.services.case_queries import Ordering

    with psycopg.connect(scale_seed._plain(url)) as conn:
        updated_at, case_id = conn.execute(
            "SELECT updated_at, id FROM cases ORDER BY updated_at DESC, id DESC OFFSET %s LIMIT 1",
            (position - 1,)).fetchone()
    return Ordering.parse("-updated_at").cursor_for(SimpleNamespace(updated_at=updated_at, id=case_id))


# --- the sweep and verification, in process ---------------------------------------------------------

def time_sweep(url: str, repeats: int = 5) -> tuple[float, float, int]:
    """Median seconds of an idle sweep pass and of a bare indexed count of the open due steps."""
    from tacase.db.session import make_engine, make_session_factory
    from tacase.engine.registry import WorkflowRegistry
    from tacase.jobs.tasks import sweep_in_batches
    from tacase.services.clock import utcnow
    from tacase.services.runtime import Runtime
    from tests.conftest import WORKFLOWS

    engine = make_engine(url)
    sessions = make_session_factory(engine, Runtime(workflows=WorkflowRegistry.from_dir(WORKFLOWS)))
    first = sweep_in_batches(sessions, utcnow, escalate_after_working_days=5)  # settles what is due now
    sweeps, counts = [], []
    for _ in range(repeats):
        start = time.perf_counter()
        report = sweep_in_batches(sessions, utcnow, escalate_after_working_days=5)
        sweeps.append(time.perf_counter() - start)
        assert report.total == 0, report.describe()
        with psycopg.connect(scale_seed._plain(url)) as conn:
            start = time.perf_counter()
            conn.execute("SELECT count(*) FROM cases WHERE due_at <= now() AND closed_at IS NULL").fetchall()
            counts.append(time.perf_counter() - start)
    engine.dispose()
    return statistics.median(sweeps), statistics.median(counts), first.total


def time_verify(url: str) -> tuple[float, float, int]:
    """Seconds to verify the chain with tacase, and to fetch every row and hash it raw."""
    from tacase.audit.store import verify_chain
    from tacase.db.session import make_engine, make_session_factory

    engine = make_engine(url)
    with make_session_factory(engine)() as s:
        start = time.perf_counter()
        result = verify_chain(s)
        tacase_s = time.perf_counter() - start
    engine.dispose()
    assert result.ok, result
    with psycopg.connect(scale_seed._plain(url)) as conn:
        start = time.perf_counter()
        with conn.cursor(name="raw") as cur:
            cur.itersize = 5000
            cur.execute("SELECT prev_hash, body FROM audit_events ORDER BY seq")
            for prev, body in cur:
                hashlib.sha256(bytes.fromhex(prev) + body).hexdigest()
        raw_s = time.perf_counter() - start
    return tacase_s, raw_s, result.events


# --- the run ------------------------------------------------------------------------------------------

def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a scratch PostgreSQL database (it is emptied)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--reserve", type=int, default=30_000, help="submitted cases for the transitions")
    parser.add_argument("--open-cases", type=int, default=1_000_000, help="0: no sweep or verification")
    parser.add_argument("--events", type=int, default=1_000_000, help="audit events to verify")
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18000)
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL")

    started = time.perf_counter()
    scale_seed.reset(args.url)
    people, versions = scale_seed.people_and_workflows(args.url)
    scale_seed.insert_cases(args.url, versions, count=args.cases, prefix=LIST_CASES)
    for prefix in (RESERVE_PREFIX, FLOOR_PREFIX):
        scale_seed.insert_cases(args.url, versions, count=args.reserve, prefix=prefix,
                                status_sql="'submitted'", state_sql="'FJI'", type_sql="'upr_fund'",
                                due_sql="now() + interval '20 days'")
    scale_seed.audit_chain(args.url, args.events)
    scale_seed.settle(args.url)
    print(f"seeded in {time.perf_counter() - started:.0f} s: {args.cases} cases, {args.reserve} in "
          f"reserve, {args.events} audit events", flush=True)

    log_dir = Path(tempfile.mkdtemp(prefix="bench-scale-"))
    refs, floor_refs = log_dir / "refs.txt", log_dir / "floor-refs.txt"
    with psycopg.connect(scale_seed._plain(args.url)) as conn:
        for prefix, path in ((RESERVE_PREFIX, refs), (FLOOR_PREFIX, floor_refs)):
            rows = conn.execute(f"SELECT reference FROM cases WHERE reference LIKE '{prefix}-%' "
                                "ORDER BY id").fetchall()
            path.write_text("".join(r[0] + "\n" for r in rows))
    tacase, bare = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
    results: dict[str, tuple[float, str]] = {}
    floors: dict[str, tuple[float, float, float]] = {}  # floor / bare, tacase / floor, floor req/s
    reviewer, focal = f"Bearer {people.reviewer_token}", f"Bearer {people.focal_token}"
    new_case = '{"type": "upr_fund", "title": "Legal aid for remote islands"}'
    step = '{"trigger": "return_to_state", "data": {"questions": "Please detail the budget."}}'
    per_round = args.reserve // args.rounds

    def run(base: str, path: str, **kwargs):
        return lambda i: wrk(base, path, seconds=args.seconds, **kwargs)

    def rates(name: str, bare_call, tacase_call, floor_call=None) -> dict:
        b, t, f = interleaved(args.rounds, bare_call, tacase_call, floor_call)
        refused = sum(r["bad"] for r in t + f)
        detail = f"{median(t):.0f} vs {median(b):.0f} req/s, p50 {median(t, 'p50_ms'):.1f} ms"
        if f:
            floors[name] = (median(f) / median(b), median(t) / median(f), median(f))
            detail += f"; the floor {median(f):.0f} req/s"
        results[name] = (median(t) / median(b), detail + (f"; {refused} refused" if refused else ""))
        return {"rate": median(t)}

    insert = run(bare, "/insert", method="POST", body=new_case)
    with servers(args.url, args.port, args.port + 1, log_dir) as master:
        run(tacase, "/api/v1/cases?per_page=50", auth=reviewer)(0)  # warm both workers up
        rss_start = workers_rss_mb(master)
        writes = rates("open a draft, POST /api/v1/cases", insert,
                       run(tacase, "/api/v1/cases", method="POST", body=new_case, auth=focal),
                       run(bare, "/floor/cases", method="POST", body=new_case, auth=focal))
        rates("a transition, POST /cases/{ref}/transitions", insert,
              lambda i: wrk(tacase, "/api/v1/cases/REF/transitions", method="POST", body=step,
                            seconds=args.seconds, auth=reviewer, refs=str(refs), offset=i * per_round),
              lambda i: wrk(bare, "/floor/cases/REF/return", method="POST", body=step, seconds=args.seconds,
                            auth=reviewer, refs=str(floor_refs), offset=i * per_round))
        rates(f"the work queue, 50 of {args.cases:,} cases", run(bare, "/rows"),
              run(tacase, "/api/v1/cases?per_page=50", auth=reviewer),
              run(bare, "/floor/cases", auth=reviewer))
        first, deep, _ = interleaved(args.rounds,
                                     run(tacase, "/api/v1/cases?per_page=50&page=1", auth=reviewer),
                                     run(tacase, "/api/v1/cases?per_page=50&page=1000", auth=reviewer))
        results["page 1000 against page 1 (time)"] = (
            median(first) / median(deep),
            f"{median(deep, 'p50_ms'):.1f} vs {median(first, 'p50_ms'):.1f} ms p50")
        cursor = deep_cursor(args.url, 999 * 50)
        first, by_cursor, _ = interleaved(
            args.rounds, run(tacase, "/api/v1/cases?per_page=50&page=1", auth=reviewer),
            run(tacase, f"/api/v1/cases?per_page=50&cursor={cursor}", auth=reviewer))
        results["page 1000 by cursor against page 1 (time)"] = (
            median(first) / median(by_cursor),
            f"{median(by_cursor, 'p50_ms'):.1f} vs {median(first, 'p50_ms'):.1f} ms p50")
        rss_end = workers_rss_mb(master)
        results["worker memory over the run"] = (rss_end / rss_start,
                                                 f"{rss_start:.0f} MB, then {rss_end:.0f} MB")

    if args.open_cases:
        started = time.perf_counter()
        scale_seed.insert_cases(args.url, versions, count=args.open_cases, prefix=SWEEP_PREFIX,
                                status_sql="(ARRAY['submitted','reviewed','approved','delivered'])"
                                           "[1 + g % 4]",
                                due_sql="CASE WHEN g % 20 = 0 THEN now() - interval '30 days' "
                                        "ELSE now() + make_interval(days => 1 + g % 60) END")
        flagged = scale_seed.flag_overdue(args.url, SWEEP_PREFIX)
        scale_seed.settle(args.url)
        print(f"added {args.open_cases} open cases ({flagged} overdue, already flagged) in "
              f"{time.perf_counter() - started:.0f} s", flush=True)
        sweep_s, count_s, settled = time_sweep(args.url)
        results["the sweep over the open cases (time)"] = (
            sweep_s / count_s, f"{sweep_s * 1e3:.1f} ms against a count of {count_s * 1e3:.1f} ms"
            + (f" ({settled} events settled first)" if settled else ""))
        tacase_s, raw_s, events = time_verify(args.url)
        results["tacase audit verify against raw hashing"] = (
            raw_s / tacase_s, f"{events / tacase_s:,.0f} vs {events / raw_s:,.0f} events/s")

    goals = {"open a draft": ">= 0.6", "a transition": ">= 0.5", "the work queue": ">= 0.7",
             "page 1000": "<= 1.5", "the sweep": "<= 2", "tacase audit verify": ">= 0.5",
             "worker memory": "flat"}
    print(f"\n{'figure':<50} {'ratio':>7}  {'goal':<7} {'met':<4} detail")
    unmet = []
    for name, (ratio, detail) in results.items():
        goal = next(g for key, g in goals.items() if name.startswith(key))
        met = _met(ratio, goal)
        unmet += [] if met else [name]
        print(f"{name:<50} {ratio:7.2f}  {goal:<7} {'yes' if met else 'NO':<4} {detail}")
    print("\nevery goal met" if not unmet else f"\nnot met: {'; '.join(unmet)}")
    print(f"\n8 concurrent writers open {writes['rate']:.0f} drafts a second (each appends to the audit "
          "chain)")
    if floors:
        print("\nThe floor: the same statements as tacase's, in plain SQL on the bare app (bare_app.py).\n"
              "floor / bare is what the work costs (statements the bare insert does not send);\n"
              "tacase / floor is what tacase's code costs on top (ORM, validation, workflow, answer).")
        print(f"{'figure':<50} {'floor/bare':>10} {'tacase/floor':>12}")
        for name, (floor_share, code_share, _) in floors.items():
            print(f"{name:<50} {floor_share:10.2f} {code_share:12.2f}")


def _met(ratio: float, goal: str) -> bool:
    if goal == "flat":
        return ratio <= 1.10  # a worker that grew by a tenth over the run is not flat
    sign, bound = goal.split()
    return ratio >= float(bound) if sign == ">=" else ratio <= float(bound)


if __name__ == "__main__":
    main()
