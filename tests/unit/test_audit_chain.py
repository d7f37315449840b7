"""The hash chain and canonical bytes, without a database."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace
from decimal import Decimal

from tacase.audit.canonical import canonical_bytes
from tacase.audit.chain import GENESIS, link_hash, verify


@dataclass(frozen=True)
class Row:
    seq: int
    prev_hash: str
    hash: str
    body: bytes
    actor_id: int | None
    action: str
    case_id: int | None


def build(n: int) -> list[Row]:
    rows, prev = [], GENESIS
    for seq in range(1, n + 1):
        body = canonical_bytes({"seq": seq, "action": "case.updated", "actor": {"id": 7},
                                "case": {"id": seq % 3}, "data": {"n": seq}})
        row = Row(seq, prev, link_hash(prev, body), body, 7, "case.updated", seq % 3)
        rows.append(row)
        prev = row.hash
    return rows


def test_canonical_bytes_follow_rfc8785():
    body = canonical_bytes({"b": 1, "a": {"z": [3, "é"], "y": None}, "n": 1.5,
                            "at": dt.datetime(2026, 1, 2, 3, 4, 5, tzinfo=dt.UTC),
                            "amount": Decimal("10.50"), "day": dt.date(2026, 1, 2)})
    assert body == ('{"a":{"y":null,"z":[3,"é"]},"amount":"10.50","at":"2026-01-02T03:04:05.000000Z",'
                    '"b":1,"day":"2026-01-02","n":1.5}').encode()


def test_hash_is_sha256_of_prev_and_body():
    import hashlib

    assert link_hash(GENESIS, b"{}") == hashlib.sha256(bytes(32) + b"{}").hexdigest()


def test_intact_chain_verifies():
    rows = build(20)
    result = verify(rows)
    assert result.ok and result.events == 20 and result.head == rows[-1].hash
    assert verify([]).ok and verify([]).head == GENESIS


def test_changed_byte():
    rows = build(10)
    rows[6] = replace(rows[6], body=rows[6].body.replace(b'"n":7', b'"n":8'))
    result = verify(rows)
    assert (result.ok, result.first_bad_seq) == (False, 7)


def test_deletion():
    rows = build(10)
    del rows[3]
    result = verify(rows)
    assert (result.ok, result.first_bad_seq) == (False, 4)


def test_deletion_with_renumbering():
    rows = build(10)
    del rows[3]
    rows = [replace(r, seq=i) for i, r in enumerate(rows, start=1)]
    assert verify(rows).first_bad_seq == 4


def test_insertion():
    rows = build(10)
    forged_body = canonical_bytes({"seq": 5, "action": "x", "actor": {}, "case": None, "data": {}})
    forged = Row(5, rows[3].hash, link_hash(rows[3].hash, forged_body), forged_body, None, "x", None)
    rows = rows[:4] + [forged] + [replace(r, seq=r.seq + 1) for r in rows[4:]]
    assert verify(rows).first_bad_seq == 6


def test_reordering():
    rows = build(10)
    rows[2], rows[3] = replace(rows[3], seq=3), replace(rows[2], seq=4)
    assert verify(rows).first_bad_seq == 3


def test_columns_must_match_body():
    rows = build(5)
    rows[1] = replace(rows[1], actor_id=99)
    assert verify(rows).first_bad_seq == 2
    assert json.loads(rows[1].body)["actor"]["id"] == 7
