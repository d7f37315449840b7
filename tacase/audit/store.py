"""Appending to and reading the audit log in the database, inside the caller's transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from tacase.audit.canonical import canonical_bytes, format_instant
from tacase.audit.chain import GENESIS, Verification, link_hash, verify
from tacase.db.models import AuditEvent

# Any constant will do; it names the one lock every audit append takes on PostgreSQL.
_APPEND_LOCK_KEY = 0x7461636173650001


def _lock_chain(session: Session) -> None:
    """Serialise appends so no two events share a parent (SQLite: BEGIN IMMEDIATE did it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK_KEY})


def append(
    session: Session,
    *,
    at: dt.datetime,
    actor: dict[str, Any],
    action: str,
    case: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one event; it commits or rolls back with the change it records."""
    _lock_chain(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    body = canonical_bytes({
        "seq": seq, "at": format_instant(at), "actor": actor, "action": action,
        "case": case, "data": data or {},
    })
    event = AuditEvent(
        seq=seq, at=at, actor_id=actor.get("id"), action=action,
        case_id=case.get("id") if case else None, prev_hash=prev, hash=link_hash(prev, body),
        body=body,
    )
    session.add(event)
    session.flush()
    return event


def verify_chain(session: Session) -> Verification:
    return verify(_iter_rows(session))


def _iter_rows(session: Session, batch: int = 5000) -> Iterator[Any]:
    columns = (AuditEvent.seq, AuditEvent.prev_hash, AuditEvent.hash, AuditEvent.body,
               AuditEvent.actor_id, AuditEvent.action, AuditEvent.case_id)
    after = None
    while True:
        stmt = select(*columns).order_by(AuditEvent.seq).limit(batch)
        if after is not None:
            stmt = stmt.where(AuditEvent.seq > after)
        rows = session.execute(stmt).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].seq
