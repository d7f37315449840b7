"""What a write costs the database: the statements a draft, an edit and a transition send.

A write request sends its writes and little else: the caller's token read once, the case read once
(its recommendations with it), the changes, the audit event under the chain's lock, and the
notifications. The budgets below are those statements, named; a change that adds a query per
request (a lazy load, a second lookup, a read after the commit) fails here before it shows in a
benchmark. Transaction control (BEGIN, COMMIT) is counted apart: one transaction per write."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event

from tests.api.conftest import complete_fields

API = "/api/v1"


class Seen:
    def __init__(self) -> None:
        self.statements: list[str] = []
        self.commits = 0

    def tables(self) -> list[str]:
        """Each statement as 'VERB table', in order: the shape of the request's work."""
        out = []
        for sql in self.statements:
            words = sql.replace("(", " ").split()
            verb = words[0].upper()
            if verb == "SELECT" and "pg_advisory_xact_lock" in sql:
                out.append("LOCK audit chain")
                continue
            marker = {"SELECT": "FROM", "INSERT": "INTO", "UPDATE": "UPDATE"}.get(verb)
            upper = [w.upper() for w in words]
            table = words[upper.index(marker) + 1] if marker in upper else "?"
            out.append(f"{verb} {table}")
        return out


@contextmanager
def counted(app) -> Iterator[Seen]:
    engine = app.extensions["tacase"]["engine"]
    seen = Seen()

    def statement(conn, cursor, sql, parameters, context, executemany):
        if not sql.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")):
            seen.statements.append(sql)

    def commit(conn):
        seen.commits += 1

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


def transactions(backend: str) -> int:
    # SQLite commits the caller's read at once: its transaction would hold the one write lock.
    return 1 if backend == "postgresql" else 2


def lock_and_append(backend: str) -> list[str]:
    # PostgreSQL takes the chain's advisory lock; SQLite's BEGIN IMMEDIATE already serialises writers.
    lock = ["LOCK audit chain"] if backend == "postgresql" else []
    return [*lock, "SELECT audit_events", "INSERT audit_events"]


@pytest.fixture
def people(world):
    state = world.account("state_focal_point", state="FJI")
    colleague = world.account("state_focal_point", state="FJI")  # hears of what the office asks
    reviewer = world.account("reviewer")
    return state, colleague, reviewer


def draft(client, state) -> str:
    body = {"type": "upr_fund", "fields": complete_fields()}
    r = client.post(f"{API}/cases", json=body, headers=state.auth)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["reference"]


def test_a_draft_is_its_rows_and_its_audit_event(world, client, people, backend):
    state, _, _ = people
    draft(client, state)  # the token's first use is written once a minute, not on every request
    with counted(world.app) as seen:
        draft(client, state)
    assert seen.tables() == [
        "SELECT api_tokens",            # who calls, with their roles
        "SELECT workflow_versions",     # the version of the workflow the case starts under
        "UPDATE reference_counters",    # the next reference, taken under the row's lock
        "INSERT cases",
        "INSERT case_recommendations",
        *lock_and_append(backend),
    ], seen.statements
    assert seen.commits == transactions(backend)


def test_a_draft_without_recommendations_reads_none_back(world, client, people, backend):
    state, _, _ = people
    draft(client, state)
    with counted(world.app) as seen:
        r = client.post(f"{API}/cases", json={"type": "upr_fund", "title": "Legal aid"}, headers=state.auth)
    assert r.status_code == 201, r.get_json()
    assert seen.tables() == [
        "SELECT api_tokens", "SELECT workflow_versions", "UPDATE reference_counters", "INSERT cases",
        *lock_and_append(backend),
    ], seen.statements


def test_a_transition_is_a_handful_of_statements(world, client, people, backend):
    state, _, _ = people
    ref = draft(client, state)
    with counted(world.app) as seen:
        r = client.post(f"{API}/cases/{ref}/transitions", json={"trigger": "submit", "data": {}},
                        headers=state.auth)
    assert r.status_code == 200, r.get_json()
    assert seen.tables() == [
        "SELECT api_tokens",
        "SELECT cases",                 # the case and its workflow version, in one join
        "SELECT case_recommendations",  # what the answer shows
        "SELECT calendar_closures",     # the business calendar for the new deadline
        "UPDATE cases",                 # guarded by the version read: a lost race is a 409
        "INSERT case_transitions",
        "SELECT users",                 # the State's focal points: the colleague hears of it
        "INSERT notifications",
        "INSERT outbox_messages",
        *lock_and_append(backend),
    ], seen.statements
    assert seen.commits == transactions(backend)


def test_four_eyes_reads_the_history_only_where_a_step_asks_for_it(world, client, people, backend):
    state, _, reviewer = people
    ref = draft(client, state)
    client.post(f"{API}/cases/{ref}/transitions", json={"trigger": "submit", "data": {}}, headers=state.auth)
    assert client.get(f"{API}/cases/{ref}", headers=reviewer.auth).status_code == 200  # the token's first use
    with counted(world.app) as seen:
        r = client.post(f"{API}/cases/{ref}/transitions", headers=reviewer.auth, json={
            "trigger": "return_to_state", "data": {"questions": "Please detail the budget."}})
    assert r.status_code == 200, r.get_json()
    assert "SELECT case_transitions" not in seen.tables()
    assert seen.tables().count("SELECT users") == 1  # both focal points, in one query
    assert seen.commits == transactions(backend)
    assert len(seen.statements) <= 14, seen.tables()
