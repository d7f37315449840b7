"""Seeding PostgreSQL at scale with set-based SQL (not the services), for bench_scale.

Cases are written by INSERT ... SELECT over generate_series, the audit chain by COPY of events
hashed in Python (a chain cannot be computed by one statement), the people and their tokens through
the services. The data look like real work: every status, 20 States, five request types, dates
spread over years, due dates where a step is open.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass

import psycopg
from sqlalchemy import select, text

from tacase.audit.canonical import canonical_bytes, format_instant
from tacase.audit.chain import GENESIS
from tacase.db.migrate import upgrade
from tacase.db.models import User
from tacase.db.session import make_engine, make_session_factory, normalise_url
from tacase.engine.registry import WorkflowRegistry
from tacase.services import accounts, auth
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import utcnow
from tacase.services.runtime import Runtime
from tacase.services.workflow_versions import ensure_version
from tests.benchmarks import bare_app
from tests.conftest import WORKFLOWS

STATES = ("FJI", "ECU", "KEN", "MNG", "PSE", "WSM", "PER", "SEN", "NPL", "TUN", "BRA", "IND", "MEX",
          "ZAF", "PHL", "IDN", "COL", "GHA", "JOR", "UKR")
# Statuses with their share of the record: most requests are long closed.
STATUSES = (("evaluated", 30), ("rejected", 5), ("withdrawn", 5), ("delivered", 10), ("approved", 10),
            ("reviewed", 10), ("returned", 5), ("submitted", 15), ("draft", 10))
OPEN = ("draft", "submitted", "returned", "reviewed", "approved", "delivered")


@dataclass
class People:
    focal_token: str  # a focal point of Fiji
    reviewer_token: str
    approver_token: str
    reviewer_id: int


def reset(url: str) -> None:
    """An empty schema at the head of the migrations, and the bare app's table."""
    engine = make_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    upgrade(url)
    bare_app.make_table(url)


def people_and_workflows(url: str) -> tuple[People, dict[str, int]]:
    """The accounts whose tokens load the server, and the id of each workflow version."""
    engine = make_engine(url)
    registry = WorkflowRegistry.from_dir(WORKFLOWS)
    sessions = make_session_factory(engine, Runtime(workflows=registry))
    with sessions() as s:
        versions = {d.type: ensure_version(s, d, utcnow()).id for d in registry.current.values()}

        def account(email: str, role: str, state: str | None = None) -> tuple[User, str]:
            user = accounts.create_user(s, SYSTEM, utcnow, email=email, roles=[role], password=None,
                                        state_code=state)
            user.mfa_secret, user.mfa_enabled = "JBSWY3DPEHPK3PXP", role != "state_focal_point"
            return user, auth.create_token(s, Actor.for_user(user), utcnow, name="bench", days=30)[1]

        _, focal = account("focal.fji@bench.example", "state_focal_point", "FJI")
        reviewer_user, reviewer = account("reviewer@bench.example", "reviewer")
        _, approver = account("approver@bench.example", "approver")
        for state in STATES[1:]:
            account(f"focal.{state.lower()}@bench.example", "state_focal_point", state)
        s.commit()
        people = People(focal, reviewer, approver, reviewer_user.id)
        creator = s.scalar(select(User.id).where(User.email == "focal.fji@bench.example"))
    engine.dispose()
    versions["_creator"] = creator
    return people, versions


_CASE_COLUMNS = """reference, type, workflow_version_id, state_code, status, title, objectives, activities,
    expected_results, recipient_institutions, sdg_targets, themes, consent_to_publish, extra,
    created_by_id, created_at, updated_at, submitted_at, closed_at, step_started_at, due_at,
    remind_at, due_party, version, assignee_id, next_attention_at"""


_FUTURE_DUE = ("CASE WHEN status IN ('submitted','returned','reviewed','approved','delivered') "
               "THEN now() + make_interval(days => 10 + g % 50) END")


def _status_case(expr: str) -> str:
    """SQL picking a status by its share, from a number 0..99."""
    parts, low = [], 0
    for status, share in STATUSES:
        parts.append(f"WHEN {expr} < {low + share} THEN '{status}'")
        low += share
    return "CASE " + " ".join(parts) + " END"


