"""Calls for input: questionnaires and calls for submissions, their invitations and responses.

A call's questions are data (questionnaires/*.yaml); every version a response was answered under is
kept, as for workflows. Submitted answers are also written as one row per counted value
(`call_answers`), and every question it answered is marked (`call_answered`), so that the results
are grouped counts read from an index, whatever the size of the call.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from tacase.db.base import Base
from tacase.db.types import JSONType, UTCDateTime

CALL_KINDS = ("questionnaire", "submissions")
CALL_SOURCES = ("file", "office")
RESPONDENT_KINDS = ("state", "ministry", "stakeholder")
# Who a State passes a call on to, and who may answer through a call's open link.
STATE_BODY_TYPES = ("ministry", "local_government", "parliament", "judiciary", "other_state_body")
STAKEHOLDER_TYPES = ("nhri", "civil_society", "academia", "other")
RESPONDENT_TYPES = ("state", *STATE_BODY_TYPES, *STAKEHOLDER_TYPES)
RESPONSE_STATUSES = ("draft", "submitted")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Call(Base):
    __tablename__ = "calls"
    __table_args__ = (
        CheckConstraint(_in("kind", CALL_KINDS), name="kind_known"),
        CheckConstraint(_in("source", CALL_SOURCES), name="source_known"),
        CheckConstraint("closes_on >= opens_on", name="dates_ordered"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_calls_closes_at_id", "closes_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    # The current version's raw mapping; older ones are in call_versions.
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, deferred=True)
    title_en: Mapped[str] = mapped_column(String(300))
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    # The end of the closing day in the office's time zone: answers after it are late.
    closes_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    source: Mapped[str] = mapped_column(String(8), default="file")
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    def __repr__(self) -> str:
        return f"<Call {self.key} v{self.version}>"


class CallVersion(Base):
    """The exact text of every version of a call; a response names the version it answered."""

    __tablename__ = "call_versions"
    __table_args__ = (UniqueConstraint("call_id", "version"), UniqueConstraint("call_id", "sha256"))

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType, deferred=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CallParticipant(Base):
    """A State in a call's audience and how far it has come: the office's follow-up reads one row a
    State instead of counting responses and invitations."""

    __tablename__ = "call_participants"
    __table_args__ = (
        CheckConstraint("length(state_code) = 3", name="state_code_iso3"),
        CheckConstraint("reminders_sent >= 0", name="reminders_not_negative"),
        Index("ix_call_participants_state_code_call_id", "state_code", "call_id"),
    )

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    state_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_draft_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_reminded_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)


class CallInvitation(Base):
    """A State's invitation of one of its bodies (a ministry, a local government) to answer a call:
    a single-use link that opens an account limited to that State and that call."""

    __tablename__ = "call_invitations"
    __table_args__ = (
        CheckConstraint("length(state_code) = 3", name="state_code_iso3"),
        CheckConstraint(_in("respondent_type", STATE_BODY_TYPES), name="respondent_type_known"),
        CheckConstraint("email = lower(email)", name="email_lower"),
        Index("ix_call_invitations_call_id_state_code", "call_id", "state_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    state_code: Mapped[str] = mapped_column(String(3))
    email: Mapped[str] = mapped_column(String(254))
    ministry: Mapped[str] = mapped_column(String(200))
    respondent_type: Mapped[str] = mapped_column(String(32))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    invited_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    opened_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class CallResponse(Base):
    __tablename__ = "call_responses"
    __table_args__ = (
        CheckConstraint("state_code IS NULL OR length(state_code) = 3", name="state_code_iso3"),
        CheckConstraint(_in("respondent_kind", RESPONDENT_KINDS), name="respondent_kind_known"),
        CheckConstraint(_in("respondent_type", RESPONDENT_TYPES), name="respondent_type_known"),
        CheckConstraint(_in("status", RESPONSE_STATUSES), name="status_known"),
        CheckConstraint("respondent_kind = 'stakeholder' OR state_code IS NOT NULL",
                        name="state_answers_for_state"),
        CheckConstraint("(status = 'submitted') = (submitted_at IS NOT NULL)", name="submitted_has_time"),
        CheckConstraint("version >= 1", name="version_positive"),
        Index("ix_call_responses_call_id_state_code", "call_id", "state_code"),
        Index("ix_call_responses_call_id_status_submitted_at", "call_id", "status", "submitted_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    call_version: Mapped[int] = mapped_column(Integer)
    state_code: Mapped[str | None] = mapped_column(String(3))
    respondent_kind: Mapped[str] = mapped_column(String(16))
    respondent_type: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(String(200), default="")
    invitation_id: Mapped[int | None] = mapped_column(ForeignKey("call_invitations.id"), unique=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    status: Mapped[str] = mapped_column(String(16), default="draft")
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    consent_to_publish: Mapped[bool] = mapped_column(Boolean, default=False)
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    submitted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reopened_count: Mapped[int] = mapped_column(Integer, default=0)
    # A stakeholder answers without an account: the e-mailed link carries a secret kept hashed.
    confirm_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    confirmed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)

    __mapper_args__ = {"version_id_col": version}


class CallResponseVersion(Base):
    """A submitted version of a response, kept when the office reopens it."""

    __tablename__ = "call_response_versions"
    __table_args__ = (UniqueConstraint("response_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("call_responses.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    answers: Mapped[dict[str, Any]] = mapped_column(JSONType)
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    reopened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str] = mapped_column(String(1000), default="")


class CallAnswer(Base):
    """One counted value of a submitted response: a choice made (yes/no as "yes"/"no"), a number or
    a scale's point. Written at submission, removed at reopening."""

    __tablename__ = "call_answers"
    __table_args__ = (
        Index("ix_call_answers_call_id_question_choice", "call_id", "question", "choice"),
        # The numbers given (not a scale's points, counted as options), counted from an index of their own.
        Index("ix_call_answers_call_id_question_number", "call_id", "question", "number",
              postgresql_where=text("number IS NOT NULL AND choice IS NULL"),
              sqlite_where=text("number IS NOT NULL AND choice IS NULL")),
        Index("ix_call_answers_response_id", "response_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("call_responses.id", ondelete="CASCADE"))
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    question: Mapped[str] = mapped_column(String(64))
    choice: Mapped[str | None] = mapped_column(String(64))
    number: Mapped[Decimal | None] = mapped_column(Numeric(24, 6))
    # Copied from the response so that a filtered result is still one indexed grouped count.
    region: Mapped[str | None] = mapped_column(String(64))
    respondent_type: Mapped[str] = mapped_column(String(32))


class CallAnswered(Base):
    """A question a submitted response answered, of any type: written at submission beside the
    counted values and removed at reopening. The results count the answers to each question from the
    index and list the first of them, in the order they were submitted, with one indexed read, reading
    only the listed responses' answers."""

    __tablename__ = "call_answered"
    __table_args__ = (
        # Region and type of respondent last: a filtered list or count is read from the index alone.
        Index("ix_call_answered_call_id_question_submitted_at", "call_id", "question", "submitted_at",
              "response_id", "region", "respondent_type"),
    )

    response_id: Mapped[int] = mapped_column(ForeignKey("call_responses.id", ondelete="CASCADE"),
                                             primary_key=True)
    question: Mapped[str] = mapped_column(String(64), primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    # Copied from the response: the order of the listed answers and the results' filters.
    submitted_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    region: Mapped[str | None] = mapped_column(String(64))
    respondent_type: Mapped[str] = mapped_column(String(32))


class CallDocument(Base):
    """A file uploaded as the answer to a call's document question; checked like case documents."""

    __tablename__ = "call_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"))
    response_id: Mapped[int | None] = mapped_column(ForeignKey("call_responses.id", ondelete="CASCADE"),
                                                    index=True)
    question: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    stored_name: Mapped[str] = mapped_column(String(100), unique=True)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)


class CallReminder(Base):
    """Each reminder of a State once: the scheduler's pass may run again without mailing twice."""

    __tablename__ = "call_reminders"

    call_id: Mapped[int] = mapped_column(ForeignKey("calls.id", ondelete="CASCADE"), primary_key=True)
    state_code: Mapped[str] = mapped_column(String(3), primary_key=True)
    days_before: Mapped[int] = mapped_column(Integer, primary_key=True)
    sent_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
