"""Argon2id as the service hashes passwords in production (tests run with a cheaper hasher)."""

from __future__ import annotations

from argon2 import Type

from tests.conftest import PRODUCTION_HASHER


def test_production_passwords_use_argon2id_at_owasp_strength():
    # OWASP Password Storage Cheat Sheet: Argon2id with at least 19 MiB of memory and 2 iterations.
    assert PRODUCTION_HASHER.type is Type.ID
    assert PRODUCTION_HASHER.memory_cost >= 19 * 1024
    assert PRODUCTION_HASHER.time_cost >= 2
    stored = PRODUCTION_HASHER.hash("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert PRODUCTION_HASHER.verify(stored, "correct horse battery staple")
