"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and go both ways."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from tacase.db.base import Base
from tacase.db.migrate import downgrade, upgrade
from tacase.db.models import compared
from tacase.db.session import make_engine


def diff(url: str) -> list:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={
                "compare_type": True, "include_object": compared})
            return compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_migrations_match_models(migrated_db):
    assert diff(migrated_db) == []


def test_downgrade_to_nothing_and_back(fresh_db):
    downgrade(fresh_db, "base")
    engine = make_engine(fresh_db)
    try:
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    finally:
        engine.dispose()
    upgrade(fresh_db)
    assert diff(fresh_db) == []
