"""The hash chain: hash = SHA-256(prev_hash || body), and its verification.

Pure functions over rows, so the rules are tested without a database and the verifier can read
any store that yields rows in sequence order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

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


def _problem(link: Link, expected_seq: int, prev: str) -> tuple[int, str] | None:
    if link.seq != expected_seq:
        if link.seq > expected_seq:
            return expected_seq, f"event {expected_seq} is missing (next is {link.seq})"
        return expected_seq, f"event {link.seq} is out of order"
    if link.prev_hash != prev:
        return link.seq, "does not point at the previous event"
    if link_hash(prev, bytes(link.body)) != link.hash:
        return link.seq, "its hash does not match its content"
    try:
        body = json.loads(bytes(link.body))
    except ValueError:
        return link.seq, "its body is not JSON"
    if not isinstance(body, dict) or body.get("seq") != link.seq:
        return link.seq, "its body names another sequence number"
    case = body.get("case") or {}
    actor = body.get("actor") or {}
    if (body.get("action"), case.get("id"), actor.get("id")) != (
        link.action, link.case_id, link.actor_id
    ):
        return link.seq, "its columns disagree with its body"
    return None


def verify(links: Iterable[Link]) -> Verification:
    """Walk the chain from the first event; name the first sequence number that breaks it."""
    prev, count = GENESIS, 0
    for link in links:
        problem = _problem(link, count + 1, prev)
        if problem:
            seq, reason = problem
            return Verification(False, count, prev, seq, reason)
        prev, count = link.hash, count + 1
    return Verification(True, count, prev)
