"""Shared fixtures: databases (SQLite always, PostgreSQL when TACASE_TEST_DATABASE_URL is set),
a session per test inside a rolled-back transaction, and factories for users and cases."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.orm import Session

from tacase.db.migrate import upgrade
from tacase.db.session import make_engine, make_session_factory, normalise_url
from tacase.engine.registry import WorkflowRegistry
from tacase.services import accounts, cases, passwords
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tacase.services.runtime import Runtime

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
PG_URL = os.environ.get("TACASE_TEST_DATABASE_URL")
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


# Tests make hundreds of accounts and sign-ins: Argon2id at its production cost (a quarter of a
# second each) would take minutes. The production parameters are checked in
# tests/unit/test_passwords.py against PRODUCTION_HASHER.
PRODUCTION_HASHER = passwords._hasher
passwords._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def pytest_report_header(config):
    if PG_URL:
        return "PostgreSQL tests: on (TACASE_TEST_DATABASE_URL)"
    return "PostgreSQL tests: OFF - TACASE_TEST_DATABASE_URL is not set; only SQLite runs"


# --- databases ---------------------------------------------------------------------------------

class PostgresServer:
    """Creates and drops throwaway databases on the server TACASE_TEST_DATABASE_URL points at."""

    def __init__(self, url: str) -> None:
        self.url = make_url(normalise_url(url))
        self.admin = create_engine(self.url.set(database="postgres"), isolation_level="AUTOCOMMIT")

    def create(self, template: str | None = None) -> str:
        name = f"tacase_t_{uuid.uuid4().hex[:12]}"
        clause = f" TEMPLATE {template}" if template else ""
        with self.admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}{clause}"))
        return self.url.set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        name = make_url(url).database
        with self.admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PostgresServer]:
    if not PG_URL:
        pytest.skip("TACASE_TEST_DATABASE_URL is not set")
    server = PostgresServer(PG_URL)
    yield server
    server.admin.dispose()


@pytest.fixture(scope="session")
def registry() -> WorkflowRegistry:
    return WorkflowRegistry.from_dir(WORKFLOWS)


@pytest.fixture(scope="session")
def runtime(registry) -> Runtime:
    return Runtime(workflows=registry)


@pytest.fixture(scope="session", params=BACKENDS)
def migrated_db(request, tmp_path_factory) -> Iterator[str]:
    """One migrated database per backend for the whole run (a template for fresh copies)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'template.sqlite3'}"
        upgrade(url)
        yield url
        return
    server = request.getfixturevalue("pg_server")
    url = server.create()
    upgrade(url)
    yield url
    server.drop(url)


@pytest.fixture
def backend(migrated_db) -> str:
    return "sqlite" if migrated_db.startswith("sqlite") else "postgresql"


@pytest.fixture
def engine(migrated_db):
    engine = make_engine(migrated_db)
    yield engine
    engine.dispose()


@pytest.fixture
def session(engine, runtime) -> Iterator[Session]:
    """A session whose every commit is a savepoint of a transaction rolled back afterwards."""
    with engine.connect() as connection:
        outer = connection.begin()
        factory = make_session_factory(connection, runtime)
        factory.configure(join_transaction_mode="create_savepoint")
        with factory() as s:
            yield s
        outer.rollback()


def _copy_of(migrated_db: str, directory: Path, request) -> Iterator[str]:
    """A copy of the migrated template: a file on SQLite, a database made from it on PostgreSQL."""
    if migrated_db.startswith("sqlite"):
        path = directory / "copy.sqlite3"
        shutil.copy(migrated_db[len("sqlite:///"):], path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server")
    url = server.create(template=make_url(migrated_db).database)
    yield url
    server.drop(url)


@pytest.fixture
def fresh_db(migrated_db, tmp_path, request) -> Iterator[str]:
    """A database of its own, for tests that commit for real (threads, commands)."""
    yield from _copy_of(migrated_db, tmp_path, request)


@pytest.fixture(scope="module")
def module_db(migrated_db, tmp_path_factory, request) -> Iterator[str]:
    """A database shared by one module's tests (the module-scoped twin of fresh_db)."""
    yield from _copy_of(migrated_db, tmp_path_factory.mktemp("module"), request)


@pytest.fixture
def fresh_sessions(fresh_db, runtime):
    engine = make_engine(fresh_db)
    yield make_session_factory(engine, runtime)
    engine.dispose()


# --- clocks, users, cases ------------------------------------------------------------------------

@pytest.fixture
def clock() -> FixedClock:
    # A Monday in Geneva, away from holidays.
    return FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


def complete_fields(wtype: str = "upr_fund") -> dict:
    """Every field a request of the type needs before it can be submitted."""
    fields = {
        "title": "Implementing UPR recommendations on access to justice",
        "objectives": "Strengthen legal aid",
        "activities": "Workshops and expert review",
        "expected_results": [{"result": "Legal aid law adopted", "indicators": ["law adopted"]}],
        "channel_reference": "NV/2026/001",
        "channel_date": "2026-02-20",
        "planned_start": "2026-06-01",
        "planned_end": "2026-12-31",
        "budget": {"amount": "50000.00", "currency": "USD"},
        "funding_source": "upr_fund",
        "recommendations": [
            {"mechanism": "upr", "document_symbol": "A/HRC/52/9", "paragraph": "120.1"}
        ],
    }
    extra = {
        "upr_fund": {"upr_cycle": 4},
        "advisory": {"advice_kind": "legislative_review"},
        "tc_project": {"project_duration_months": 12},
        "capacity_building": {"participants_expected": 40, "training_format": "online"},
        "hra_deployment": {"resident_coordinator": "RC Fiji", "state_consent_reference": "L/1",
                           "state_consent_date": "2026-02-01", "deployment_months": 24},
    }[wtype]
    return {**fields, **extra}


class Factory:
    def __init__(self, session: Session, clock: FixedClock) -> None:
        self.session, self.clock = session, clock
        self.count = 0

    def user(self, *roles: str, state: str | None = None, password: str | None = None) -> Actor:
        # Without a password unless asked: Argon2 is slow by design.
        self.count += 1
        user = accounts.create_user(
            self.session, SYSTEM, self.clock, email=f"user{self.count}@example.org",
            roles=list(roles), password=password, state_code=state,
        )
        return Actor.for_user(user)

    def focal(self, state: str = "FJI") -> Actor:
        return self.user("state_focal_point", state=state)

    def complete_fields(self, wtype: str = "upr_fund") -> dict:
        return complete_fields(wtype)

    def draft(self, focal: Actor, wtype: str = "upr_fund", **fields):
        return cases.open_draft(self.session, focal, self.clock, type=wtype,
                                fields={**self.complete_fields(wtype), **fields})


@pytest.fixture
def make(session, clock) -> Factory:
    return Factory(session, clock)
