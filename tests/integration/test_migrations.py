"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and go both ways."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect
from sqlalchemy import text as text_

from tacase.db.base import Base
from tacase.db.migrate import downgrade, upgrade
from tacase.db.models import Notification, OutboxMessage, User, compared
from tacase.db.session import make_engine
from tacase.services.messages import MailContext, facts_of


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


def test_going_back_before_mail_facts_writes_their_words_out(fresh_db):
    ctx = MailContext(kind="overdue", audience="office", recipient_name="Desk", reference="UPR-2026-0003",
                      title="T", public_status="Under review", link="https://tacase.example.org/cases/x",
                      reason="Because.", timezone="Europe/Zurich")
    engine = make_engine(fresh_db)
    try:
        with engine.begin() as conn:
            conn.execute(insert(User.__table__).values(
                id=1, email="desk@example.org", display_name="Desk", password_hash="x", is_active=True,
                locale="en", daily_digest=False, created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC),
                updated_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
            conn.execute(insert(OutboxMessage.__table__).values(
                created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC), to_address="desk@example.org",
                subject="Overdue: UPR-2026-0003", facts=facts_of(ctx), kind="overdue", status="pending",
                attempts=0, next_attempt_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
            conn.execute(insert(Notification.__table__).values(
                user_id=1, kind="overdue", title="Overdue: UPR-2026-0003", facts=facts_of(ctx),
                created_at=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)))
        downgrade(fresh_db, "0009")
        with engine.connect() as conn:
            text, html = conn.execute(text_("SELECT body_text, body_html FROM outbox_messages")).one()
            body = conn.execute(text_("SELECT body FROM notifications")).scalar_one()
        assert text.startswith("Dear Desk") and "UPR-2026-0003" in html
        assert body.startswith("The current step of UPR-2026-0003")
    finally:
        engine.dispose()
    upgrade(fresh_db)
    assert diff(fresh_db) == []
