"""The audit log's tables: the hash chain, the runs of its verification and its signed checkpoints."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Index,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from tacase.db.base import Base
from tacase.db.types import UTCDateTime


class AuditEvent(Base):
    """One link of the hash chain. `body` holds the RFC 8785 bytes; the other columns copy fields
    of it for filtering, and verification checks that they agree."""

    __tablename__ = "audit_events"
    __table_args__ = (
        CheckConstraint("seq >= 1", name="seq_positive"),
        Index("ix_audit_events_case_id_seq", "case_id", "seq"),
        Index("ix_audit_events_actor_id_seq", "actor_id", "seq"),
        Index("ix_audit_events_action_seq", "action", "seq"),
        Index("ix_audit_events_at", "at"),
    )

    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(64))
    case_id: Mapped[int | None] = mapped_column(Integer)
    prev_hash: Mapped[str] = mapped_column(String(64), unique=True)
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class AuditVerification(Base):
    """A run of the chain's verification. One that found the chain whole up to event `events`, whose
    hash was `head`, is a checkpoint: later runs start there instead of at the first event (a full
    run starts at the first, and is what shows an edit of an event verified before)."""

    __tablename__ = "audit_verifications"
    __table_args__ = (CheckConstraint("events >= 0", name="events_not_negative"),
                      Index("ix_audit_verifications_ok_events", "ok", "events"),
                      Index("ix_audit_verifications_full_id", "full", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    verified_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    full: Mapped[bool] = mapped_column(Boolean)  # from the first event, not from a checkpoint
    ok: Mapped[bool] = mapped_column(Boolean)
    events: Mapped[int] = mapped_column(BigInteger)  # the chain was whole up to this event
    head: Mapped[str] = mapped_column(String(64))
    first_bad_seq: Mapped[int | None] = mapped_column(BigInteger)
    reason: Mapped[str | None] = mapped_column(String(200))


class AuditCheckpoint(Base):
    """A signed checkpoint: the chain's head at event `sequence` was `head`, signed at `signed_at` by
    the Ed25519 key `key_id` (whose public key is kept beside it). The key itself lives outside the
    database; on PostgreSQL the rows cannot be changed or removed (triggers, as for the events)."""

    __tablename__ = "audit_checkpoints"
    __table_args__ = (CheckConstraint("sequence >= 1", name="sequence_positive"),
                      UniqueConstraint("sequence", "key_id"),
                      Index("ix_audit_checkpoints_signed_at", "signed_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    sequence: Mapped[int] = mapped_column(BigInteger)
    head: Mapped[str] = mapped_column(String(64))
    signed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    key_id: Mapped[str] = mapped_column(String(16))
    public_key: Mapped[str] = mapped_column(String(64))  # base64 of the raw 32 bytes
    signature: Mapped[str] = mapped_column(String(128))  # base64 of the raw 64 bytes