def insert_cases(url: str, versions: dict[str, int], *, count: int, prefix: str, start: int = 0,
                 status_sql: str | None = None, due_sql: str | None = None, state_sql: str | None = None,
                 type_sql: str | None = None) -> None:
    """`count` cases whose references read PREFIX-0000001...; the status by share unless given.
    Open cases have a step due in the future unless `due_sql` says otherwise."""
    types = sorted(t for t in versions if not t.startswith("_"))
    type_array = "(ARRAY[" + ",".join(f"'{t}'" for t in types) + "])"
    version_array = "(ARRAY[" + ",".join(str(versions[t]) for t in types) + "])"
    state_array = "(ARRAY[" + ",".join(f"'{s}'" for s in STATES) + "])"
    status = status_sql or _status_case("(g * 37) % 100")
    kind = type_sql or f"{type_array}[1 + g % {len(types)}]"
    sql = f"""
    WITH rows AS (
      SELECT g, {kind} AS type, {version_array}[1 + g % {len(types)}] AS version_id,
             {state_sql or f"{state_array}[1 + (g / 7) % {len(STATES)}]"} AS state_code,
             {status} AS status,
             now() - make_interval(mins => (g * 13) % 3000000) AS created
      FROM generate_series({start + 1}, {start + count}) AS g
    )
    INSERT INTO cases ({_CASE_COLUMNS})
    SELECT '{prefix}-' || lpad(g::text, 7, '0'), type, version_id, state_code, status,
           'Implementing recommendations on access to justice, phase ' || g, 'Strengthen legal aid',
           'Workshops and expert review', '[]'::jsonb, '[]'::jsonb, '[]'::jsonb, '[]'::jsonb,
           g % 3 = 0, '{{}}'::jsonb, {versions["_creator"]},
           created, created + make_interval(mins => (g * 7) % 20000),
           CASE WHEN status <> 'draft' THEN created + interval '1 day' END,
           CASE WHEN status IN ('evaluated', 'rejected', 'withdrawn') THEN created + interval '300 days' END,
           created + interval '2 days',
           {due_sql or _FUTURE_DUE},
           NULL,
           CASE WHEN status IN ('submitted','reviewed','approved','delivered') THEN 'office'
                WHEN status = 'returned' THEN 'state' END,
           1, NULL, {due_sql or _FUTURE_DUE}
    FROM rows
    """
    with psycopg.connect(_plain(url)) as conn:
        conn.execute(sql)
        conn.execute("ANALYZE cases")


def flag_overdue(url: str, prefix: str) -> int:
    """The overdue cases of PREFIX, already reminded, flagged and escalated (the backlog a sweep
    found before): the deadline events it would otherwise record."""
    with psycopg.connect(_plain(url)) as conn:
        for kind in ("reminder", "overdue", "escalation"):
            conn.execute(f"""
                INSERT INTO deadline_events (case_id, step_started_at, status, kind, due_at, at)
                SELECT id, step_started_at, status, '{kind}', due_at, due_at
                FROM cases WHERE reference LIKE '{prefix}-%' AND due_at < now() AND closed_at IS NULL""")
        conn.execute(f"UPDATE cases SET next_attention_at = NULL WHERE reference LIKE '{prefix}-%' "
                     "AND due_at < now() AND closed_at IS NULL")  # nothing more to do for them
        found = conn.execute(
            f"SELECT count(*) FROM cases WHERE reference LIKE '{prefix}-%' AND due_at < now()")
        conn.execute("ANALYZE deadline_events")
        return found.fetchone()[0]


def audit_chain(url: str, count: int) -> None:
    """`count` valid audit events appended to the chain, as the services would write them."""
    with psycopg.connect(_plain(url)) as conn:
        head = conn.execute("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = head if head else (0, GENESIS)
        actor = SYSTEM.audit_label()
        start = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
        columns = "seq, at, actor_id, action, case_id, prev_hash, hash, body"
        with conn.cursor().copy(f"COPY audit_events ({columns}) FROM STDIN") as copy:
            for i in range(count):
                seq += 1
                at = start + dt.timedelta(seconds=i * 17)
                case = {"id": 1 + i % 1000, "reference": f"L-{1 + i % 1000:07d}"}
                body = canonical_bytes({"seq": seq, "at": format_instant(at), "actor": actor,
                                        "action": "case.updated", "case": case,
                                        "data": {"changes": {"title": [f"Old {i}", f"New {i}"]}}})
                digest = hashlib.sha256(bytes.fromhex(prev) + body).hexdigest()
                copy.write_row((seq, at, None, "case.updated", case["id"], prev, digest, body))
                prev = digest
        conn.execute("ANALYZE audit_events")


def settle(url: str) -> None:
    """What autovacuum does for a database that has been running a while: the statistics and the
    visibility map that index-only scans read."""
    with psycopg.connect(_plain(url), autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def _plain(url: str) -> str:
    return normalise_url(url).replace("postgresql+psycopg://", "postgresql://")
