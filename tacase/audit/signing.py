"""Signed checkpoints: the chain's head (sequence, hash, time) signed with an Ed25519 key that the
database never holds, so that a copy kept elsewhere shows events cut from the chain's end.

Pure functions over keys and values: no database, no Flask. What is signed is the RFC 8785 JSON of
{sequence, hash, signed_at, key_id}; the public key travels with each checkpoint, and key_id (a
short hash of it) says which key signed.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from tacase.audit.canonical import canonical_bytes, format_instant

ALGORITHM = "Ed25519"
KEY_ID_LENGTH = 16  # hex digits of SHA-256 over the raw public key: enough to tell keys apart


class SigningKeyError(RuntimeError):
    """The signing key cannot be used; the message says why in a sentence."""


class NoSigningKey(SigningKeyError):
    """No key is configured at all."""


class CheckpointFormatError(ValueError):
    """A checkpoint given as JSON is not one; the message says what is wrong."""


def key_id_of(public_key: bytes) -> str:
    return hashlib.sha256(public_key).hexdigest()[:KEY_ID_LENGTH]


def raw_public_key(private_key: Ed25519PrivateKey) -> bytes:
    return private_key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: str, length: int, what: str) -> bytes:
    try:
        data = base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise CheckpointFormatError(f"{what} is not base64") from None
    if len(data) != length:
        raise CheckpointFormatError(f"{what} is not {length} bytes long")
    return data


# --- the key file ------------------------------------------------------------------------------------

def new_key_file(path: Path) -> Ed25519PrivateKey:
    """Make a key and write it as PEM (PKCS #8) readable by its owner alone; an existing file is
    never overwritten, since a lost key cannot be made again."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # Created with mode 0600 at once: no moment when another account could read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        raise SigningKeyError(f"{path} exists already: it is never overwritten") from None
    except OSError as exc:
        raise SigningKeyError(f"{path} cannot be written: {exc.strerror}") from None
    with os.fdopen(fd, "wb") as out:
        out.write(pem)
    return key


def load_key_file(path: Path) -> Ed25519PrivateKey:
    try:
        pem = path.read_bytes()
    except FileNotFoundError:
        raise SigningKeyError(f"the signing key file {path} does not exist "
                              "(`tacase audit keygen --out FILE` makes one)") from None
    except OSError as exc:
        raise SigningKeyError(f"the signing key file {path} cannot be read: {exc.strerror}") from None
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(f"{path} is not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError(f"{path} holds a key of another kind: an {ALGORITHM} key is needed")
    return key


def key_from_settings(path: str, *, create: bool = False) -> Ed25519PrivateKey:
    """The key the settings name (TACASE_AUDIT_SIGNING_KEY); made when missing if `create`
    (development). NoSigningKey when none is named, SigningKeyError when it cannot be used."""
    if not path.strip():
        raise NoSigningKey("no audit signing key is configured: set TACASE_AUDIT_SIGNING_KEY to the path "
                           "of a key file (`tacase audit keygen --out FILE` makes one)")
    where = Path(path).expanduser()
    if create and not where.exists():
        return new_key_file(where)
    return load_key_file(where)


def public_key_text(key: Ed25519PrivateKey) -> str:
    """The public key as published with each checkpoint (base64 of its 32 raw bytes)."""
    return b64(raw_public_key(key))


# --- checkpoints -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class SignedCheckpoint:
    """The chain was `hash` at event `sequence` when `key_id`'s key signed it at `signed_at`."""

    sequence: int
    hash: str
    signed_at: dt.datetime
    key_id: str
    public_key: str  # base64 of the 32 raw bytes
    signature: str  # base64 of the 64 raw bytes

    def message(self) -> bytes:
        return signed_message(self.sequence, self.hash, self.signed_at, self.key_id)

    def as_dict(self) -> dict[str, Any]:
        return {"sequence": self.sequence, "hash": self.hash, "signed_at": format_instant(self.signed_at),
                "key_id": self.key_id, "algorithm": ALGORITHM, "public_key": self.public_key,
                "signature": self.signature}


def signed_message(sequence: int, head: str, signed_at: dt.datetime, key_id: str) -> bytes:
    return canonical_bytes({"sequence": sequence, "hash": head, "signed_at": format_instant(signed_at),
                            "key_id": key_id})


def sign(key: Ed25519PrivateKey, sequence: int, head: str, signed_at: dt.datetime) -> SignedCheckpoint:
    public = raw_public_key(key)
    key_id = key_id_of(public)
    signature = key.sign(signed_message(sequence, head, signed_at, key_id))
    return SignedCheckpoint(sequence, head, signed_at, key_id, b64(public), b64(signature))


def signature_problem(checkpoint: SignedCheckpoint) -> str | None:
    """Why the checkpoint's signature does not hold (or None): its key must be the one its key_id
    names, and the signature that key's over the message."""
    try:
        public = _unb64(checkpoint.public_key, 32, "its public key")
        signature = _unb64(checkpoint.signature, 64, "its signature")
    except CheckpointFormatError as exc:
        return str(exc)
    if key_id_of(public) != checkpoint.key_id:
        return "its key id does not belong to its public key"
    try:
        Ed25519PublicKey.from_public_bytes(public).verify(signature, checkpoint.message())
    except InvalidSignature:
        return "its signature does not verify"
    return None


def chain_problem(checkpoint: SignedCheckpoint, chain_end: int, hash_there: str | None) -> str | None:
    """Why the chain disagrees with the checkpoint (or None), given the chain's last sequence number
    and the hash the chain holds at the checkpoint's sequence number."""
    if chain_end < checkpoint.sequence:
        return f"the chain ends at {chain_end} but a signed checkpoint covers {checkpoint.sequence}"
    if hash_there != checkpoint.hash:
        return (f"event {checkpoint.sequence} differs from the signed checkpoint: the chain has hash "
                f"{hash_there} there, the checkpoint signed {checkpoint.hash}")
    return None


_FIELDS = ("sequence", "hash", "signed_at", "key_id", "public_key", "signature")


def from_dict(item: Any) -> SignedCheckpoint:
    """A checkpoint as `as_dict` writes it (as the public route serves it); CheckpointFormatError
    naming what is wrong otherwise."""
    if not isinstance(item, dict):
        raise CheckpointFormatError("a checkpoint is a JSON object")
    missing = [name for name in _FIELDS if name not in item]
    if missing:
        raise CheckpointFormatError(f"a checkpoint lacks {', '.join(missing)}")
    if item.get("algorithm", ALGORITHM) != ALGORITHM:
        raise CheckpointFormatError(f"only {ALGORITHM} checkpoints are known")
    sequence = item["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or not 0 <= sequence < 2**63:
        raise CheckpointFormatError("a checkpoint's sequence is a whole number")
    texts = {name: item[name] for name in _FIELDS[1:]}
    if not all(isinstance(value, str) and len(value) <= 200 for value in texts.values()):
        raise CheckpointFormatError("a checkpoint's hash, signed_at, key_id, public_key and signature are "
                                    "short texts")
    try:
        signed_at = dt.datetime.strptime(texts["signed_at"], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    except ValueError:
        raise CheckpointFormatError("a checkpoint's signed_at is an instant such as "
                                    "2026-03-02T09:00:00.000000Z") from None
    return SignedCheckpoint(sequence, texts["hash"], signed_at, texts["key_id"], texts["public_key"],
                            texts["signature"])


def from_json(document: Any) -> list[SignedCheckpoint]:
    """The checkpoints of a saved copy: the public route's list, or one checkpoint alone."""
    items = document if isinstance(document, list) else [document]
    return [from_dict(item) for item in items]
