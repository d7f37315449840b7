"""Password rules (OWASP ASVS 5.0 level 2) and Argon2id hashing."""

from __future__ import annotations

import functools
from importlib import resources

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 12
MAX_LENGTH = 128

_hasher = PasswordHasher()


@functools.cache
def _common() -> frozenset[str]:
    text = resources.files("tacase.data").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(
        line.strip().lower() for line in text.splitlines() if line.strip() and not line.startswith("#")
    )


def password_problems(password: str, *, email: str | None = None) -> list[str]:
    if not isinstance(password, str):
        return ["must be text"]
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append(f"must be at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        problems.append(f"must be at most {MAX_LENGTH} characters")
    lowered = password.lower()
    if lowered in _common() or len(set(lowered)) <= 2:
        problems.append("is too common; choose a longer phrase of unrelated words")
    if email and len(email.split("@")[0]) >= 4 and email.split("@")[0].lower() in lowered:
        problems.append("must not contain your e-mail name")
    return problems


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash or not isinstance(password, str):
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's; rehash at the next login."""
    try:
        return _hasher.check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return False
