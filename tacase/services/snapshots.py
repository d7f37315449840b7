"""Figures kept ready for the public pages: one row a kind, replaced whole.

A refresh takes the row's lock before it computes, so two refreshes (the scheduler's, and one after
a change of consent) run one after the other and the later one sees what the earlier committed."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import PublicSnapshot


def lock(session: Session, name: str, now: dt.datetime) -> PublicSnapshot:
    """The snapshot's row, locked for this transaction (created empty on first use)."""
    row = session.scalar(select(PublicSnapshot).where(PublicSnapshot.name == name).with_for_update())
    if row is None:
        row = PublicSnapshot(name=name, built_at=now, body={})
        session.add(row)
        session.flush()
    return row


def store(session: Session, name: str, body: dict[str, Any], now: dt.datetime) -> None:
    row = lock(session, name, now)
    row.body = body
    row.built_at = now


def load(session: Session, name: str) -> PublicSnapshot | None:
    return session.get(PublicSnapshot, name)
