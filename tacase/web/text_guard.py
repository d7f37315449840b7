"""Text no database column can store is refused at the door, before any query sees it.

JSON may escape half of a UTF-16 surrogate pair ("\\ud800") on its own, and URLs and JSON may carry
NUL characters: neither is text that PostgreSQL (or the audit chain's UTF-8) can hold.
"""

from __future__ import annotations

from typing import Any

from flask import request

from tacase.web.auth import WRITE_METHODS
from tacase.web.errors import ApiError


def unstorable(value: Any) -> bool:
    if isinstance(value, str):
        if "\x00" in value:
            return True
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return True
        return False
    if isinstance(value, dict):
        return any(unstorable(k) or unstorable(v) for k, v in value.items())
    if isinstance(value, list):
        return any(unstorable(v) for v in value)
    return False


def refuse_unstorable_text() -> None:
    query = [text for key, values in request.args.lists() for text in (key, *values)]
    if unstorable(request.view_args or {}) or unstorable(query):
        raise ApiError(400, "the address has characters no field accepts (NUL or lone surrogates)",
                       code="bad_request")
    if request.method in WRITE_METHODS and request.is_json and unstorable(request.get_json(silent=True)):
        raise ApiError(400, "the request body has characters no field accepts (NUL or lone surrogates)",
                       code="malformed_json")
