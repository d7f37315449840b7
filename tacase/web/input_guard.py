"""What no field can take is refused at the door, before any query or schema sees it.

JSON may escape half of a UTF-16 surrogate pair ("\\ud800") on its own, and URLs, forms and JSON may
carry NUL characters: neither is text that PostgreSQL (or the audit chain's UTF-8) can hold. A JSON
number longer than any field takes arrives as an `OversizedNumber` (see json_body) and is named
here by where it was sent.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from flask import request

from tacase.web.auth import WRITE_METHODS
from tacase.web.errors import ApiError
from tacase.web.json_body import OversizedNumber


def unstorable(value: Any) -> bool:
    """Text with NUL or a lone surrogate, anywhere in the value."""
    return any(_bad_text(item) for _, item in _leaves(value))


def _bad_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    if "\x00" in value:
        return True
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def _leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(dotted path, value) for every key and scalar of a parsed body, without recursion."""
    stack = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, dict):
            for key, child in item.items():
                yield where, key
                stack.append((f"{where}.{key}" if where else str(key), child))
        elif isinstance(item, list):
            stack.extend((f"{where}.{i}" if where else str(i), child) for i, child in enumerate(item))
        else:
            yield where, item


def screen_request() -> None:
    query = [text for key, values in request.args.lists() for text in (key, *values)]
    if unstorable(request.view_args or {}) or unstorable(query):
        raise ApiError(400, "the address has characters no field accepts (NUL or lone surrogates)",
                       code="bad_request")
    if request.method not in WRITE_METHODS:
        return
    if request.is_json:
        if request.get_data(cache=True):  # none at all is for the route to judge (a logout needs none)
            _screen_json(request.get_json())  # a body that is no JSON: MalformedJson, a 400
    elif request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = [text for key, values in request.form.lists() for text in (key, *values)]
        if unstorable(form):
            raise ApiError(400, "the form has characters no field accepts (NUL or lone surrogates)",
                           code="bad_request")


def _screen_json(body: Any) -> None:
    too_large: dict[str, list[str]] = {}
    for where, item in _leaves(body):
        if _bad_text(item):
            raise ApiError(400, "the request body has characters no field accepts (NUL or lone surrogates)",
                           code="malformed_json")
        if isinstance(item, OversizedNumber):
            too_large.setdefault(where or "_schema", []).append("the number is too large for this field")
    if too_large:
        raise ApiError(422, "some fields are not valid", code="validation_failed", errors=too_large)
