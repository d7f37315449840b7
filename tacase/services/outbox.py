"""Delivering the outbox: mails written in the transaction of a change, sent after it committed.

A pass claims a batch in a short transaction of its own (PostgreSQL: SELECT ... FOR UPDATE SKIP
LOCKED, so concurrent workers take disjoint batches; SQLite: BEGIN IMMEDIATE lets one writer claim
at a time), commits, sends without holding a transaction, and records each outcome as soon as it is
known. The claim's conditional UPDATE (status still "pending") and the outcome's (still claimed by
this worker) make a message go out at most once per claim, whoever else runs.

A claim is a lease: a worker that dies leaves its messages "sending" until `claimed_until` passes;
the next pass counts that as a failed attempt and sends them again (the stable Message-ID lets the
receiver drop the copy if the dead worker had got it out).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import escape
from sqlalchemy import case, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from tacase.db.models import OutboxMessage, User
from tacase.mail import OutgoingMail, Sender, describe_error
from tacase.services.clock import Clock
from tacase.services.messages import DigestItem, context_from, render_digest, render_mail

log = logging.getLogger(__name__)

DEFAULT_LEASE_SECONDS = 60.0
MAX_BACKOFF_SECONDS = 86400.0  # however many attempts are configured, retry at least daily
MAX_ERROR = 2000
_SENDING = "sending"


def backoff(attempts: int, backoff_seconds: float) -> dt.timedelta:
    """Wait after the n-th failed attempt: backoff, 2 x backoff, 4 x backoff, ... capped at a day."""
    exponent = min(max(attempts - 1, 0), 32)
    return dt.timedelta(seconds=min(backoff_seconds * 2 ** exponent, MAX_BACKOFF_SECONDS))


def _release_expired(session: Session, now: dt.datetime, max_attempts: int) -> int:
    """Claims whose worker died: a failed attempt each, back to pending (or parked)."""
    attempts = OutboxMessage.attempts + 1
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == _SENDING, OutboxMessage.claimed_until < now)
        .values(
            status=case((attempts >= max_attempts, "parked"), else_="pending"),
            attempts=attempts, next_attempt_at=now, claimed_by=None, claimed_until=None,
            last_error="claim by " + OutboxMessage.claimed_by
            + " expired before the outcome was recorded (the worker stopped?)",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@dataclass(frozen=True)
class _Claimed:
    outbox_id: int
    to_address: str
    subject: str
    facts: dict[str, Any] | None
    body_text: str | None
    body_html: str | None
    created_at: dt.datetime
    attempts: int


def _claim(session: Session, now: dt.datetime, worker: str, batch: int, until: dt.datetime) -> list[_Claimed]:
    due = session.scalars(
        select(OutboxMessage.id)
        # A message never tried is due at once, even when written at a replayed moment ahead of
        # the real clock (`tacase deadlines sweep --now ...`); only retries wait for their time.
        .where(OutboxMessage.status == "pending",
               or_(OutboxMessage.attempts == 0, OutboxMessage.next_attempt_at <= now))
        .order_by(OutboxMessage.id)
        .limit(batch)
        .with_for_update(skip_locked=True)  # rendered on PostgreSQL only; SQLite has one writer
    ).all()
    if not due:
        return []
    rows = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(due), OutboxMessage.status == "pending")
        .values(status=_SENDING, claimed_by=worker, claimed_until=until)
        .returning(OutboxMessage.id, OutboxMessage.to_address, OutboxMessage.subject, OutboxMessage.facts,
                   OutboxMessage.body_text, OutboxMessage.body_html, OutboxMessage.created_at,
                   OutboxMessage.attempts)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted((_Claimed(r.id, r.to_address, r.subject, r.facts, r.body_text, r.body_html, r.created_at,
                            r.attempts) for r in rows), key=lambda claimed: claimed.outbox_id)


def _words(facts: dict[str, Any] | None, body_text: str | None, body_html: str | None, subject: str,
           *, fragment: bool = False) -> tuple[str, str, str]:
    if facts is None:
        return subject, body_text or "", body_html or ""
    try:
        return render_mail(context_from(facts), fragment=fragment)
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise ValueError(f"the stored facts cannot be written out: {exc}") from exc


def written(message: OutboxMessage) -> OutgoingMail:
    """A stored message as it goes out (a daily summary's waiting part: as the summary quotes it)."""
    subject, text, html = _words(message.facts, message.body_text, message.body_html, message.subject,
                                 fragment=message.status in ("digest", "digested"))
    return OutgoingMail(outbox_id=message.id, to_address=message.to_address, subject=subject,
                        body_text=text, body_html=html, created_at=message.created_at)


def _outgoing(claimed: _Claimed) -> OutgoingMail:
    subject, text, html = _words(claimed.facts, claimed.body_text, claimed.body_html, claimed.subject)
    return OutgoingMail(outbox_id=claimed.outbox_id, to_address=claimed.to_address, subject=subject,
                        body_text=text, body_html=html, created_at=claimed.created_at)


def _mine(ids: Sequence[int], worker: str) -> Any:
    return (OutboxMessage.id.in_(ids), OutboxMessage.status == _SENDING, OutboxMessage.claimed_by == worker)


def _record(session: Session, outbox_id: int, attempts_before: int, worker: str, now: dt.datetime,
            error: str | None, max_attempts: int, backoff_seconds: float) -> str:
    attempts = attempts_before + 1
    if error is None:
        outcome = "sent"
        values: dict[str, Any] = {"status": "sent", "sent_at": now, "last_error": None}
    else:
        outcome = "parked" if attempts >= max_attempts else "failed"
        values = {"status": "parked" if outcome == "parked" else "pending", "last_error": error[:MAX_ERROR],
                  "next_attempt_at": now + backoff(attempts, backoff_seconds)}
    result = session.execute(
        update(OutboxMessage).where(*_mine([outbox_id], worker))
        .values(attempts=attempts, claimed_by=None, claimed_until=None, **values)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        # The lease ran out and another pass took the message back: its outcome is theirs now.
        log.warning("outbox %s: claim by %s lost before recording %s", outbox_id, worker, outcome)
        return "lost"
    return outcome


def deliver_due(
    sessions: sessionmaker[Session], clock: Clock, sender: Sender, *, worker: str, batch: int = 50,
    max_attempts: int = 8, backoff_seconds: float = 60, lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> dict[str, int]:
    """One pass: take back dead workers' claims, claim what is due, send it, record each outcome."""
    if batch < 1 or max_attempts < 1 or backoff_seconds < 0 or lease_seconds <= 0:
        raise ValueError("batch, max_attempts and lease_seconds must be positive; backoff_seconds >= 0")
    worker = worker[:64]
    lease = dt.timedelta(seconds=lease_seconds)
    # Renew while a send could still start and finish inside the lease.
    margin = dt.timedelta(seconds=min(float(getattr(sender, "timeout", 30)) + 5, lease_seconds / 2))
    counts = dict.fromkeys(("recovered", "claimed", "sent", "failed", "parked", "lost"), 0)
    now = clock()
    with sessions.begin() as session:
        counts["recovered"] = _release_expired(session, now, max_attempts)
        until = now + lease
        claimed = _claim(session, now, worker, batch, until)
    counts["claimed"] = len(claimed)
    try:
        for index, claim in enumerate(claimed):
            if clock() + margin >= until:
                rest = [c.outbox_id for c in claimed[index:]]
                until = clock() + lease
                with sessions.begin() as session:
                    session.execute(update(OutboxMessage).where(*_mine(rest, worker))
                                    .values(claimed_until=until).execution_options(synchronize_session=False))
            try:
                sender.send(_outgoing(claim))
                error = None
            except Exception as exc:
                error = describe_error(exc)
                log.warning("outbox %s to %s: attempt %s failed: %s", claim.outbox_id, claim.to_address,
                            claim.attempts + 1, error)
            # Recorded one by one, at once: a crash later in the batch must not send this one again.
            with sessions.begin() as session:
                outcome = _record(session, claim.outbox_id, claim.attempts, worker, clock(), error,
                                  max_attempts, backoff_seconds)
            counts[outcome] += 1
    finally:
        sender.close()  # the batch shared one connection
    return counts


# --- daily digests -------------------------------------------------------------------------------

def gather_digests(session: Session, now: dt.datetime, *, recipient_id: int | None = None) -> dict[str, int]:
    """Turn each user's waiting "digest" mails into one pending mail; the gathered become "digested"."""
    query = (select(OutboxMessage)
             .where(OutboxMessage.status == "digest", OutboxMessage.created_at <= now)
             .order_by(OutboxMessage.recipient_id, OutboxMessage.to_address, OutboxMessage.id)
             .with_for_update(skip_locked=True))  # a second digest run skips what the first holds
    if recipient_id is not None:
        query = query.where(OutboxMessage.recipient_id == recipient_id)
    waiting = list(session.scalars(query))
    if not waiting:
        return {"digests": 0, "messages": 0}
    groups: dict[tuple[int | None, str], list[OutboxMessage]] = {}
    for message in waiting:
        groups.setdefault((message.recipient_id, message.to_address), []).append(message)
    user_ids = {uid for uid, _ in groups if uid is not None}
    people = {row.id: row for row in session.execute(
        select(User.id, User.display_name, User.locale).where(User.id.in_(user_ids)))}
    for (user_id, address), messages in groups.items():
        person = people.get(user_id)
        items = []
        for m in messages:
            try:
                subject, text, html = _words(m.facts, m.body_text, m.body_html, m.subject, fragment=True)
            except ValueError as exc:  # one bad message must not hold back everyone's summary
                log.warning("outbox %s: gathered by its subject alone: %s", m.id, exc)
                subject, text, html = m.subject, m.subject, str(escape(m.subject))
            items.append(DigestItem(subject=subject, text=text, html=html))
        rendered = render_digest((person.display_name if person else None) or address, items,
                                 locale=person.locale if person else "en")
        session.add(OutboxMessage(
            created_at=now, recipient_id=user_id, to_address=address, subject=rendered.subject,
            body_text=rendered.text, body_html=rendered.html, kind="digest", case_id=None,
            status="pending", attempts=0, next_attempt_at=now,
        ))
        for m in messages:
            m.status = "digested"
    session.flush()
    return {"digests": len(groups), "messages": len(waiting)}


def send_digests(session: Session, clock: Clock, *, now: dt.datetime | None = None) -> dict[str, int]:
    """The daily job: every digest user's waiting mails as one; the outbox job sends it."""
    return gather_digests(session, now if now is not None else clock())


# --- looking ---------------------------------------------------------------------------------------

def list_messages(session: Session, *, status: str | None = None, limit: int = 50) -> list[OutboxMessage]:
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    return list(session.scalars(query))
