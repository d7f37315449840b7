"""Signed checkpoints without a database: signing, verifying, and what breaks a checkpoint."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import stat

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tacase.audit import signing
from tacase.audit.chain import GENESIS

AT = dt.datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=dt.UTC)
HEAD = "ab" * 32


@pytest.fixture
def key() -> Ed25519PrivateKey:
    return Ed25519PrivateKey.generate()


def test_a_signed_checkpoint_verifies_and_names_its_key(key):
    checkpoint = signing.sign(key, 42, HEAD, AT)
    assert signing.signature_problem(checkpoint) is None
    assert checkpoint.key_id == signing.key_id_of(signing.raw_public_key(key))
    assert len(checkpoint.key_id) == signing.KEY_ID_LENGTH
    assert checkpoint.public_key == signing.public_key_text(key)


def test_the_message_is_canonical_json_of_the_four_fields(key):
    checkpoint = signing.sign(key, 42, HEAD, AT)
    assert checkpoint.message() == (
        '{"hash":"' + HEAD + '","key_id":"' + checkpoint.key_id + '","sequence":42,'
        '"signed_at":"2026-03-02T09:00:00.123456Z"}').encode()


def test_a_tampered_signature_does_not_verify(key):
    checkpoint = signing.sign(key, 42, HEAD, AT)
    raw = bytearray(signing._unb64(checkpoint.signature, 64, "signature"))
    raw[0] ^= 1
    tampered = dataclasses.replace(checkpoint, signature=signing.b64(bytes(raw)))
    assert signing.signature_problem(tampered) == "its signature does not verify"


@pytest.mark.parametrize("change", [{"sequence": 41}, {"hash": "cd" * 32},
                                    {"signed_at": AT + dt.timedelta(seconds=1)}])
def test_another_head_does_not_verify(key, change):
    checkpoint = dataclasses.replace(signing.sign(key, 42, HEAD, AT), **change)
    assert signing.signature_problem(checkpoint) == "its signature does not verify"


def test_a_wrong_key_is_caught(key):
    checkpoint = signing.sign(key, 42, HEAD, AT)
    other = signing.public_key_text(Ed25519PrivateKey.generate())
    # Another public key under the same id, and another key whose id is claimed too.
    assert signing.signature_problem(dataclasses.replace(checkpoint, public_key=other)) == (
        "its key id does not belong to its public key")
    forged = dataclasses.replace(checkpoint, public_key=other,
                                 key_id=signing.key_id_of(signing._unb64(other, 32, "key")))
    assert signing.signature_problem(forged) == "its signature does not verify"


@pytest.mark.parametrize("field, value", [("signature", "not base64!"), ("signature", signing.b64(b"x" * 10)),
                                          ("public_key", "AAAA")])
def test_garbled_keys_and_signatures_are_problems_not_errors(key, field, value):
    checkpoint = dataclasses.replace(signing.sign(key, 42, HEAD, AT), **{field: value})
    assert "its" in signing.signature_problem(checkpoint)


def test_the_chain_against_a_checkpoint(key):
    checkpoint = signing.sign(key, 42, HEAD, AT)
    assert signing.chain_problem(checkpoint, 50, HEAD) is None
    assert signing.chain_problem(checkpoint, 40, None) == (
        "the chain ends at 40 but a signed checkpoint covers 42")
    assert signing.chain_problem(checkpoint, 42, GENESIS).startswith(
        "event 42 differs from the signed checkpoint")


def test_a_checkpoint_reads_back_from_its_json(key):
    checkpoint = signing.sign(key, 42, HEAD, AT)
    copy = json.loads(json.dumps([checkpoint.as_dict()]))
    assert signing.from_json(copy) == [checkpoint]
    assert signing.from_json(copy[0]) == [checkpoint]


@pytest.mark.parametrize("document", [
    [1], [{}],
    [{"sequence": "1", "hash": "", "signed_at": "", "key_id": "", "public_key": "", "signature": ""}],
    [{"sequence": 1, "hash": "", "signed_at": "yesterday", "key_id": "", "public_key": "", "signature": ""}],
    [{"sequence": True, "hash": "", "signed_at": "", "key_id": "", "public_key": "", "signature": ""}],
    [{"sequence": 1, "hash": 5, "signed_at": "", "key_id": "", "public_key": "", "signature": ""}],
])
def test_what_is_not_a_checkpoint_is_refused_with_a_reason(document):
    with pytest.raises(signing.CheckpointFormatError):
        signing.from_json(document)


def test_the_key_file_is_pem_for_its_owner_alone_and_never_overwritten(tmp_path):
    path = tmp_path / "keys" / "audit.pem"
    key = signing.new_key_file(path)
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert signing.public_key_text(signing.load_key_file(path)) == signing.public_key_text(key)
    with pytest.raises(signing.SigningKeyError, match="never overwritten"):
        signing.new_key_file(path)


def test_the_settings_say_what_to_set(tmp_path):
    with pytest.raises(signing.NoSigningKey, match="TACASE_AUDIT_SIGNING_KEY"):
        signing.key_from_settings("")
    with pytest.raises(signing.SigningKeyError, match="does not exist"):
        signing.key_from_settings(str(tmp_path / "missing.pem"))
    made = signing.key_from_settings(str(tmp_path / "made.pem"), create=True)
    assert signing.public_key_text(signing.key_from_settings(str(tmp_path / "made.pem"))) == (
        signing.public_key_text(made))
    (tmp_path / "junk.pem").write_text("junk")
    with pytest.raises(signing.SigningKeyError, match="not an unencrypted PEM"):
        signing.key_from_settings(str(tmp_path / "junk.pem"))
