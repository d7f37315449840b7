"""A call's definition back to the mapping of its file (what is stored as JSON), and the hash of that
mapping: parse(to_raw(d)) == d, and the same call keeps its sha256 whatever way it was written."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from tacase.engine.call_model import (
    LANGUAGES,
    CallDefinition,
    Localised,
    Option,
    Question,
)


def content_hash(raw: dict[str, Any]) -> str:
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()



def _decimal_text(number: Decimal) -> str:
    """A number as the answers keep it: "1500", "1500.5", never an exponent."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text



# --- back to a mapping --------------------------------------------------------------------------

def _localised_raw(value: Localised | None) -> dict[str, str] | None:
    return None if value is None else {lang: getattr(value, lang) for lang in LANGUAGES}


def _number_raw(value: Decimal) -> int | str:
    # A decimal as text: a float would round 123456789012345.123456.
    return int(value) if value == value.to_integral_value() else _decimal_text(value)


def _options_raw(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    return [{"value": o.value, "label": _localised_raw(o.label)} for o in options]


def _question_raw(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"key": q.key, "type": q.type, "label": _localised_raw(q.label)}
    if q.required:
        out["required"] = True
    for name in ("help", "section"):
        if getattr(q, name) is not None:
            out[name] = _localised_raw(getattr(q, name))
    if q.when is not None:
        if len(q.when.values) == 1:
            out["when"] = {"question": q.when.question, "equals": q.when.values[0]}
        else:
            out["when"] = {"question": q.when.question, "in": list(q.when.values)}
    if q.type in ("choice", "choices"):
        out["options"] = _options_raw(q.options)
        if q.max_choices is not None:
            out["max_choices"] = q.max_choices
    if q.type in ("number", "scale"):
        if q.minimum is not None:
            out["min"] = _number_raw(q.minimum)
        if q.maximum is not None:
            out["max"] = _number_raw(q.maximum)
    for name in ("unit", "min_label", "max_label"):
        if getattr(q, name) is not None:
            out[name] = _localised_raw(getattr(q, name))
    if q.type in ("text", "long_text"):
        out["max_length"] = q.max_length
    if q.type == "table":
        out["columns"] = [
            {"key": c.key, "type": c.type, "label": _localised_raw(c.label),
             **({"options": _options_raw(c.options)} if c.type == "choice" else {})}
            for c in q.columns
        ]
        out["max_rows"] = q.max_rows
    return out


def to_raw(definition: CallDefinition) -> dict[str, Any]:
    """The definition as a JSON-able mapping in the file's format: parse(to_raw(d)) == d."""
    d = definition
    out: dict[str, Any] = {
        "key": d.key, "version": d.version, "kind": d.kind,
        "title": _localised_raw(d.title), "introduction": _localised_raw(d.introduction),
        "audience": "all" if d.audience is None else list(d.audience),
        "opens_on": d.opens_on.isoformat(), "closes_on": d.closes_on.isoformat(),
        "late_responses": d.late_responses, "submitted_by": d.submitted_by,
        "stakeholders": d.stakeholders, "reminders": list(d.reminders),
        "publish_submissions": d.publish_submissions,
    }
    if d.report is not None:
        out["report"] = _localised_raw(d.report)
    out["questions"] = [_question_raw(q) for q in d.questions]
    return out
