"""JSON bodies that would break the parser (nesting, huge numbers, NaN) get a 400 or a 422 naming the
field, in the one error shape, on every JSON route."""

from __future__ import annotations

import pytest

from tacase.web.errors import ApiError
from tacase.web.json_body import MAX_DEPTH, OversizedNumber, loads, too_deep

NESTED = '{"email":' * 2000 + '"x"' + "}" * 2000
DIGITS = "9" * 5000


def post(client, path, text, **headers):
    return client.post(path, data=text, headers={"Content-Type": "application/json", **headers})


def test_deep_nesting_at_login_is_a_400_at_once(client):
    response = post(client, "/api/v1/auth/login", NESTED)
    assert response.status_code == 400
    body = response.get_json()
    assert body["code"] == "malformed_json" and "nests too deeply" in body["message"]


def test_deep_nesting_with_a_token_is_a_400(client, world):
    focal = world.account("state_focal_point", state="FJI")
    for text in (NESTED, "[" * 100 + "]" * 100, '{"type": "upr_fund", "fields": ' + '{"a":' * 40 + "1"
                 + "}" * 40 + "}"):
        response = post(client, "/api/v1/cases", text, **focal.auth)
        assert response.status_code == 400, text[:50]
        assert response.get_json()["code"] == "malformed_json"


def test_a_huge_integer_is_refused_naming_its_field(client, world):
    response = post(client, "/api/v1/auth/login",
                    f'{{"email": "a@example.org", "password": "x", "totp": {DIGITS}}}')
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["totp"]
    focal = world.account("state_focal_point", state="FJI")
    response = post(client, "/api/v1/cases", f'{{"type": "upr_fund", "fields": {{"upr_cycle": {DIGITS}}}}}',
                    **focal.auth)
    assert response.status_code == 422
    assert list(response.get_json()["errors"]) == ["fields.upr_cycle"]
    assert post(client, "/api/v1/cases", DIGITS, **focal.auth).status_code == 422


@pytest.mark.parametrize("constant", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity_are_not_numbers(client, constant):
    response = post(client, "/api/v1/auth/login", f'{{"email": "a@example.org", "password": {constant}}}')
    assert response.status_code == 400 and response.get_json()["code"] == "malformed_json"


def test_invalid_utf8_is_a_400(client):
    response = post(client, "/api/v1/auth/login", b'{"email": "\xff"}')
    assert response.status_code == 400 and response.get_json()["code"] == "malformed_json"


# --- the parser alone, without an app -----------------------------------------------------------

def test_loads_keeps_ordinary_numbers_and_marks_oversized_ones():
    value = loads(b'{"a": 12, "b": 1.5, "c": 1e999, "d": ' + b"1" * 41 + b"}")
    assert value["a"] == 12 and value["b"] == 1.5
    assert isinstance(value["c"], OversizedNumber) and isinstance(value["d"], OversizedNumber)


def test_too_deep_counts_levels_without_recursion():
    assert not too_deep([[[]]], limit=3)
    assert too_deep([[[[]]]], limit=3)
    deep: list = []
    for _ in range(100_000):
        deep = [deep]
    assert too_deep(deep, limit=MAX_DEPTH)


def test_loads_refuses_what_is_not_json():
    for text in (b"{", b"\xff", b"NaN", b"[" * 5000 + b"]" * 5000):
        with pytest.raises(ApiError) as caught:
            loads(text)
        assert caught.value.status == 400
