"""PostgreSQL's plans of every list query: no sequential scan of `cases`, no sort of the whole table.

The queries are the ones `case_queries.list_cases` sends (the bounded count, the page, a deep page
and a page after a cursor), for the office and for a State, for every sort and every filter, caught
as they run and explained with the planner told to avoid sequential scans and sorts wherever an index
can serve (on a table this small it would otherwise rightly prefer them): a sequential scan or a
large sort left in a plan means no index serves that query.
"""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from sqlalchemy import event, text

from tacase.db.session import make_engine, make_session_factory
from tacase.services.actors import Actor
from tacase.services.case_queries import SORTS, CaseFilter, list_cases
from tests.benchmarks import scale_seed

ROWS = 4000
NOW = dt.datetime.now(dt.UTC)
FILTERS = {
    "none": CaseFilter(),
    "status": CaseFilter(status=("submitted", "returned")),
    "type": CaseFilter(type=("upr_fund",)),
    "state": CaseFilter(state=("KEN",)),
    "unassigned": CaseFilter(assignee="none"),
    "mine": CaseFilter(assignee="me"),
    "overdue": CaseFilter(overdue=True),
    "not overdue": CaseFilter(overdue=False),
    "text": CaseFilter(q="phase 12"),
    "created": CaseFilter(created_from=NOW - dt.timedelta(days=30), created_to=NOW),
    "updated": CaseFilter(updated_from=NOW - dt.timedelta(days=30)),
}
OFFICE = Actor(id=2, name="reviewer", roles=frozenset({"reviewer"}))
STATE = Actor(id=1, name="focal", roles=frozenset({"state_focal_point"}), state_code="FJI")


@pytest.fixture(scope="module")
def planned(module_db, runtime):
    if not module_db.startswith("postgresql"):
        pytest.skip("the plans are PostgreSQL's; SQLite's lists are small by nature")
    _, versions = scale_seed.people_and_workflows(module_db)
    scale_seed.insert_cases(module_db, versions, count=ROWS, prefix="P")
    engine = make_engine(module_db)
    yield engine, make_session_factory(engine, runtime)
    engine.dispose()


def _nodes(plan: dict):
    yield plan
    for child in plan.get("Plans", ()):
        yield from _nodes(child)


def _statements(engine, sessions, actor: Actor, flt: CaseFilter, sort: str, **page) -> list[tuple]:
    caught: list[tuple] = []

    def catch(conn, cursor, statement, parameters, context, executemany):
        if "FROM cases" in statement:
            caught.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", catch)
    try:
        with sessions() as s:
            result = list_cases(s, actor, flt, NOW, sort=sort, per_page=50, **page)
    finally:
        event.remove(engine, "before_cursor_execute", catch)
    return caught, result


def _problems(engine, statements: list[tuple], *, whole_table_sorts_only: bool) -> list[str]:
    found = []
    with engine.connect() as conn:
        conn.execute(text("SET enable_seqscan = off"))
        conn.execute(text("SET enable_sort = off"))
        for statement, parameters in statements:
            raw = conn.exec_driver_sql(f"EXPLAIN (FORMAT JSON) {statement}", parameters).scalar()
            plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
            for node in _nodes(plan):
                if node["Node Type"] == "Seq Scan" and node.get("Relation Name") == "cases":
                    found.append(f"sequential scan of cases: {statement[:120]}")
                if node["Node Type"] in ("Sort", "Incremental Sort"):
                    rows = sum(child["Plan Rows"] for child in node.get("Plans", ()))
                    if rows >= (ROWS / 2 if whole_table_sorts_only else 60):
                        found.append(f"sort of {rows} rows: {statement[:120]}")
    return found


SORT_KEYS = [f"{sign}{name}" for name, sign in itertools.product(SORTS, ("", "-"))]


@pytest.mark.parametrize("sort", SORT_KEYS)
@pytest.mark.parametrize("who", ["office", "state"])
def test_every_order_is_read_from_an_index(planned, sort, who):
    engine, sessions = planned
    actor = OFFICE if who == "office" else STATE
    first, page = _statements(engine, sessions, actor, CaseFilter(), sort)
    deep, _ = _statements(engine, sessions, actor, CaseFilter(), sort, page=20)
    after, _ = _statements(engine, sessions, actor, CaseFilter(), sort, cursor=page.next_cursor)
    assert not _problems(engine, first + deep + after, whole_table_sorts_only=False)


@pytest.mark.parametrize("name", sorted(FILTERS))
@pytest.mark.parametrize("sort", ["-updated_at", "due_at", "reference"])
def test_no_filter_scans_or_sorts_the_whole_table(planned, name, sort):
    engine, sessions = planned
    statements, _ = _statements(engine, sessions, OFFICE, FILTERS[name], sort)
    assert not _problems(engine, statements, whole_table_sorts_only=True)



@pytest.mark.parametrize("sort", [key for key in SORT_KEYS if key.lstrip("-") != "due_at"])
def test_a_cursor_seeks_in_the_index_rather_than_reading_what_comes_before(planned, sort):
    # due_at is left out: its NULLs come last whichever way, so its cursor is a condition with OR.
    engine, sessions = planned
    _, deep = _statements(engine, sessions, OFFICE, CaseFilter(), sort, page=ROWS // 50 - 2)
    statements, _ = _statements(engine, sessions, OFFICE, CaseFilter(), sort, cursor=deep.next_cursor)
    statement, parameters = statements[-1]  # the page; the bounded count comes first
    with engine.connect() as conn:
        raw = conn.exec_driver_sql(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}", parameters).scalar()
    plan = (raw if isinstance(raw, list) else json.loads(raw))[0]["Plan"]
    read = [node for node in _nodes(plan) if node.get("Relation Name") == "cases"]
    assert read, plan
    assert all(node["Actual Rows"] + node.get("Rows Removed by Filter", 0) <= 60 for node in read), plan
