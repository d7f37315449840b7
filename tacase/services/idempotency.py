"""Idempotency keys (IETF httpapi Idempotency-Key draft): a retried request gets the first answer.

A key is claimed in its own short transaction so that a concurrent retry sees it in flight; the
answer is stored in the transaction of the change itself, so either both exist or neither does.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from rfc8785 import CanonicalizationError
from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tacase.audit.canonical import canonical_bytes
from tacase.db.models import IdempotencyKey

MAX_KEY_LENGTH = 255
# How long a request may hold its key before a retry may assume it died: the request timeout after
# which the server stops a worker, and a margin for the clocks of two machines.
LEASE_MARGIN = dt.timedelta(seconds=5)
LEASE = dt.timedelta(seconds=30) + LEASE_MARGIN


def lease_for(request_timeout_seconds: float) -> dt.timedelta:
    return dt.timedelta(seconds=request_timeout_seconds) + LEASE_MARGIN
# After this a key may be used again for something else.
RETENTION = dt.timedelta(hours=24)

NEW, REPLAY, MISMATCH, IN_FLIGHT = "new", "replay", "mismatch", "in_flight"


def request_fingerprint(endpoint: str, body: Any) -> str:
    try:
        text = canonical_bytes(body)
    except CanonicalizationError:
        # Numbers beyond I-JSON's range (or NaN) have no RFC 8785 form; sorted JSON is stable too.
        text = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
    return hashlib.sha256(endpoint.encode() + b"\n" + text).hexdigest()


def key_problem(key: str) -> str | None:
    # Visible ASCII: a key must reach the server as the client wrote it, through any proxy.
    if not key or len(key) > MAX_KEY_LENGTH or not all("!" <= ch <= "~" for ch in key):
        return (f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters "
                "(letters, digits and punctuation; a UUID is a good key)")
    return None


@dataclass(frozen=True)
class Claim:
    outcome: str
    record_id: int | None = None
    status: int | None = None
    body: Any = None
    location: str | None = None


def claim(session: Session, user_id: int, key: str, endpoint: str, fingerprint: str,
          now: dt.datetime, lease: dt.timedelta = LEASE) -> Claim:
    """Take the key for this request, or say why not. The caller commits right after."""
    # Locked, so that retries racing to take over an expired lease see each other's claim.
    row = session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key).with_for_update())
    if row is not None and row.created_at + RETENTION <= now:
        session.delete(row)
        session.flush()
        row = None
    if row is None:
        row = IdempotencyKey(user_id=user_id, key=key, endpoint=endpoint, request_hash=fingerprint,
                             created_at=now, locked_until=now + lease)
        try:
            with session.begin_nested():
                session.add(row)
        except IntegrityError:  # another request took it between our read and write
            return Claim(IN_FLIGHT)
        return Claim(NEW, row.id)
    if row.request_hash != fingerprint or row.endpoint != endpoint:
        return Claim(MISMATCH, row.id)
    if row.response_status is not None:
        return Claim(REPLAY, row.id, row.response_status, row.response_body, row.response_location)
    if row.locked_until > now:
        return Claim(IN_FLIGHT, row.id)
    row.locked_until = now + lease
    return Claim(NEW, row.id)


def completed_location(session: Session, user_id: int, key: str, now: dt.datetime) -> str | None:
    """Where a request that used this key (and finished) went; None when it is unused or expired."""
    row = session.scalar(select(IdempotencyKey).where(
        IdempotencyKey.user_id == user_id, IdempotencyKey.key == key,
        IdempotencyKey.response_status.is_not(None), IdempotencyKey.created_at > now - RETENTION))
    return (row.response_location or "/") if row is not None else None


def complete(session: Session, record_id: int, status: int, body: Any, location: str | None) -> None:
    row = session.get(IdempotencyKey, record_id)
    if row is not None:
        row.response_status, row.response_body, row.response_location = status, body, location


def release(session: Session, record_id: int) -> None:
    """The request failed before it changed anything: a retry may try again."""
    session.execute(delete(IdempotencyKey).where(
        IdempotencyKey.id == record_id, IdempotencyKey.response_status.is_(None)))


def purge_expired(session: Session, now: dt.datetime) -> int:
    """Forget keys past their retention; returns how many."""
    expired = delete(IdempotencyKey).where(IdempotencyKey.created_at <= now - RETENTION)
    return session.execute(expired).rowcount
