"""Typed SQLAlchemy models. Rules that must hold whoever writes are also CHECK constraints."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tacase.db.base import Base
from tacase.db.types import JSONType, UTCDateTime
from tacase.engine.casefields import FUNDING_SOURCES, RECOMMENDATION_MECHANISMS
from tacase.engine.roles import ROLES


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("email = lower(email)", name="email_lower"),
        CheckConstraint("state_code IS NULL OR length(state_code) = 3", name="state_code_iso3"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    state_code: Mapped[str | None] = mapped_column(String(3), index=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    mfa_secret: Mapped[str | None] = mapped_column(String(64))
    # The secret counts only once confirmed with a code; the last accepted time step stops replays.
    mfa_enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    mfa_last_step: Mapped[int | None] = mapped_column(BigInteger)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # One mail a day with everything, instead of one mail per event.
    daily_digest: Mapped[bool] = mapped_column(Boolean, default=False)
    locale: Mapped[str] = mapped_column(String(8), default="en")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    role_rows: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(r.role for r in self.role_rows)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(Base):
    __tablename__ = "user_roles"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role_known"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True, index=True)

    user: Mapped[User] = relationship(back_populates="role_rows")


class UserSession(Base):
    """A signed-in browser or client. The cookie carries a random id; only its hash is stored, so the
    server can end a session (logout, disabling, timeouts) and a copied cookie stops working."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    sid_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    mfa_verified: Mapped[bool] = mapped_column(Boolean, default=False)
    address: Mapped[str | None] = mapped_column(String(64))


class ApiToken(Base):
    """A personal API token; the secret is shown once and only its SHA-256 is kept."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class IdempotencyKey(Base):
    """A client's `Idempotency-Key`: in flight until `response_status` is set, then replayed."""

    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("user_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    endpoint: Mapped[str] = mapped_column(String(100))
    request_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # A crashed request must not hold its key for ever: after this instant a retry takes it over.
    locked_until: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    response_status: Mapped[int | None] = mapped_column(Integer)
    response_body: Mapped[Any | None] = mapped_column(JSONType)
    response_location: Mapped[str | None] = mapped_column(String(300))


class WorkflowVersion(Base):
    """The exact text of every workflow a case has started under; a changed file adds a row."""

    __tablename__ = "workflow_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    # Read only when a version is not in memory yet, not with every case that joins it.
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class ReferenceCounter(Base):
    __tablename__ = "reference_counters"

    prefix: Mapped[str] = mapped_column(String(8), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)


# Indexes only PostgreSQL has, made by the migrations (0007) and not by these models: trigram
# search in references and titles, and due dates in descending order with the undated last.
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_cases_reference_trgm", "ix_cases_title_trgm", "ix_cases_due_at_desc",
                                     "ix_cases_state_code_due_at_desc"})


