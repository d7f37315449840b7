"""The hash chain: hash = SHA-256(prev_hash || body), and its verification.

Pure functions over rows, so the rules are tested without a database and the verifier can read
any store that yields rows in sequence order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

GENESIS = "0" * 64


def link_hash(prev_hash: str, body: bytes) -> str:
    return hashlib.sha256(bytes.fromhex(prev_hash) + body).hexdigest()


class Link(Protocol):
    seq: int
    prev_hash: str
    hash: str
    body: bytes
    actor_id: int | None
    action: str
    case_id: int | None


@dataclass(frozen=True)
class Verification:
    ok: bool
    events: int
    head: str
    first_bad_seq: int | None = None
    reason: str | None = None

    def as_dict(self) -> dict[str, Any]:
        if self.ok:
            return {"ok": True, "events": self.events, "head": self.head}
        return {"ok": False, "events": self.events, "head": self.head,
                "first_bad_seq": self.first_bad_seq, "reason": self.reason}


@dataclass(frozen=True)
class Checkpoint:
    """A point verified before: the chain was whole up to event `seq`, whose hash is `head`."""

    seq: int
    head: str


START = Checkpoint(0, GENESIS)


_ACTOR_END = b'},"at":"'
_INSTANT = len("2026-01-01T00:00:00.000000Z")  # format_instant's, always
_HEADS: dict[str, bytes] = {}


def _head(action: str) -> bytes:
    found = _HEADS.get(action)
    if found is None:
        found = b'{"action":' + json.dumps(action, ensure_ascii=False).encode() + b',"actor":{'
        if len(_HEADS) < 1000:
            _HEADS[action] = found
    return found


def _agrees(body: bytes, seq: int, action: str, actor_id: int | None, case_id: int | None) -> bool:
    """Whether the filter columns say what the body says, read from its bytes as the store writes
    them (RFC 8785: keys sorted, no space): {"action":..,"actor":{..,"id":N,"type":"user"},
    "at":"<27 characters>","case":{"id":N,..}|null,"data":..,"seq":N}. No string in it holds an
    unescaped quote, so none of the pieces compared can stand inside one. Parsing the JSON would
    give the same answer at three times the cost; a body of another shape takes that slow path."""
    head = _head(action)
    if not body.startswith(head) or not body.endswith(b',"seq":%d}' % seq):
        return False
    actor_end = body.find(_ACTOR_END, len(head))
    if actor_end < 0:
        return False
    if actor_id is None:
        if body.find(b'"id":', len(head), actor_end) >= 0:
            return False
    else:
        tail = b',"id":%d,"type":"user"' % actor_id
        if body[actor_end - len(tail):actor_end] != tail:
            return False
    case_at = actor_end + len(_ACTOR_END) + _INSTANT + 2
    if case_id is None:
        return body.startswith(b'"case":null,', case_at)
    return body.startswith(b'"case":{"id":%d,' % case_id, case_at)


def _problem(link: Link, expected_seq: int, prev: str) -> tuple[int, str] | None:
    """Why this event breaks the chain (or None): the slow path, taken when the fast one stops."""
    if link.seq != expected_seq:
        if link.seq > expected_seq:
            return expected_seq, f"event {expected_seq} is missing (next is {link.seq})"
        return expected_seq, f"event {link.seq} is out of order"
    if link.prev_hash != prev:
        return link.seq, "does not point at the previous event"
    body = bytes(link.body)
    if link_hash(prev, body) != link.hash:
        return link.seq, "its hash does not match its content"
    if _agrees(body, link.seq, link.action, link.actor_id, link.case_id):
        return None
    reason = _disagreement(body, link)
    return (link.seq, reason) if reason else None


def _disagreement(body: bytes, link: Link) -> str | None:
    """The body parsed and compared with the columns."""
    try:
        parsed = json.loads(body)
    except ValueError:
        return "its body is not JSON"
    if not isinstance(parsed, dict) or parsed.get("seq") != link.seq:
        return "its body names another sequence number"
    case, actor = parsed.get("case") or {}, parsed.get("actor") or {}
    if (parsed.get("action"), case.get("id"), actor.get("id")) != (link.action, link.case_id, link.actor_id):
        return "its columns disagree with its body"
    return None


class _Row(NamedTuple):
    seq: int
    prev_hash: str
    hash: str
    body: bytes
    actor_id: int | None
    action: str
    case_id: int | None


def verify(links: Iterable[Link], start: Checkpoint = START) -> Verification:
    """Walk the chain from the event after `start` (the first, by default); name the first sequence
    number that breaks it. `events` counts from the chain's beginning."""
    return verify_rows(((link.seq, link.prev_hash, link.hash, link.body, link.actor_id, link.action,
                         link.case_id) for link in links), start)


def verify_rows(rows: Iterable[tuple[int, str, str, bytes, int | None, str, int | None]],
                start: Checkpoint = START) -> Verification:
    """`verify` over plain tuples (seq, prev_hash, hash, body, actor_id, action, case_id), as a
    database cursor gives them: a verification reads millions, so the usual case runs in line."""
    prev, count = start.head, start.seq
    sha256, fromhex = hashlib.sha256, bytes.fromhex
    for row in rows:
        seq, prev_hash, digest, body, actor_id, action, case_id = row
        if (seq == count + 1 and prev_hash == prev and sha256(fromhex(prev) + body).hexdigest() == digest
                and _agrees(body, seq, action, actor_id, case_id)):
            prev, count = digest, seq
            continue
        problem = _problem(_Row(*row), count + 1, prev)
        if problem:
            bad, reason = problem
            return Verification(False, count, prev, bad, reason)
        prev, count = digest, count + 1
    return Verification(True, count, prev)
