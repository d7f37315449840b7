"""Typed fields declared in workflow files, and validation of values against them.

The same declarations serve what a transition must record (a reason, a delivery record, an
evaluation) and the type-specific fields of a case; later the web forms are built from them.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from tacase.engine.money import CurrencyError, parse_money

FIELD_TYPES = ("string", "text", "integer", "decimal", "money", "date", "boolean", "choice")
_NAME = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
_KEYS = {"type", "label", "required", "choices", "max_length", "min", "max", "not_before", "help", "public",
         "visible_to_state"}
_DEFAULT_MAX = {"string": 300, "text": 20000}


@dataclass(frozen=True)
class FieldSpec:
    name: str
    type: str
    label: str
    required: bool = False
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    min: Decimal | None = None
    max: Decimal | None = None
    not_before: str | None = None  # another date field of the same record
    help: str = ""
    visible_to_state: bool = True
    # Shown on the public record while the State consents; never a field the State cannot see.
    public: bool = False


def parse_field_specs(raw: Any, where: str) -> tuple[tuple[FieldSpec, ...], list[str]]:
    """Parse a mapping of field name -> declaration; return the specs and the problems found."""
    if raw is None:
        return (), []
    if not isinstance(raw, dict):
        return (), [f"{where}: expected a mapping of field names to declarations"]
    specs: list[FieldSpec] = []
    errors: list[str] = []
    for name, decl in raw.items():
        here = f"{where}: field {name!r}"
        if not isinstance(name, str) or not _NAME.match(name):
            errors.append(f"{here}: a field name is lower-case letters, digits and underscores")
            continue
        if not isinstance(decl, dict):
            errors.append(f"{here}: expected a mapping with at least 'type'")
            continue
        unknown = set(decl) - _KEYS
        if unknown:
            errors.append(f"{here}: unknown keys {sorted(unknown)}")
        ftype = decl.get("type")
        if ftype not in FIELD_TYPES:
            errors.append(f"{here}: unknown type {ftype!r} (known: {', '.join(FIELD_TYPES)})")
            continue
        for flag in ("required", "visible_to_state", "public"):
            if flag in decl and not isinstance(decl[flag], bool):
                errors.append(f"{here}: {flag} must be true or false")
        choices = decl.get("choices") or ()
        if ftype == "choice" and (
            not isinstance(choices, list) or not choices
            or not all(isinstance(c, str) and c for c in choices)
        ):
            errors.append(f"{here}: a choice field needs a non-empty list of string choices")
            continue
        max_length = decl.get("max_length", _DEFAULT_MAX.get(ftype))
        if max_length is not None and (
            isinstance(max_length, bool) or not isinstance(max_length, int) or max_length < 1
        ):
            errors.append(f"{here}: max_length must be a positive integer")
            continue
        bounds: dict[str, Decimal | None] = {}
        for key in ("min", "max"):
            value = decl.get(key)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int | float)):
                errors.append(f"{here}: {key} must be a number")
                value = None
            bounds[key] = Decimal(str(value)) if value is not None else None
        not_before = decl.get("not_before")
        other = raw.get(not_before) if isinstance(not_before, str) else None
        if not_before is not None and (
            ftype != "date" or not isinstance(other, dict) or other.get("type") != "date"
        ):
            errors.append(f"{here}: not_before must name another date field of the same record")
            not_before = None
        specs.append(FieldSpec(
            name=name, type=ftype, label=str(decl.get("label") or name.replace("_", " ").capitalize()),
            required=bool(decl.get("required", False)), choices=tuple(choices),
            max_length=max_length, min=bounds["min"], max=bounds["max"], not_before=not_before,
            help=str(decl.get("help", "")), visible_to_state=bool(decl.get("visible_to_state", True)),
            public=decl.get("public") is True,
        ))
        if decl.get("public") is True and decl.get("visible_to_state") is False:
            errors.append(f"{here}: a field hidden from the State cannot be public")
    return tuple(specs), errors


def _convert(spec: FieldSpec, value: Any) -> Any:
    """Return the clean value or raise ValueError with a message for the user."""
    t = spec.type
    if t in ("string", "text"):
        if not isinstance(value, str):
            raise ValueError("must be a string")
        value = value.strip() if t == "string" else value
        if spec.max_length is not None and len(value) > spec.max_length:
            raise ValueError(f"must be at most {spec.max_length} characters")
        return value
    if t == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, str) and re.fullmatch(r"-?\d{1,18}", value.strip()):
                value = int(value)
            else:
                raise ValueError("must be a whole number")
        _check_bounds(spec, Decimal(value))
        return value
    if t == "decimal":
        number = _decimal(value)
        _check_bounds(spec, number)
        return number
    if t == "money":
        if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
            raise ValueError("must be an object with 'amount' and 'currency'")
        try:
            amount, currency = parse_money(value["amount"], value["currency"])
        except CurrencyError as exc:
            raise ValueError(str(exc)) from None
        _check_bounds(spec, amount)
        return {"amount": amount, "currency": currency}
    if t == "date":
        return parse_date(value)
    if t == "boolean":
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value
    if t == "choice":
        if value not in spec.choices:
            raise ValueError(f"must be one of: {', '.join(spec.choices)}")
        return value
    raise AssertionError(t)  # pragma: no cover - types are checked at load


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | str | Decimal | float):
        raise ValueError("must be a number")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError("must be a number") from None
    if not number.is_finite():
        raise ValueError("must be a finite number")
    return number


def _check_bounds(spec: FieldSpec, number: Decimal) -> None:
    if spec.min is not None and number < spec.min:
        raise ValueError(f"must be at least {spec.min}")
    if spec.max is not None and number > spec.max:
        raise ValueError(f"must be at most {spec.max}")


def parse_date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD)")
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError("must be a date (YYYY-MM-DD)")


def is_blank(value: Any) -> bool:
    if isinstance(value, str):
        return not value.strip()
    return value is None or (isinstance(value, list | dict | tuple) and not value)


def _sent_blank(value: Any) -> bool:
    """What a client sends to leave a declared field empty: null or blank text. An empty list or
    object is no value of any declared type, and is refused as such."""
    return value is None or (isinstance(value, str) and not value.strip())


def validate_values(
    specs: tuple[FieldSpec, ...], data: Any, *, partial: bool = False
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check `data` against `specs`: unknown names are refused, required ones demanded.

    With `partial`, absent fields are not demanded (an edit of some fields of a draft).
    Returns the clean values and the errors per field.
    """
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return {}, {"_schema": ["must be an object"]}
    by_name = {s.name: s for s in specs}
    errors: dict[str, list[str]] = {
        name: ["unknown field"] for name in data if name not in by_name
    }
    clean: dict[str, Any] = {}
    for spec in specs:
        if spec.name not in data or _sent_blank(data[spec.name]):
            if spec.required and not partial:
                errors[spec.name] = ["is required"]
            elif spec.name in data:
                clean[spec.name] = None
            continue
        try:
            clean[spec.name] = _convert(spec, data[spec.name])
        except ValueError as exc:
            errors[spec.name] = [str(exc)]
    for spec in specs:
        later, earlier = clean.get(spec.name), clean.get(spec.not_before or "")
        if later and earlier and later < earlier:
            errors.setdefault(spec.name, []).append(
                f"must not be before {spec.not_before.replace('_', ' ')}"
            )
    return clean, errors
