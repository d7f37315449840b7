"""Signed checkpoints in the database: signing the chain's head, reading them back, and checking
every one (or copies kept elsewhere) against the chain. Inside the caller's transaction; no Flask.

Not the verification checkpoints of store.py (where an incremental verification starts): those say
"verified up to here" and live in the database alone; these are signed with a key the database
never holds, so a copy kept elsewhere shows the chain cut short even by someone who can write to it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.audit import signing
from tacase.audit.canonical import format_instant
from tacase.audit.signing import SignedCheckpoint
from tacase.db.models import AuditCheckpoint, AuditEvent

# How many the public route serves, newest first: a month of daily ones, enough for a reader who
# copies them now and then.
PUBLISHED = 31
# Checkpoints compared with the chain per query.
BATCH = 500
# Problems a check keeps: the first few say what happened; thousands would say nothing more.
MAX_PROBLEMS = 20


def _signed(row: AuditCheckpoint) -> SignedCheckpoint:
    return SignedCheckpoint(row.sequence, row.head, row.signed_at, row.key_id, row.public_key, row.signature)


def chain_end(session: Session) -> tuple[int, str | None]:
    """The last event's sequence number and hash (0 and None while the log is empty)."""
    head = session.execute(select(AuditEvent.seq, AuditEvent.hash).order_by(AuditEvent.seq.desc())
                           .limit(1)).first()
    return (head.seq, head.hash) if head else (0, None)


def sign_head(session: Session, key: Ed25519PrivateKey,
              at: dt.datetime) -> tuple[SignedCheckpoint, bool] | None:
    """Sign the chain's head as of now; the checkpoint and whether it is new (a head this key signed
    already is not signed twice). None while the log is empty: there is nothing to sign."""
    sequence, head = chain_end(session)
    if head is None:
        return None
    key_id = signing.key_id_of(signing.raw_public_key(key))
    kept = session.scalar(select(AuditCheckpoint).where(AuditCheckpoint.sequence == sequence,
                                                       AuditCheckpoint.key_id == key_id))
    if kept is not None:
        return _signed(kept), False
    checkpoint = signing.sign(key, sequence, head, at)
    session.add(AuditCheckpoint(sequence=checkpoint.sequence, head=checkpoint.hash,
                                signed_at=checkpoint.signed_at, key_id=checkpoint.key_id,
                                public_key=checkpoint.public_key, signature=checkpoint.signature))
    session.flush()
    return checkpoint, True


def latest(session: Session) -> SignedCheckpoint | None:
    row = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(1))
    return _signed(row) if row else None


def published(session: Session, limit: int = PUBLISHED) -> list[SignedCheckpoint]:
    """The latest checkpoints, newest first, as anyone may copy them."""
    rows = session.scalars(select(AuditCheckpoint).order_by(AuditCheckpoint.id.desc()).limit(limit))
    return [_signed(row) for row in rows]


def last_checkpoint_of_year(session: Session, year: int, tz: dt.tzinfo = dt.UTC) -> SignedCheckpoint | None:
    """The last checkpoint signed in the calendar year (on the clock of `tz`), for the annual report;
    None when none was signed that year."""
    if not dt.MINYEAR < year < dt.MAXYEAR:
        return None
    start = dt.datetime(year, 1, 1, tzinfo=tz).astimezone(dt.UTC)
    end = dt.datetime(year + 1, 1, 1, tzinfo=tz).astimezone(dt.UTC)
    row = session.scalar(select(AuditCheckpoint)
                         .where(AuditCheckpoint.signed_at >= start, AuditCheckpoint.signed_at < end)
                         .order_by(AuditCheckpoint.signed_at.desc(), AuditCheckpoint.id.desc()).limit(1))
    return _signed(row) if row else None


@dataclass(frozen=True)
class Problem:
    checkpoint: SignedCheckpoint
    reason: str

    def sentence(self) -> str:
        c = self.checkpoint
        return f"{self.reason} (the checkpoint signed {format_instant(c.signed_at)} by key {c.key_id})"


@dataclass
class CheckpointReport:
    """What comparing signed checkpoints with the chain found."""

    checked: int = 0
    chain_end: int = 0
    furthest: int = 0  # the highest sequence number a checkpoint covers
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def problem_of(session: Session, checkpoint: SignedCheckpoint) -> str | None:
    """Why one checkpoint does not hold against the chain (or None): for a page that shows one."""
    report = check(session, stored=False, copies=[checkpoint])
    return report.problems[0].reason if report.problems else None


def _stored(session: Session) -> Iterator[list[SignedCheckpoint]]:
    after = 0
    while True:
        rows = list(session.scalars(select(AuditCheckpoint).where(AuditCheckpoint.id > after)
                                    .order_by(AuditCheckpoint.id).limit(BATCH)))
        if not rows:
            return
        yield [_signed(row) for row in rows]
        after = rows[-1].id


def _batches(items: Iterable[SignedCheckpoint]) -> Iterator[list[SignedCheckpoint]]:
    batch: list[SignedCheckpoint] = []
    for item in items:
        batch.append(item)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def check(session: Session, *, stored: bool = True,
          copies: Iterable[SignedCheckpoint] = ()) -> CheckpointReport:
    """Check the stored checkpoints (when `stored`) and `copies` (kept elsewhere): each signature
    must verify, the chain must reach each one's event and hold there the hash it signed. The chain
    itself is verified by store.verify_chain: an event that agrees with a checkpoint vouches for
    all those before it only when the links between them hold."""
    end, _ = chain_end(session)
    report = CheckpointReport(chain_end=end)
    sources = [_stored(session)] if stored else []
    sources.append(_batches(copies))
    for source in sources:
        for batch in source:
            wanted = {c.sequence for c in batch if c.sequence <= end}
            hashes = dict(session.execute(select(AuditEvent.seq, AuditEvent.hash)
                                          .where(AuditEvent.seq.in_(wanted))).all()) if wanted else {}
            for checkpoint in batch:
                report.checked += 1
                report.furthest = max(report.furthest, checkpoint.sequence)
                reason = (signing.signature_problem(checkpoint)
                          or signing.chain_problem(checkpoint, end, hashes.get(checkpoint.sequence)))
                if reason and len(report.problems) < MAX_PROBLEMS:
                    report.problems.append(Problem(checkpoint, reason))
    return report