def compared(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Whether a database's object is compared with these models (the PostgreSQL-only indexes are
    the migrations' alone)."""
    return not (type_ == "index" and name in POSTGRESQL_ONLY_INDEXES)


def _ordered_indexes() -> list[Index]:
    out = []
    for scope in ((), ("state_code",)):
        prefix = "ix_cases_" + "".join(f"{c}_" for c in scope)
        out += [Index(f"{prefix}{column}_id", *scope, column, "id")
                for column in ("updated_at", "created_at", "due_at", "status")]
    out.append(Index("ix_cases_state_code_reference", "state_code", "reference"))
    # The public record: only the published cases, newest first, for all States or one.
    for scope in ((), ("state_code",)):
        out.append(Index("ix_cases_published_" + "".join(f"{c}_" for c in scope) + "submitted_at_id",
                         *scope, "submitted_at", "id",
                         postgresql_where=text("consent_to_publish AND submitted_at IS NOT NULL"),
                         sqlite_where=text("consent_to_publish = 1 AND submitted_at IS NOT NULL")))
    return out


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        CheckConstraint("length(state_code) = 3", name="state_code_iso3"),
        CheckConstraint("budget_amount IS NULL OR budget_amount >= 0", name="budget_not_negative"),
        CheckConstraint(
            "(budget_amount IS NULL) = (budget_currency IS NULL)", name="budget_has_currency"
        ),
        CheckConstraint(
            "planned_start IS NULL OR planned_end IS NULL OR planned_end >= planned_start",
            name="planned_dates_ordered",
        ),
        CheckConstraint(
            f"funding_source IS NULL OR {_in('funding_source', FUNDING_SOURCES)}",
            name="funding_source_known",
        ),
        CheckConstraint("version >= 1", name="version_positive"),
        # Every order a list offers, read from an index and broken by id (case_queries.Ordering);
        # the same for a State's users, whose lists are always of one State.
        *_ordered_indexes(),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(64), index=True)
    workflow_version_id: Mapped[int] = mapped_column(ForeignKey("workflow_versions.id"), index=True)
    state_code: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(64))

    title: Mapped[str] = mapped_column(String(300), default="")
    objectives: Mapped[str] = mapped_column(Text, default="")
    activities: Mapped[str] = mapped_column(Text, default="")
    expected_results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    channel_reference: Mapped[str | None] = mapped_column(String(100))
    channel_date: Mapped[dt.date | None] = mapped_column(Date)
    focal_point_name: Mapped[str | None] = mapped_column(String(200))
    focal_point_email: Mapped[str | None] = mapped_column(String(254))
    recipient_institutions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    budget_amount: Mapped[Decimal | None] = mapped_column(Numeric(18, 3))
    budget_currency: Mapped[str | None] = mapped_column(String(3))
    funding_source: Mapped[str | None] = mapped_column(String(32))
    sdg_targets: Mapped[list[str]] = mapped_column(JSONType, default=list)
    themes: Mapped[list[str]] = mapped_column(JSONType, default=list)
    consent_to_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    extra: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # The current step's clock; due_at is NULL when nobody is waited on.
    step_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    remind_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    # When the deadline sweep must next look at the step (its reminder, its due time, its
    # escalation): the sweep reads only cases at or past it, never the backlog already flagged.
    next_attention_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    due_party: Mapped[str | None] = mapped_column(String(8))
    # While the State is waited on, the office's step is frozen with the time it had left.
    paused_state: Mapped[str | None] = mapped_column(String(64))
    paused_remaining_s: Mapped[float | None] = mapped_column(Float)

    version: Mapped[int] = mapped_column(Integer, default=1)

    workflow_version: Mapped[WorkflowVersion] = relationship(lazy="joined", innerjoin=True)
    recommendations: Mapped[list[CaseRecommendation]] = relationship(
        back_populates="case", cascade="all, delete-orphan", order_by="CaseRecommendation.position",
        lazy="selectin",
    )

    __mapper_args__ = {"version_id_col": version}

    def __repr__(self) -> str:
        return f"<Case {self.reference} {self.status} v{self.version}>"


