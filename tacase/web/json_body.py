"""Request bodies as JSON, read with limits that no hostile body can push into a server error.

Python's parser recurses once per level of nesting and converts every integer it meets, however
long: two thousand opening brackets end in a RecursionError, and five thousand digits in a
ValueError from the integer conversion limit. Both are the client's fault and get a 400 here. A
number too large for any field is kept as an `OversizedNumber`, so that the check at the door can
name the field it was sent in (a 422) instead of refusing the body as a whole.
"""

from __future__ import annotations

import json
import math
from typing import Any

from flask.json.provider import DefaultJSONProvider

from tacase.web.errors import ApiError

# Deeper than any body the API reads (a case's fields nest four levels at most).
MAX_DEPTH = 32
# Longer than any number a field takes (ids are 64-bit at most); amounts travel as strings.
MAX_DIGITS = 40


class OversizedNumber:
    """A JSON number with more digits than any field accepts, or beyond the range of a float."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return f"OversizedNumber({len(self.text)} characters)"


class _Constant(ValueError):
    pass


def _parse_int(text: str) -> int | OversizedNumber:
    return OversizedNumber(text) if len(text) > MAX_DIGITS else int(text)


def _parse_float(text: str) -> float | OversizedNumber:
    value = float(text)
    return value if math.isfinite(value) else OversizedNumber(text)


def _refuse_constant(name: str) -> Any:
    raise _Constant(name)


class MalformedJson(ApiError, ValueError):
    """A 400 for the client; a ValueError for Flask and Werkzeug, whose `get_json(silent=True)`
    answers None for a body that is no JSON (see Request.on_json_loading_failed)."""


def _malformed(message: str) -> MalformedJson:
    return MalformedJson(400, message, code="malformed_json")


def too_deep(value: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether arrays and objects nest more than `limit` levels (walked without recursion)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


def loads(data: str | bytes | bytearray) -> Any:
    """The body as JSON (RFC 8259: UTF-8 text), or MalformedJson saying what is wrong with it."""
    if isinstance(data, bytes | bytearray):
        try:
            data = bytes(data).decode("utf-8")
        except UnicodeDecodeError:
            raise _malformed("the request body is not UTF-8 text") from None
    try:
        value = json.loads(data, parse_int=_parse_int, parse_float=_parse_float,
                           parse_constant=_refuse_constant)
    except RecursionError:
        raise _malformed(f"the JSON nests too deeply (at most {MAX_DEPTH} levels)") from None
    except _Constant as exc:
        raise _malformed(f"{exc} is not a JSON number; send a number or a string") from None
    except json.JSONDecodeError as exc:
        raise _malformed(f"the request body is not valid JSON: {exc.msg} "
                         f"(line {exc.lineno}, column {exc.colno})") from None
    if too_deep(value):
        raise _malformed(f"the JSON nests too deeply (at most {MAX_DEPTH} levels)")
    return value


class JSONProvider(DefaultJSONProvider):
    """Flask's JSON with the request-body limits above (what `request.get_json` uses)."""

    def loads(self, s: str | bytes, **kwargs: Any) -> Any:
        return loads(s)
