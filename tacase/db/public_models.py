"""What the public record keeps ready: snapshots of its figures, its open-data files and the completed
steps its processing times are computed from."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from tacase.db.base import Base
from tacase.db.types import JSONType, UTCDateTime


class PublicSnapshot(Base):
    """Figures of the public record kept ready for its pages (filter counts, timeliness): one row a
    kind, replaced whole by the scheduler and at once when a State's consent changes."""

    __tablename__ = "public_snapshots"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    built_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    body: Mapped[dict[str, Any]] = mapped_column(JSONType)


class PublicFile(Base):
    """An open-data file as last built by the scheduler. A change of consent deletes the files, so
    that a withdrawn case is never served from one; until the next build they are made on request."""

    __tablename__ = "public_files"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    built_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    media_type: Mapped[str] = mapped_column(String(64))
    etag: Mapped[str] = mapped_column(String(64))
    content: Mapped[bytes] = mapped_column(LargeBinary, deferred=True)


class TimelinessStep(Base):
    """A completed step of the office's work (a stage, from entering it to leaving it, without the
    time the State was waited on), kept for the published processing times. Derived from
    `case_transitions`; the refresh rewrites the steps of every case that moved since its last run."""

    __tablename__ = "timeliness_steps"
    __table_args__ = (
        Index("ix_timeliness_steps_case_id", "case_id"),
        Index("ix_timeliness_steps_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    type: Mapped[str] = mapped_column(String(64))
    state_code: Mapped[str] = mapped_column(String(3))
    stage: Mapped[str] = mapped_column(String(16))
    month: Mapped[int] = mapped_column(Integer)  # YYYYMM (UTC) of the step's end
    ended_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    # Business seconds, in hundredths of a working day (864 s), rounded: the figures' resolution.
    hundredths: Mapped[int] = mapped_column(Integer)
    within_deadline: Mapped[bool | None] = mapped_column(Boolean)  # None: the stage has no deadline
    actor_id: Mapped[int | None] = mapped_column(Integer)  # who ended the step
