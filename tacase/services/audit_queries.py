"""Reading the audit log: for the Board of Trustees and administrators only."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.audit import checkpoints
from tacase.audit.chain import START, Verification
from tacase.audit.signing import SignedCheckpoint
from tacase.audit.store import last_full_verification, latest_checkpoint, verify_chain
from tacase.db.models import AuditEvent, AuditVerification, Case, User, UserRole
from tacase.engine.roles import ADMIN, BOARD
from tacase.services import audit_log
from tacase.services.accounts import normalise_email
from tacase.services.actors import Actor
from tacase.services.errors import Forbidden

MAX_LIMIT = 500


def require_auditor(actor: Actor) -> None:
    if not actor.roles & {BOARD, ADMIN}:
        raise Forbidden("only the Board of Trustees and administrators may read the audit log")


@dataclass(frozen=True)
class AuditFilter:
    case: str | None = None  # a case reference
    actor_id: int | None = None
    action: str | None = None  # exact, or a prefix ending in "." such as "auth."
    at_from: dt.datetime | None = None
    at_to: dt.datetime | None = None


def list_events(session: Session, actor: Actor, flt: AuditFilter, *, after: int = 0,
                limit: int = 100) -> tuple[list[dict[str, Any]], int | None]:
    """Events in sequence order after `after`; returns them and the cursor of the next page."""
    require_auditor(actor)
    limit = max(1, min(limit, MAX_LIMIT))
    query = select(AuditEvent).where(AuditEvent.seq > after).order_by(AuditEvent.seq).limit(limit + 1)
    if flt.case is not None:
        case_id = session.scalar(select(Case.id).where(Case.reference == flt.case))
        if case_id is None:  # an unknown reference matches nothing (== None would match case-less events)
            return [], None
        query = query.where(AuditEvent.case_id == case_id)
    if flt.actor_id is not None:
        query = query.where(AuditEvent.actor_id == flt.actor_id)
    if flt.action:
        if flt.action.endswith("."):
            query = query.where(AuditEvent.action.startswith(flt.action, autoescape=True))
        else:
            query = query.where(AuditEvent.action == flt.action)
    if flt.at_from is not None:
        query = query.where(AuditEvent.at >= flt.at_from)
    if flt.at_to is not None:
        query = query.where(AuditEvent.at < flt.at_to)
    rows = session.scalars(query).all()
    more = len(rows) > limit
    rows = rows[:limit]
    events = []
    for row in rows:
        body = json.loads(row.body)
        events.append({
            "seq": row.seq, "at": row.at, "action": row.action, "actor": body["actor"],
            "case": body["case"], "data": body["data"], "prev_hash": row.prev_hash, "hash": row.hash,
        })
    return events, (rows[-1].seq if more and rows else None)


@dataclass(frozen=True)
class EventContext:
    """What a page needs to tell a page of events in sentences: each case's State and request type,
    each acting or named account's name and roles."""

    cases: dict[int, tuple[str, str]]  # case id -> (State code, request type)
    people: dict[int, tuple[str, frozenset[str]]]  # user id -> (display name, roles)


def event_context(session: Session, actor: Actor, events: list[dict[str, Any]]) -> EventContext:
    """Two queries for a whole page of events, never one per row."""
    require_auditor(actor)
    case_ids = {e["case"]["id"] for e in events if isinstance(e.get("case"), dict) and e["case"].get("id")}
    user_ids: set[int] = set()
    for e in events:
        who, data = e.get("actor") or {}, e.get("data") or {}
        for value in (who.get("id"), data.get("user_id"), data.get("to"), data.get("from"),
                      data.get("owner_id")):
            if isinstance(value, int) and not isinstance(value, bool):
                user_ids.add(value)
    cases = {row.id: (row.state_code, row.type) for row in session.execute(
        select(Case.id, Case.state_code, Case.type).where(Case.id.in_(case_ids)))} if case_ids else {}
    people: dict[int, tuple[str, frozenset[str]]] = {}
    if user_ids:
        roles: dict[int, set[str]] = {}
        for user_id, role in session.execute(select(UserRole.user_id, UserRole.role)
                                             .where(UserRole.user_id.in_(user_ids))):
            roles.setdefault(user_id, set()).add(role)
        for user_id, name in session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))):
            people[user_id] = (name, frozenset(roles.get(user_id, ())))
    return EventContext(cases, people)


@dataclass(frozen=True)
class ChainStatus:
    """A verification, the checkpoint it started after (0: the first event), and the last full one
    (the nightly run, or one asked for): an edit of events verified before shows there."""

    verification: Verification
    verified_from: int
    last_full: AuditVerification | None

    @property
    def ok(self) -> bool:
        return self.verification.ok and (self.last_full is None or self.last_full.ok)

    def as_dict(self) -> dict[str, Any]:
        full = self.last_full
        return {**self.verification.as_dict(), "ok": self.ok, "verified_from": self.verified_from,
                "last_full_verification": None if full is None else {
                    "at": full.verified_at, "ok": full.ok, "events": full.events,
                    "first_bad_seq": full.first_bad_seq, "reason": full.reason}}


def verify(session: Session, actor: Actor, *, full: bool = False) -> ChainStatus:
    """The chain from the last checkpoint on (a few minutes of events at most, as the scheduler keeps
    checkpoints), or from the first event when `full`."""
    require_auditor(actor)
    start = START if full else latest_checkpoint(session)
    return ChainStatus(verify_chain(session, start), start.seq, last_full_verification(session))


@dataclass(frozen=True)
class SignedStatus:
    """The latest signed checkpoint (None before the first), why it does not hold (None: it does), and
    where the chain ends now."""

    checkpoint: SignedCheckpoint | None
    problem: str | None
    chain_end: int


def signed_checkpoint(session: Session, actor: Actor) -> SignedStatus:
    """The latest signed checkpoint, checked now: its signature, and the chain's event at its number."""
    require_auditor(actor)
    latest = checkpoints.latest(session)
    return SignedStatus(latest, checkpoints.problem_of(session, latest) if latest else None,
                        checkpoints.chain_end(session)[0])


def actor_id_for(session: Session, named: str) -> int | None:
    """The account an auditor names by e-mail address or by number; None when no account is so named.

    Events keep the actor's id, so a filter by e-mail goes through the account it belongs to."""
    named = named.strip()
    if named.isascii() and named.isdigit():
        number = int(named)
        if not 1 <= number <= 2**31 - 1:
            return None
        return session.scalar(select(User.id).where(User.id == number))
    return session.scalar(select(User.id).where(User.email == normalise_email(named)))


def export_events(session: Session, actor: Actor, flt: AuditFilter, *, before: int,
                  batch: int = MAX_LIMIT) -> Iterator[dict[str, Any]]:
    """The filtered events with a sequence number below `before`, read a batch at a time so that a
    long log is never held in memory whole."""
    require_auditor(actor)
    after = 0
    while True:
        items, cursor = list_events(session, actor, flt, after=after, limit=batch)
        for item in items:
            if item["seq"] >= before:
                return
            yield item
        if cursor is None:
            return
        after = cursor


def record_export(session: Session, actor: Actor, at: dt.datetime, flt: AuditFilter) -> int:
    """Record that the log was exported, with its filters; returns the event's sequence number, which
    bounds the export to the log as it was when asked for."""
    require_auditor(actor)
    filters = {name: value for name, value in asdict(flt).items() if value is not None}
    recorded = audit_log.record(session, actor, at, "audit.exported", data={"filters": filters})
    audit_log.seal(session)  # its place in the chain bounds the export
    assert recorded.seq is not None
    return recorded.seq