class CaseRecommendation(Base):
    """A recommendation of a human-rights mechanism that the request helps implement."""

    __tablename__ = "case_recommendations"
    __table_args__ = (
        CheckConstraint(_in("mechanism", RECOMMENDATION_MECHANISMS), name="mechanism_known"),
        UniqueConstraint("case_id", "position"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    mechanism: Mapped[str] = mapped_column(String(32))
    document_symbol: Mapped[str] = mapped_column(String(100))
    paragraph: Mapped[str | None] = mapped_column(String(40))

    case: Mapped[Case] = relationship(back_populates="recommendations")


class CaseTransition(Base):
    """One step of a case's history, with what the transition recorded."""

    __tablename__ = "case_transitions"
    __table_args__ = (
        Index("ix_case_transitions_case_id_at", "case_id", "at"),
        Index("ix_case_transitions_at_id", "at", "id"),  # the public record's feed, newest first
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    trigger: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str] = mapped_column(String(64))
    to_state: Mapped[str] = mapped_column(String(64))
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(Text)
    record: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Business seconds the case spent in from_state, for timeliness statistics.
    seconds_in_state: Mapped[float] = mapped_column(Float, default=0.0)


class Comment(Base):
    __tablename__ = "comments"
    __table_args__ = (
        CheckConstraint("visibility IN ('internal', 'state')", name="visibility_known"),
        CheckConstraint("kind IN ('comment', 'feedback')", name="kind_known"),
        Index("ix_comments_case_id_created_at", "case_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    visibility: Mapped[str] = mapped_column(String(16))
    # "feedback": the State's view of the assistance, given while it awaits evaluation.
    kind: Mapped[str] = mapped_column(String(16), default="comment", server_default="comment")
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


DEADLINE_EVENT_KINDS = ("reminder", "overdue", "escalation", "state_reminder", "last_notice")


class DeadlineEvent(Base):
    """A reminder, overdue flag, escalation or notice for one step of a case. A step is the case's
    status entered at `step_started_at`; the unique constraint makes each happen once per step,
    whichever scheduler gets there first."""

    __tablename__ = "deadline_events"
    __table_args__ = (
        UniqueConstraint("case_id", "step_started_at", "kind"),
        CheckConstraint(_in("kind", DEADLINE_EVENT_KINDS), name="kind_known"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    step_started_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)


class CalendarClosure(Base):
    """A day the duty station is closed beyond weekends and public holidays."""

    __tablename__ = "calendar_closures"
    __table_args__ = (UniqueConstraint("station", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station: Mapped[str] = mapped_column(String(16))
    day: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


OUTBOX_STATUSES = ("pending", "sending", "sent", "parked", "digest", "digested")


class OutboxMessage(Base):
    """A mail decided in the transaction of the change it tells about, written out and sent after commit.

    `facts` is what the mail says (tacase.services.messages.facts_of), turned into words at delivery;
    a daily summary, written by its job, carries its words in `body_text` and `body_html` instead.
    """

    __tablename__ = "outbox_messages"
    __table_args__ = (
        CheckConstraint(_in("status", OUTBOX_STATUSES), name="status_known"),
        CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        CheckConstraint("facts IS NOT NULL OR (body_text IS NOT NULL AND body_html IS NOT NULL)",
                        name="facts_or_words"),
        Index("ix_outbox_messages_status_next_attempt_at", "status", "next_attempt_at"),
        Index("ix_outbox_messages_recipient_id_status", "recipient_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    recipient_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(300))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    body_text: Mapped[str | None] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(32))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claimed_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Notification(Base):
    """What a user sees in the app; mails are the outbox's business. The body is written from
    `facts` when it is read (tacase.services.notifications.notification_body)."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_user_id_id", "user_id", "id"),
        CheckConstraint("facts IS NOT NULL OR body IS NOT NULL", name="facts_or_words"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    facts: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    body: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    read_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class SchedulerLease(Base):
    """The scheduler leader's lease where there are no advisory locks (SQLite)."""

    __tablename__ = "scheduler_leases"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    holder: Mapped[str] = mapped_column(String(128))
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


DOCUMENT_TYPES = ("application/pdf", "image/png", "image/jpeg",
                  "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                  "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                  "application/vnd.oasis.opendocument.text")


class Document(Base):
    """A file attached to a case. The bytes live on disk under `storage_name`; whoever may see the
    case may read it. No ON DELETE CASCADE: deleting rows would leave their files behind."""

    __tablename__ = "documents"
    __table_args__ = (
        CheckConstraint(_in("content_type", DOCUMENT_TYPES), name="content_type_known"),
        CheckConstraint("size > 0", name="size_positive"),
        CheckConstraint("length(sha256) = 64", name="sha256_hex"),
        Index("ix_documents_case_id_id", "case_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_name: Mapped[str] = mapped_column(String(64), unique=True)
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # The State may publish a document with its request on the public record (never the office).
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


# The audit log's and the public record's tables live beside this module; importing them here keeps
# one place that loads every table (Alembic, create_all) and the names callers already use.
from tacase.db.audit_models import AuditCheckpoint as AuditCheckpoint  # noqa: E402
from tacase.db.audit_models import AuditEvent as AuditEvent  # noqa: E402
from tacase.db.audit_models import AuditVerification as AuditVerification  # noqa: E402
from tacase.db.call_models import Call as Call  # noqa: E402
from tacase.db.call_models import CallAnswer as CallAnswer  # noqa: E402
from tacase.db.call_models import CallAnswered as CallAnswered  # noqa: E402
from tacase.db.call_models import CallDocument as CallDocument  # noqa: E402
from tacase.db.call_models import CallInvitation as CallInvitation  # noqa: E402
from tacase.db.call_models import CallParticipant as CallParticipant  # noqa: E402
from tacase.db.call_models import CallReminder as CallReminder  # noqa: E402
from tacase.db.call_models import CallResponse as CallResponse  # noqa: E402
from tacase.db.call_models import CallResponseVersion as CallResponseVersion  # noqa: E402
from tacase.db.call_models import CallVersion as CallVersion  # noqa: E402
from tacase.db.public_models import PublicFile as PublicFile  # noqa: E402
from tacase.db.public_models import PublicSnapshot as PublicSnapshot  # noqa: E402
from tacase.db.public_models import TimelinessStep as TimelinessStep  # noqa: E402
