"""RFC 8785 canonical JSON of audit bodies, after turning Python values into JSON ones."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import rfc8785


def json_scalar(value: Any) -> Any:
    """A value JSON has no word for, as tacase writes it everywhere: dates in ISO 8601, UTC instants
    with a Z, Decimals as exact text, sets sorted (a `default` for json.dumps)."""
    if isinstance(value, dt.datetime):
        return format_instant(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def jsonable(value: Any) -> Any:
    """Dates as ISO 8601 text, UTC instants with a Z, Decimals as exact text."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        items = [jsonable(v) for v in value]
        return sorted(items) if isinstance(value, set | frozenset) else items
    if isinstance(value, dt.date | Decimal):
        return json_scalar(value)
    if isinstance(value, float) and not value.is_integer():
        return value
    if isinstance(value, float):
        return int(value)
    return value


def format_instant(value: dt.datetime) -> str:
    if value.tzinfo is None:
        raise ValueError("audit instants must be timezone-aware")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical_bytes(body: dict[str, Any]) -> bytes:
    return rfc8785.dumps(jsonable(body))
