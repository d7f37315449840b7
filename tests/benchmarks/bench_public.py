"""The public record at scale, from outside: tacase's anonymous pages and JSON against a bare app.

    .venv/bin/python -m tests.benchmarks.bench_public --url postgresql://postgres@127.0.0.1/scratch

Seeds a scratch PostgreSQL database with set-based SQL (100,000 cases in every status, a third of
their States consenting to publication, each submitted case with its history in case_transitions:
submitted, for a quarter returned and resubmitted, reviewed, approved or rejected, delivered,
evaluated; business seconds spent in each state, dates over the last three years), then:

  the refreshes   times the timeliness snapshot's and the record counts' refresh over all the
                  cases, median of 5, against the goal "under a second" (a refresh not written yet
                  is skipped with a note, one slower than --refresh-timeout is stopped);
  the plans       EXPLAIN (ANALYZE, BUFFERS) of the public list's own query (all States, one State,
                  the last page), to show that it reads the published-cases indexes;
  the load        starts `tacase serve --workers 2` and the bare app (bare_app.py) with the public
                  rate limit raised, and loads each public GET without signing in with wrk, 8
                  connections, interleaved bare, tacase, bare, tacase..., the median of the rounds:

  figure                            against the bare app's                     goal
  /public/record                    Jinja page of 25 published cases           -
  /public/record/<ref>              Jinja page of one case and its steps       -
  /public/statistics                Jinja page of the snapshot row             -
  /api/v1/public/cases              JSON of 25 published cases                 >= 0.7
  /api/v1/public/cases/<ref>        JSON of one case and its steps             >= 0.7
  /api/v1/public/statistics         JSON of the snapshot row                   >= 0.7

A route that answers 404 (not there yet) is skipped with a note. Everything in the database is
dropped first: name a scratch database. Never assert these in a test; the table is the measure.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import statistics
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import Any

import psycopg

from tests.benchmarks import scale_seed
from tests.benchmarks.bench_scale import interleaved, median, servers, wrk

PREFIX = "P"
JSON_GOAL = 0.7
REFRESH_GOAL_MS = 1000.0
PUBLIC_LIMIT = "1000000 per minute"  # the benchmark's one address must not meet the limit

# --- seeding ------------------------------------------------------------------------------------------

SUBMIT = ("submit", "draft", "submitted")
BOUNCE = (("return_to_state", "submitted", "returned"), ("resubmit", "returned", "submitted"))
REVIEW, APPROVE = ("review", "submitted", "reviewed"), ("approve", "reviewed", "approved")
DELIVER, EVALUATE = ("deliver", "approved", "delivered"), ("evaluate", "delivered", "evaluated")
# Working days spent in a state: the least, and the spread above it (squared, so that most steps
# are quick and a few take long, past their deadline). The office's deadlines are 15, 20, 120 and
# 60 working days; the State has 30 calendar days to reply.
DAYS_IN = {"draft": (1, 20), "submitted": (2, 20), "returned": (3, 25), "reviewed": (1, 28),
           "approved": (20, 130), "delivered": (5, 70)}
CLOSED = ("evaluated", "rejected", "withdrawn")


def history(status: str, bounced: bool) -> list[tuple[str, str, str]]:
    """The steps that brought a case to `status`; a bounced one was returned to its State once."""
    steps = [SUBMIT, *(BOUNCE if bounced else ())]
    if status == "submitted":
        return steps
    if status == "returned":
        return [*steps, BOUNCE[0]]
    if status == "withdrawn":
        return [*steps, ("withdraw", "submitted", "withdrawn")]
    steps.append(REVIEW)
    if status == "rejected":
        return [*steps, ("reject", "reviewed", "rejected")]
    for step in (APPROVE, DELIVER, EVALUATE):
        if steps[-1][2] == status:
            break
        steps.append(step)
    return steps


def _paths_sql() -> str:
    rows = []
    for status, _share in scale_seed.STATUSES:
        if status == "draft":
            continue
        for bounced in (False, True):
            for n, (trigger, source, target) in enumerate(history(status, bounced), start=1):
                rows.append(f"('{status}', {str(bounced).lower()}, {n}, '{trigger}', '{source}', '{target}')")
    return ",\n".join(rows)


_RECORD = """CASE trigger
    WHEN 'return_to_state' THEN jsonb_build_object('questions', 'Please detail the budget by activity.')
    WHEN 'resubmit' THEN jsonb_build_object('reply', 'The budget by activity is in the annex.')
    WHEN 'review' THEN jsonb_build_object('assessment', 'Sound request within the fund''s mandate.',
        'recommendation', CASE WHEN status = 'rejected' THEN 'reject' ELSE 'approve' END)
    WHEN 'approve' THEN CASE WHEN type = 'advisory'
        THEN jsonb_build_object('scope', 'Review of the draft law on legal aid')
        ELSE jsonb_build_object('approved_amount', jsonb_build_object(
            'amount', (10000 + (case_id % 90) * 1000)::text, 'currency', 'USD'),
            'conditions', 'A report within six months of delivery') END
    WHEN 'reject' THEN jsonb_build_object('reason', 'Outside the fund''s mandate.')
    WHEN 'deliver' THEN jsonb_build_object(
        'start_date', to_char(at - interval '90 days', 'YYYY-MM-DD'),
        'end_date', to_char(at - interval '5 days', 'YYYY-MM-DD'),
        'activities', 'Three workshops with the Ministry of Justice and the bar association',
        'amount', jsonb_build_object('amount', (9000 + (case_id % 90) * 1000)::text, 'currency', 'USD'))
    WHEN 'evaluate' THEN jsonb_build_object('rating', 'satisfactory',
        'findings', 'Workshops held as planned; the law was tabled.',
        'public_summary', 'The assistance helped adopt a law on legal aid.')
    WHEN 'withdraw' THEN jsonb_build_object('reason', 'The State''s priorities changed.')
    ELSE '{}'::jsonb END"""


def seed_histories(url: str, reviewer_id: int, creator_id: int) -> int:
    """Every submitted case's steps in case_transitions, and the case's dates and public fields
    made to agree with them. Returns the number of steps."""
    durations = ", ".join(f"('{state}', {low}, {spread})" for state, (low, spread) in DAYS_IN.items())
    # A working day counts 24 business hours and comes with 0.4 of a weekend day: calendar time is
    # 1.4 times the business time. A closed case ended at any time the three years leave room for,
    # an open one entered its state in the last 60 days.
    sql = f"""
    WITH paths(status, bounced, n, trigger, from_state, to_state) AS (VALUES {_paths_sql()}),
    durations(state, low, spread) AS (VALUES {durations}),
    steps AS (
      SELECT c.id AS case_id, c.type, c.status, p.n, p.trigger, p.from_state, p.to_state,
             86400 * (d.low + d.spread * power(((c.id::bigint * 2654435761 + p.n * 40503) % 1000003)
                                               / 1000003.0, 2)) AS busy
      FROM cases c
      JOIN paths p ON p.status = c.status AND p.bounced = (c.id % 4 = 0)
      JOIN durations d ON d.state = p.from_state
      WHERE c.reference LIKE '{PREFIX}-%'
    ),
    timed AS (
      SELECT *, sum(busy * 1.4) OVER (PARTITION BY case_id ORDER BY n) AS elapsed,
             sum(busy * 1.4) OVER (PARTITION BY case_id) AS total,
             ((case_id::bigint * 48271) % 100003) / 100003.0 AS h
      FROM steps
    ),
    placed AS (
      SELECT *, now() - make_interval(secs => total - elapsed
               + h * CASE WHEN status IN {CLOSED} THEN greatest(0, 3 * 365 * 86400 - 86400 - total)
                          ELSE 60 * 86400 END) AS at
      FROM timed
    )
    INSERT INTO case_transitions (case_id, trigger, from_state, to_state, actor_id, at, comment, record,
                                  seconds_in_state)
    SELECT case_id, trigger, from_state, to_state,
           CASE WHEN trigger IN ('submit', 'resubmit', 'withdraw') THEN {creator_id} ELSE {reviewer_id} END,
           at, NULL, {_RECORD}, busy
    FROM placed ORDER BY case_id, n
    """
    update = f"""
    UPDATE cases c SET created_at = h.created, submitted_at = h.submitted, step_started_at = h.last,
           updated_at = h.last, closed_at = CASE WHEN c.status IN {CLOSED} THEN h.last END,
           funding_source = (ARRAY['upr_fund', 'vftc', 'regular_budget', 'extrabudgetary',
                                   'other'])[1 + c.id % 5],
           planned_start = (h.submitted + interval '60 days')::date,
           planned_end = (h.submitted + interval '300 days')::date,
           budget_amount = 20000 + (c.id % 80) * 1000, budget_currency = 'USD',
           channel_reference = 'NV/' || c.id, channel_date = (h.submitted - interval '3 days')::date,
           expected_results = '[{{"result": "A law on legal aid adopted", "indicators": ["law adopted",
                                 "budget line for legal aid"]}}]'::jsonb,
           recipient_institutions = '["Ministry of Justice", "National human rights institution"]'::jsonb,
           sdg_targets = '["16.3", "5.c"]'::jsonb, themes = '["access to justice", "legal aid"]'::jsonb
    FROM (SELECT case_id, min(at) FILTER (WHERE trigger = 'submit') AS submitted,
                 min(at - make_interval(secs => seconds_in_state * 1.4)) FILTER (WHERE trigger = 'submit')
                     AS created,
                 max(at) AS last
          FROM case_transitions GROUP BY case_id) h
    WHERE h.case_id = c.id
    """
    recommendations = f"""
    INSERT INTO case_recommendations (case_id, position, mechanism, document_symbol, paragraph)
    SELECT id, k, (ARRAY['upr', 'treaty_body', 'special_procedure'])[1 + (id + k) % 3],
           'A/HRC/' || (40 + id % 15) || '/' || (1 + id % 20), (100 + id % 50) || '.' || k
    FROM cases, generate_series(1, 1 + id % 3) AS k
    WHERE reference LIKE '{PREFIX}-%' AND status <> 'draft'
    """
    with psycopg.connect(scale_seed._plain(url)) as conn:
        steps = conn.execute(sql).rowcount
        conn.execute(update)
        conn.execute(recommendations)
    return steps


def seed(url: str, count: int) -> dict[str, int]:
    scale_seed.reset(url)
    people, versions = scale_seed.people_and_workflows(url)
    scale_seed.insert_cases(url, versions, count=count, prefix=PREFIX)
    steps = seed_histories(url, people.reviewer_id, versions["_creator"])
    scale_seed.settle(url)
    with psycopg.connect(scale_seed._plain(url)) as conn:
        published = conn.execute("SELECT count(*) FROM cases WHERE consent_to_publish "
                                 "AND submitted_at IS NOT NULL").fetchone()[0]
    return {"cases": count, "published": published, "steps": steps}


# --- the refreshes, in process ------------------------------------------------------------------------

TIMELINESS = (("tacase.services.timeliness", "tacase.services.publication.timeliness"), ("refresh",))
COUNTS = (("tacase.services.public_record", "tacase.services.record_counts", "tacase.services.open_data",
           "tacase.services.publication.record_counts", "tacase.services.publication.public_record",
           "tacase.services.publication.open_data", "tacase.services.publication.counts"),
          ("refresh_counts", "refresh_record_counts", "refresh"))


def find_function(modules: tuple[str, ...], names: tuple[str, ...]) -> tuple[str, Callable] | None:
    """The first of `names` in the first of `modules` that has one, as 'module.name' and the function."""
    for module_name in modules:
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError:
            continue
        for name in names:
            function = getattr(module, name, None)
            if callable(function) and getattr(function, "__module__", None) == module_name:
                return f"{module_name}.{name}", function
    return None


def _call(function: Callable, session: Any, now: Any, clock: Callable) -> Any:
    """Call a refresh with what its parameters name: the session, the instant, a clock."""
    given = {"session": session, "s": session, "db": session, "now": now, "clock": clock}
    args, kwargs = [], {}
    for parameter in inspect.signature(function).parameters.values():
        if parameter.name in given:
            if parameter.kind is parameter.KEYWORD_ONLY:
                kwargs[parameter.name] = given[parameter.name]
            else:
                args.append(given[parameter.name])
        elif parameter.default is parameter.empty and parameter.kind not in (parameter.VAR_POSITIONAL,
                                                                             parameter.VAR_KEYWORD):
            raise TypeError(f"does not know what to give for {parameter.name!r}")
    return function(*args, **kwargs)


def time_refreshes(url: str, repeats: int = 5, timeout_s: int = 60
                   ) -> tuple[list[tuple[str, float | None, str]], list[str]]:
    """Each refresh's median in ms over `repeats` runs, each in its transaction and committed (a run
    that outlasts `timeout_s` is stopped by PostgreSQL, and the refresh reported as slower than
    that); and the names of the snapshot rows the timeliness refresh wrote."""
    from sqlalchemy import select, text

    from tacase.db.models import PublicSnapshot
    from tacase.db.session import make_engine, make_session_factory
    from tacase.engine.registry import WorkflowRegistry
    from tacase.services.clock import utcnow
    from tacase.services.runtime import Runtime
    from tests.conftest import WORKFLOWS

    engine = make_engine(url)
    sessions = make_session_factory(engine, Runtime(workflows=WorkflowRegistry.from_dir(WORKFLOWS)))
    rows, written = [], []
    for label, (modules, names) in (("timeliness snapshot", TIMELINESS), ("record counts", COUNTS)):
        found = find_function(modules, names)
        if found is None:
            rows.append((label, None, f"skipped: no {names[0]}() in {modules[0]} or beside it yet"))
            continue
        where, function = found
        with sessions() as s:
            before = dict(s.execute(select(PublicSnapshot.name, PublicSnapshot.built_at)).all())
        times, failed = [], ""
        for _ in range(repeats):
            with sessions() as s:
                s.execute(text(f"SET LOCAL statement_timeout = '{timeout_s}s'"))
                start = time.perf_counter()
                try:
                    _call(function, s, utcnow(), utcnow)
                    s.commit()
                except Exception as exc:  # a refresh still being written, or one too slow to wait for
                    elapsed = time.perf_counter() - start
                    failed = (f"stopped after {elapsed:.0f} s (statement_timeout)" if "timeout" in str(exc)
                              else f"failed: {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                    break
                times.append(time.perf_counter() - start)
        if failed:
            rows.append((label, None if "failed" in failed else timeout_s * 1e3, f"{where} {failed}"))
            continue
        with sessions() as s:
            after = dict(s.execute(select(PublicSnapshot.name, PublicSnapshot.built_at)).all())
        if label.startswith("timeliness"):
            written = sorted(name for name, at in after.items() if before.get(name) != at)
        spread = f"{min(times) * 1e3:.0f} to {max(times) * 1e3:.0f} ms"
        rows.append((label, statistics.median(times) * 1e3, f"median of {repeats}, {spread}; {where}"))
    engine.dispose()
    return rows, written


# --- the plans ----------------------------------------------------------------------------------------

def explain_lists(url: str, count_published: int) -> list[tuple[str, list[str]]]:
    """EXPLAIN (ANALYZE, BUFFERS) of the public list's first statement as tacase sends it (captured
    from public_record.published_cases), for all States, one State and the last page."""
    from sqlalchemy import event

    from tacase.db.session import make_engine, make_session_factory
    from tacase.engine.registry import WorkflowRegistry
    from tacase.services import public_record
    from tacase.services.runtime import Runtime
    from tests.conftest import WORKFLOWS

    engine = make_engine(url)
    sessions = make_session_factory(engine, Runtime(workflows=WorkflowRegistry.from_dir(WORKFLOWS)))
    last_page = min(public_record.MAX_PAGE, max(1, -(-count_published // 25)))
    cases = (("all States, page 1", public_record.PublicFilter(), 1),
             ("one State (FJI), page 1", public_record.PublicFilter(state=("FJI",)), 1),
             (f"all States, page {last_page}", public_record.PublicFilter(), last_page))
    out = []
    for label, flt, page in cases:
        sent: list[tuple[str, Any]] = []

        def capture(conn, cursor, statement, parameters, context, executemany, sent=sent):
            sent.append((statement, parameters))

        event.listen(engine, "before_cursor_execute", capture)
        with sessions() as s:
            public_record.published_cases(s, flt, page=page, per_page=25)
        event.remove(engine, "before_cursor_execute", capture)
        statement, parameters = next((st, p) for st, p in sent if "FROM cases" in st and "ORDER BY" in st)
        with engine.connect() as conn:
            plan = [r[0] for r in conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement,
                                                       parameters).all()]
        out.append((label, plan))
    engine.dispose()
    return out


def summarise(plan: list[str]) -> list[str]:
    """The plan's nodes with their actual rows and times (not the estimates), the top node's
    buffers, and the planning and execution times."""
    keep = []
    for line in plan:
        text = line.strip()
        if "->" in line or line == plan[0]:
            node = line.split("  (cost=")[0].rstrip()
            actual = line.split("(actual time=")[1].split(")")[0] if "(actual time=" in line else ""
            keep.append(f"{node}  (actual {actual})" if actual else node)
        elif text.startswith(("Planning Time", "Execution Time")) or (text.startswith("Buffers")
                                                                        and len(keep) == 1):
            keep.append(line)
    return keep


# --- the load -----------------------------------------------------------------------------------------

def status_of(address: str) -> int:
    """The status of a GET, or 0 if none came within 30 seconds."""
    try:
        with urllib.request.urlopen(address, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except OSError:
        return 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a scratch PostgreSQL database (it is emptied)")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--port", type=int, default=18100)
    parser.add_argument("--refresh-timeout", type=int, default=60, help="seconds a refresh may take")
    parser.add_argument("--no-seed", action="store_true", help="keep the database a previous run seeded")
    args = parser.parse_args()
    if not args.url.startswith("postgresql"):
        parser.error("the benchmark runs on PostgreSQL")

    started = time.perf_counter()
    if not args.no_seed:
        seeded = seed(args.url, args.cases)
        print(f"seeded in {time.perf_counter() - started:.0f} s: {seeded['cases']:,} cases, "
              f"{seeded['published']:,} published, {seeded['steps']:,} steps in their histories", flush=True)
    with psycopg.connect(scale_seed._plain(args.url)) as conn:
        published = conn.execute("SELECT count(*) FROM cases WHERE consent_to_publish "
                                 "AND submitted_at IS NOT NULL").fetchone()[0]
        refs = [r[0] for r in conn.execute(
            "SELECT reference FROM cases WHERE consent_to_publish AND submitted_at IS NOT NULL "
            "ORDER BY md5(reference) LIMIT 2000").fetchall()]

    refreshes, snapshot_names = time_refreshes(args.url, timeout_s=args.refresh_timeout)
    for name, ms, detail in refreshes:
        print(f"  refresh, {name}: {'-' if ms is None else f'{ms:.0f} ms'} ({detail})", flush=True)
    plans = explain_lists(args.url, published)

    log_dir = Path(tempfile.mkdtemp(prefix="bench-public-"))
    refs_file = log_dir / "refs.txt"
    refs_file.write_text("".join(r + "\n" for r in refs))
    statistics_name = next((n for n in snapshot_names if "timel" in n), snapshot_names[0] if snapshot_names
                           else "timeliness")
    tacase, bare = f"http://127.0.0.1:{args.port}", f"http://127.0.0.1:{args.port + 1}"
    figures = (  # (figure, tacase path, bare path, JSON?)
        ("page: /public/record", "/public/record", "/public/record", False),
        ("page: /public/record/<ref>", "/public/record/REF", "/public/record/REF", False),
        ("page: /public/statistics", "/public/statistics", f"/public/statistics?name={statistics_name}",
         False),
        ("JSON: /api/v1/public/cases", "/api/v1/public/cases", "/public/api/cases", True),
        ("JSON: /api/v1/public/cases/<ref>", "/api/v1/public/cases/REF", "/public/api/cases/REF", True),
        ("JSON: /api/v1/public/statistics", "/api/v1/public/statistics",
         f"/public/api/statistics?name={statistics_name}", True),
    )
    results: list[tuple[str, dict | None, dict | None, bool, str]] = []
    notes = []
    with servers(args.url, args.port, args.port + 1, log_dir,
                 extra_env={"TACASE_PUBLIC_LIMIT_PER_ADDRESS": PUBLIC_LIMIT}):
        for name, tacase_path, bare_path, is_json in figures:
            probe = tacase_path.replace("REF", refs[0])
            answered = {"tacase": status_of(tacase + probe),
                        "bare": status_of(bare + bare_path.replace("REF", refs[0]))}
            if answered["tacase"] != 200 or answered["bare"] != 200:
                why = ("not there yet" if answered["tacase"] == 404
                       else f"tacase {answered['tacase'] or 'no answer in 30 s'}, bare {answered['bare']}")
                notes.append(f"{name}: skipped, GET {probe} answered {answered['tacase']} ({why})")
                results.append((name, None, None, is_json, why))
                continue

            def load(base: str, path: str):
                return lambda i: wrk(base, path, seconds=args.seconds, refs=str(refs_file) if "REF" in path
                                     else "", offset=i * 500)

            load(tacase, tacase_path)(0)  # warm both up
            load(bare, bare_path)(0)
            bares, tacases, _ = interleaved(args.rounds, load(bare, bare_path), load(tacase, tacase_path))
            refused = sum(r["bad"] for r in bares + tacases)
            detail = f"p50 {median(tacases, 'p50_ms'):.1f} vs {median(bares, 'p50_ms'):.1f} ms"
            results.append((name, {"rate": median(tacases)}, {"rate": median(bares)}, is_json,
                            detail + (f"; {refused} non-2xx" if refused else "")))
            print(f"  {name}: {median(tacases):.0f} vs {median(bares):.0f} req/s", flush=True)

    def show_row(figure: str, tacase_rate: str, bare_rate: str, ratio: str, goal: str, met: str, detail: str):
        print(f"{figure:<36} {tacase_rate:>12} {bare_rate:>10} {ratio:>6}  {goal:<7} {met:<4} {detail}")

    print()
    show_row("figure", "tacase req/s", "bare req/s", "ratio", "goal", "met", "detail")
    unmet = []
    for name, t, b, is_json, detail in results:
        goal = f">= {JSON_GOAL}" if is_json else "-"
        if t is None:
            show_row(name, "-", "-", "-", goal, "-", f"skipped: {detail}")
            continue
        ratio = t["rate"] / b["rate"]
        met = "-" if not is_json else ("yes" if ratio >= JSON_GOAL else "NO")
        unmet += [name] if met == "NO" else []
        show_row(name, f"{t['rate']:.0f}", f"{b['rate']:.0f}", f"{ratio:.2f}", goal, met, detail)
    heading = f"refresh over the {args.cases:,} cases"
    print(f"\n{heading:<36} {'median':>12}  {'goal':<7} {'met':<4} detail")
    for name, ms, detail in refreshes:
        met = "-" if ms is None else ("yes" if ms < REFRESH_GOAL_MS else "NO")
        unmet += [f"refresh: {name}"] if met == "NO" else []
        shown = ("-" if ms is None else f"{ms:.0f} ms" if ms < args.refresh_timeout * 1e3
                 else f"> {ms / 1e3:.0f} s")
        print(f"{name:<36} {shown:>12}  {'< 1 s':<7} {met:<4} {detail}")
    print("\nevery goal measured is met" if not unmet else f"\nnot met: {'; '.join(unmet)}")
    for note in notes:
        print(note)
    print(f"\n{published:,} published cases. The public list's query, as tacase sends it "
          "(EXPLAIN ANALYZE, BUFFERS):")
    for label, plan in plans:
        indexes = sorted({word for line in plan for word in line.replace("(", " ").split()
                          if word.startswith("ix_cases_published_")})
        print(f"\n  {label}: reads {', '.join(indexes) if indexes else 'NO published-cases index'}")
        for line in summarise(plan):
            print(f"    {line}")
    print(f"\nlogs: {log_dir}")


if __name__ == "__main__":
    main()
