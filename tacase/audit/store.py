"""Appending to and reading the audit log in the database, inside the caller's transaction.

Services record events as they change things; the events are chained when the transaction commits
(listeners on every Session), so the chain's lock is held for the inserts alone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session, SessionTransaction

from tacase.audit.canonical import canonical_bytes, format_instant, jsonable
from tacase.audit.chain import GENESIS, START, Checkpoint, Verification, link_hash, verify_rows
from tacase.db.models import AuditEvent, AuditVerification

# Any constant will do; it names the one lock every audit append takes on PostgreSQL.
_APPEND_LOCK_KEY = 0x7461636173650001
_PENDING = "tacase.audit.pending"


def _lock_chain(session: Session) -> None:
    """Serialise appends so no two events share a parent (SQLite: BEGIN IMMEDIATE did it)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _APPEND_LOCK_KEY})


@dataclass
class PendingEvent:
    """An event recorded in a transaction and sealed into the chain when that transaction commits.
    `seq` and `hash` are known once sealed (`seal`, or the commit)."""

    at: dt.datetime
    actor: dict[str, Any]
    action: str
    case: dict[str, Any] | None
    data: Any  # already JSON values: what was true when it was recorded
    transaction: SessionTransaction | None = field(repr=False, default=None)
    seq: int | None = None
    hash: str | None = None


def append(
    session: Session,
    *,
    at: dt.datetime,
    actor: dict[str, Any],
    action: str,
    case: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> PendingEvent:
    """Record one event; it is chained when the transaction commits, or not at all.

    The chain has one head, so appends are serialised by a lock that lasts until the commit. Taking
    it at the commit, for all of a transaction's events at once, keeps every other writer waiting
    for the time of a few inserts rather than for the whole of a request or a job.
    """
    format_instant(at)  # refuse a naive instant now, where the caller can see it
    if session.get_transaction() is None:
        session.begin()  # the event belongs to a transaction, whose rollback must take it away
    recorded = PendingEvent(at=at, actor=jsonable(actor), action=action, case=jsonable(case),
                            data=jsonable(data or {}),
                            transaction=session.get_nested_transaction() or session.get_transaction())
    session.info.setdefault(_PENDING, []).append(recorded)
    return recorded


def seal(session: Session) -> list[PendingEvent]:
    """Chain the events this session recorded, in the order recorded (the commit calls this)."""
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return []
    session.flush()  # the transaction's other writes first, before the lock is taken
    _lock_chain(session)
    head = session.execute(
        select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).first()
    seq, prev = (head.seq, head.hash) if head else (0, GENESIS)
    rows = []
    for item in pending:
        seq += 1
        body = canonical_bytes({
            "seq": seq, "at": format_instant(item.at), "actor": item.actor, "action": item.action,
            "case": item.case, "data": item.data,
        })
        item.seq, item.hash = seq, link_hash(prev, body)
        rows.append({"seq": seq, "at": item.at, "actor_id": item.actor.get("id"), "action": item.action,
                     "case_id": item.case.get("id") if item.case else None, "prev_hash": prev,
                     "hash": item.hash, "body": body})
        prev = item.hash
    # Plain rows, not objects for the unit of work: the lock is held for the inserts alone.
    session.execute(insert(AuditEvent.__table__), rows)
    return pending


def _within(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's commit is not the transaction's
        seal(session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """What a rolled-back transaction or savepoint recorded never happened."""
    pending = session.info.get(_PENDING)
    if pending:
        session.info[_PENDING] = [e for e in pending if not _within(e.transaction, previous)]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_the_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit: nothing it recorded happened
        session.info.pop(_PENDING, None)


def latest_checkpoint(session: Session) -> Checkpoint:
    """The furthest point a verification found the chain whole (the start, before any)."""
    found = session.execute(
        select(AuditVerification.events, AuditVerification.head).where(AuditVerification.ok.is_(True))
        .order_by(AuditVerification.events.desc()).limit(1)).first()
    return Checkpoint(found.events, found.head) if found else START


def last_full_verification(session: Session) -> AuditVerification | None:
    return session.scalar(select(AuditVerification).where(AuditVerification.full.is_(True))
                          .order_by(AuditVerification.id.desc()).limit(1))


def verify_chain(session: Session, start: Checkpoint = START) -> Verification:
    """Verify from the event after `start` (from the first, by default). A start past the first
    event must still be where it was: its event's hash is checked first."""
    if start.seq:
        hash_there = session.scalar(select(AuditEvent.hash).where(AuditEvent.seq == start.seq))
        if hash_there != start.head:
            return Verification(False, start.seq - 1, "", start.seq,
                                "has changed or gone since it was last verified")
    return verify_rows(_iter_rows(session, start.seq), start)


def record_verification(session: Session, verification: Verification, at: dt.datetime, *,
                        full: bool) -> AuditVerification:
    """Keep a run's result; a whole chain is where the next runs start."""
    row = AuditVerification(verified_at=at, full=full, ok=verification.ok, events=verification.events,
                            head=verification.head, first_bad_seq=verification.first_bad_seq,
                            reason=(verification.reason or "")[:200] or None)
    session.add(row)
    session.flush()
    return row


_ROWS = ("SELECT seq, prev_hash, hash, body, actor_id, action, case_id FROM audit_events "
         "WHERE seq > {after} ORDER BY seq LIMIT {batch}")


def _iter_rows(session: Session, after: int, batch: int = 10000) -> Iterator[tuple]:
    """The events after `after`, in order, in batches read by key, as the driver's own tuples: no
    objects and no type processing between the database and the hash."""
    connection = session.connection()
    style = {"qmark": ("?", "?"), "named": (":after", ":batch")}.get(
        connection.dialect.paramstyle, ("%(after)s", "%(batch)s"))
    sql = _ROWS.format(after=style[0], batch=style[1])
    cursor = connection.connection.driver_connection.cursor()
    try:
        while True:
            params = (after, batch) if style[0] == "?" else {"after": after, "batch": batch}
            cursor.execute(sql, params)
            rows = cursor.fetchall()
            if not rows:
                return
            yield from rows
            after = rows[-1][0]
    finally:
        cursor.close()
