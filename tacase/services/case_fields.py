"""Validation of a case's fields (common and type-specific) and their application to the row.

Only the names listed here or declared in the case's workflow file can be written, so no client
can set a status, a reference or a version by sending it.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy.orm import object_session

from tacase.audit.canonical import jsonable
from tacase.db.models import Case, CaseRecommendation
from tacase.engine.casefields import COMMON_FIELDS, FUNDING_SOURCES, RECOMMENDATION_MECHANISMS
from tacase.engine.definitions import WorkflowDefinition
from tacase.engine.fields import FieldSpec, is_blank, parse_date, validate_values
from tacase.engine.money import CurrencyError, parse_money
from tacase.services.errors import ValidationFailed

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_SDG_TARGET = re.compile(r"^(?:1[0-7]|[1-9])\.(?:1[0-9]|[1-9]|[a-d])$")

SCALAR_SPECS: tuple[FieldSpec, ...] = (
    FieldSpec("title", "string", "Title", max_length=300),
    FieldSpec("objectives", "text", "Objectives", max_length=20000),
    FieldSpec("activities", "text", "Activities", max_length=20000),
    FieldSpec("channel_reference", "string", "Note verbale reference", max_length=100),
    FieldSpec("channel_date", "date", "Note verbale date"),
    FieldSpec("focal_point_name", "string", "Focal point", max_length=200),
    FieldSpec("focal_point_email", "string", "Focal point e-mail", max_length=254),
    FieldSpec("planned_start", "date", "Planned start"),
    FieldSpec("planned_end", "date", "Planned end"),
    FieldSpec("funding_source", "choice", "Funding source", choices=FUNDING_SOURCES),
    FieldSpec("consent_to_publish", "boolean", "Consent to publish"),
)
_TEXT_DEFAULTS = {"title", "objectives", "activities"}


def _string_list(value: Any, *, max_items: int, max_length: int) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError("must be a list of strings")
    items = [v.strip() for v in value if v.strip()]
    if len(items) > max_items:
        raise ValueError(f"must have at most {max_items} items")
    if any(len(v) > max_length for v in items):
        raise ValueError(f"each item must be at most {max_length} characters")
    return items


def _expected_results(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > 50:
        raise ValueError("must be a list of at most 50 results")
    results = []
    for item in value:
        if not isinstance(item, dict) or not set(item) <= {"result", "indicators"}:
            raise ValueError("each result is an object with 'result' and 'indicators'")
        text = item.get("result")
        if not isinstance(text, str) or not text.strip() or len(text) > 1000:
            raise ValueError("each result needs a 'result' text of 1 to 1000 characters")
        indicators = _string_list(item.get("indicators", []), max_items=20, max_length=500)
        results.append({"result": text.strip(), "indicators": indicators})
    return results


def _recommendations(value: Any) -> list[dict[str, Any]]:
    if not isinstance(value, list) or len(value) > 100:
        raise ValueError("must be a list of at most 100 recommendations")
    clean = []
    for item in value:
        if not isinstance(item, dict) or not set(item) <= {"mechanism", "document_symbol", "paragraph"}:
            raise ValueError("each recommendation has 'mechanism', 'document_symbol' and 'paragraph'")
        if item.get("mechanism") not in RECOMMENDATION_MECHANISMS:
            raise ValueError("mechanism must be one of: " + ", ".join(RECOMMENDATION_MECHANISMS))
        symbol = item.get("document_symbol")
        if not isinstance(symbol, str) or not symbol.strip() or len(symbol) > 100:
            raise ValueError("each recommendation needs a document_symbol of 1 to 100 characters")
        paragraph = item.get("paragraph")
        if paragraph is not None and (not isinstance(paragraph, str) or len(paragraph) > 40):
            raise ValueError("paragraph must be text of at most 40 characters")
        clean.append({"mechanism": item["mechanism"], "document_symbol": symbol.strip(),
                      "paragraph": paragraph.strip() if paragraph else None})
    return clean


def _budget(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or set(value) != {"amount", "currency"}:
        raise ValueError("must be an object with 'amount' and 'currency'")
    try:
        amount, currency = parse_money(value["amount"], value["currency"])
    except CurrencyError as exc:
        raise ValueError(str(exc)) from None
    return {"amount": amount, "currency": currency}


def _sdg_targets(value: Any) -> list[str]:
    items = _string_list(value, max_items=30, max_length=8)
    bad = [v for v in items if not _SDG_TARGET.match(v)]
    if bad:
        raise ValueError(f"not SDG targets (such as '16.3' or '5.c'): {', '.join(bad)}")
    return list(dict.fromkeys(items))


_COMPOUND = {
    "expected_results": _expected_results,
    "recommendations": _recommendations,
    "budget": _budget,
    "sdg_targets": _sdg_targets,
    "recipient_institutions": lambda v: _string_list(v, max_items=30, max_length=300),
    "themes": lambda v: _string_list(v, max_items=20, max_length=100),
}


def validate_fields(definition: WorkflowDefinition, data: Any) -> dict[str, Any]:
    """Clean the given fields (any subset) or raise ValidationFailed naming each bad one."""
    if not isinstance(data, dict):
        raise ValidationFailed({"_schema": ["fields must be an object"]})
    declared = {spec.name for spec in definition.fields}
    unknown = [k for k in data if k not in COMMON_FIELDS and k not in declared]
    errors: dict[str, list[str]] = {k: ["unknown field"] for k in unknown}
    scalars = {k: v for k, v in data.items() if k in {s.name for s in SCALAR_SPECS}}
    clean, scalar_errors = validate_values(SCALAR_SPECS, scalars, partial=True)
    errors.update(scalar_errors)
    email = clean.get("focal_point_email")
    if email and not _EMAIL.match(email):
        errors["focal_point_email"] = ["must be an e-mail address"]
    for name, convert in _COMPOUND.items():
        if name in data:
            if is_blank(data[name]):
                clean[name] = None
                continue
            try:
                clean[name] = convert(data[name])
            except ValueError as exc:
                errors[name] = [str(exc)]
    fund = definition.fund
    if fund and "funding_source" in data:  # a type paid from one fund keeps it, whatever is sent
        if is_blank(data["funding_source"]) or clean.get("funding_source") == fund:
            clean["funding_source"] = fund
        else:
            errors["funding_source"] = [f"a {definition.title} is paid from its own fund; leave the "
                                        "funding source out"]
    extra_in = {k: v for k, v in data.items() if k in declared}
    extra, extra_errors = validate_values(definition.fields, extra_in, partial=True)
    errors.update(extra_errors)
    clean.update(extra)
    if errors:
        raise ValidationFailed(errors)
    return clean


def check_dates(values: dict[str, Any]) -> None:
    start, end = values.get("planned_start"), values.get("planned_end")
    if start and end and end < start:
        raise ValidationFailed({"planned_end": ["must not be before the planned start"]})


def _replace_recommendations(case: Case, items: list[dict[str, Any]]) -> None:
    """New rows for the list; the old ones are deleted first, as (case, position) is unique and a
    flush would otherwise insert the new rows before deleting the old."""
    old = [dict(mechanism=r.mechanism, document_symbol=r.document_symbol, paragraph=r.paragraph)
           for r in case.recommendations]
    if old == items:
        return
    session = object_session(case)
    if case.recommendations and session is not None and case.id is not None:
        case.recommendations = []
        session.flush()
    case.recommendations = [CaseRecommendation(position=i, **rec) for i, rec in enumerate(items)]


def apply_fields(case: Case, definition: WorkflowDefinition, clean: dict[str, Any]) -> dict[str, Any]:
    """Write clean values onto the case; return {field: [old, new]} for what actually changed."""
    before = field_values(case, definition)
    declared = {spec.name for spec in definition.fields}
    if "recommendations" in clean:
        _replace_recommendations(case, clean["recommendations"] or [])
    extra = dict(case.extra or {})
    for name, value in clean.items():
        if name in declared:
            if value is None:
                extra.pop(name, None)
            else:
                extra[name] = jsonable(value)
        elif name == "budget":
            case.budget_amount = value["amount"] if value else None
            case.budget_currency = value["currency"] if value else None
        elif name == "recommendations":
            pass  # replaced above, before any other change reaches the row
        elif name in _COMPOUND:
            setattr(case, name, value or [])
        elif name in _TEXT_DEFAULTS:
            setattr(case, name, value or "")
        elif name == "consent_to_publish":
            case.consent_to_publish = bool(value)
        else:
            setattr(case, name, value)
    case.extra = extra
    after = field_values(case, definition)
    return {k: [before.get(k), after.get(k)] for k in after if before.get(k) != after.get(k)}


def field_values(case: Case, definition: WorkflowDefinition) -> dict[str, Any]:
    """Every field of the case by name, common and declared, as guards and clients see them."""
    values: dict[str, Any] = {
        "title": case.title, "objectives": case.objectives, "activities": case.activities,
        "expected_results": list(case.expected_results or []),
        "channel_reference": case.channel_reference, "channel_date": case.channel_date,
        "focal_point_name": case.focal_point_name, "focal_point_email": case.focal_point_email,
        "recipient_institutions": list(case.recipient_institutions or []),
        "planned_start": case.planned_start, "planned_end": case.planned_end,
        "budget": (
            {"amount": case.budget_amount, "currency": case.budget_currency}
            if case.budget_amount is not None else None
        ),
        "funding_source": case.funding_source,
        "recommendations": [
            {"mechanism": r.mechanism, "document_symbol": r.document_symbol, "paragraph": r.paragraph}
            for r in case.recommendations
        ],
        "sdg_targets": list(case.sdg_targets or []), "themes": list(case.themes or []),
        "consent_to_publish": case.consent_to_publish,
    }
    extra = case.extra or {}
    for spec in definition.fields:
        value = extra.get(spec.name)
        if value is not None and spec.type == "date":
            value = parse_date(value)
        values[spec.name] = value
    return values
