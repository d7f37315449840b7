"""Rules of signing in and of the API's plumbing that need neither Flask nor a database."""

from __future__ import annotations

import datetime as dt

import pyotp
import pytest

from tacase.services.auth import _totp_step, secret_hash
from tacase.services.idempotency import key_problem, request_fingerprint
from tacase.web.errors import _flatten

SECRET = pyotp.random_base32()
NOW = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC)


def code_at(moment: dt.datetime) -> str:
    return pyotp.TOTP(SECRET).at(moment)


def test_a_current_code_gives_its_time_step():
    assert _totp_step(SECRET, code_at(NOW), NOW, None) == pyotp.TOTP(SECRET).timecode(NOW)


def test_one_step_of_clock_drift_is_allowed_two_are_not():
    assert _totp_step(SECRET, code_at(NOW - dt.timedelta(seconds=30)), NOW, None) is not None
    assert _totp_step(SECRET, code_at(NOW - dt.timedelta(seconds=90)), NOW, None) is None


def test_a_code_is_accepted_once():
    step = _totp_step(SECRET, code_at(NOW), NOW, None)
    assert _totp_step(SECRET, code_at(NOW), NOW, last_step=step) is None
    earlier = code_at(NOW - dt.timedelta(seconds=30))
    assert _totp_step(SECRET, earlier, NOW, last_step=step) is None


@pytest.mark.parametrize("code", ["", "12345", "1234567", "abcdef", None, 123456])
def test_malformed_codes_are_refused(code):
    assert _totp_step(SECRET, code, NOW, None) is None


def test_secrets_are_stored_as_sha256():
    assert secret_hash("tac_x") == secret_hash("tac_x")
    assert len(secret_hash("tac_x")) == 64 and secret_hash("tac_x") != secret_hash("tac_y")


def test_idempotency_fingerprint_ignores_key_order_and_spacing():
    assert request_fingerprint("e", {"a": 1, "b": [1, 2]}) == request_fingerprint("e", {"b": [1, 2], "a": 1})
    assert request_fingerprint("e", {"a": 1}) != request_fingerprint("e", {"a": 2})
    assert request_fingerprint("e", {"a": 1}) != request_fingerprint("f", {"a": 1})


@pytest.mark.parametrize("key,ok", [("k", True), ("x" * 255, True), ("", False), ("x" * 256, False),
                                    ("tab\there", False)])
def test_idempotency_key_shape(key, ok):
    assert (key_problem(key) is None) is ok


def test_validation_messages_are_flattened_to_field_names():
    nested = {"data": {"rating": ["Not a valid choice."]}, "trigger": ["Missing data."]}
    assert _flatten(nested) == {"data.rating": ["Not a valid choice."], "trigger": ["Missing data."]}
    assert _flatten(["Invalid input type."]) == {"_schema": ["Invalid input type."]}
