"""The migrations build exactly the models' schema, on SQLite and PostgreSQL, and go both ways."""

from __future__ import annotations

import datetime as dt

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import insert, inspect, select
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


def test_going_to_call_answered_marks_the_questions_submitted_responses_answered(fresh_db):
    from tacase.db.models import Call, CallAnswered, CallResponse, CallVersion
    from tacase.reference import requesting_state

    at = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    both = [{"key": "summary", "type": "text"}, {"key": "areas", "type": "choices"}]
    downgrade(fresh_db, "0015")
    engine = make_engine(fresh_db)
    try:
        with engine.begin() as conn:
            conn.execute(insert(Call.__table__).values(
                id=1, key="needs", kind="questionnaire", version=2, sha256="a" * 64, title_en="Needs",
                definition={"questions": [*both, {"key": "added", "type": "date"}]},
                opens_on=dt.date(2026, 3, 1), closes_on=dt.date(2026, 3, 31), closes_at=at, source="file",
                created_at=at, updated_at=at))
            conn.execute(insert(CallVersion.__table__).values(
                call_id=1, version=1, sha256="b" * 64, created_at=at,
                definition={"questions": [*both, {"key": "removed", "type": "long_text"}]}))
            response = {"call_id": 1, "organisation": "", "consent_to_publish": False, "late": False,
                        "reopened_count": 0, "version": 1, "created_at": at, "updated_at": at}
            conn.execute(insert(CallResponse.__table__), [
                {**response, "id": 1, "call_version": 1, "state_code": "FJI", "respondent_kind": "state",
                 "respondent_type": "state", "status": "submitted", "submitted_at": at,
                 "answers": {"summary": "Nurses", "areas": ["water"], "removed": "Kept", "stray": "x"}},
                {**response, "id": 2, "call_version": 2, "state_code": None, "respondent_kind": "stakeholder",
                 "respondent_type": "civil_society", "status": "submitted",
                 "submitted_at": at + dt.timedelta(hours=1),
                 "answers": {"summary": "  ", "areas": [], "added": "2026-01-05"}},
                {**response, "id": 3, "call_version": 2, "state_code": "KEN", "respondent_kind": "state",
                 "respondent_type": "state", "status": "draft", "submitted_at": None,
                 "answers": {"summary": "A draft"}}])
        upgrade(fresh_db)
        with engine.connect() as conn:
            rows = conn.execute(select(CallAnswered.__table__).order_by(
                CallAnswered.response_id, CallAnswered.question)).all()
        assert [tuple(r) for r in rows] == [
            (1, "areas", 1, at, requesting_state("FJI").region, "state"),
            (1, "removed", 1, at, requesting_state("FJI").region, "state"),
            (1, "summary", 1, at, requesting_state("FJI").region, "state"),
            (2, "added", 1, at + dt.timedelta(hours=1), None, "civil_society")]
    finally:
        engine.dispose()
    assert diff(fresh_db) == []


def test_cases_are_vacuumed_often_enough_for_index_only_lists(fresh_db):
    if not fresh_db.startswith("postgresql"):
        return  # autovacuum is PostgreSQL's
    engine = make_engine(fresh_db)

    def options() -> set[str]:
        with engine.connect() as conn:
            return set(conn.scalar(text_("SELECT reloptions FROM pg_class WHERE relname = 'cases'")) or ())

    try:
        assert "autovacuum_vacuum_scale_factor=0.02" in options()
        downgrade(fresh_db, "0016")
        assert not options()
    finally:
        engine.dispose()
