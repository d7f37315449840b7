"""What each field of a case and of a step accepts, as JSON Schema (the OpenAPI 3.0 dialect).

The rules themselves live in engine/fields.py and case_fields.py; this module writes them down for
clients, from the same declarations, so that the API document lists the fields of the workflows in
force. Values are shown in their canonical form: integers as JSON integers, amounts as decimal text
(JSON numbers lose decimals), currencies as upper-case ISO 4217 codes, dates as YYYY-MM-DD. A blank
value (null, "" or []) clears a case field.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from tacase.engine.casefields import RECOMMENDATION_MECHANISMS
from tacase.engine.definitions import TransitionDef, WorkflowDefinition
from tacase.engine.fields import FieldSpec
from tacase.engine.money import MAX_AMOUNT, currencies
from tacase.services.case_fields import _EMAIL, _SDG_TARGET, SCALAR_SPECS

# Text no field can store is refused at the door: no NUL, and (what JSON Schema cannot say) no
# half of a surrogate pair.
NUL_FREE = r"^[^\x00]*$"
NOT_BLANK = r"^[^\x00]*[^\x00\s][^\x00]*$"
AMOUNT = r"^[0-9]{1,13}(\.[0-9]{1,3})?$"
DECIMAL = r"^-?[0-9]{1,18}(\.[0-9]{1,18})?$"


def _text(max_length: int | None, pattern: str = NUL_FREE, **extra: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "string", "pattern": pattern, **extra}
    if max_length is not None:
        out["maxLength"] = max_length
    return out


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


MONEY = "Money"  # the component every amount refers to


def money_ref(**extra: Any) -> dict[str, Any]:
    return {"type": "object", "allOf": [{"$ref": f"#/components/schemas/{MONEY}"}], **extra}


def money() -> dict[str, Any]:
    return {
        "type": "object", "additionalProperties": False, "required": ["amount", "currency"],
        "properties": {
            "amount": _text(None, AMOUNT, description=f"decimal text, from 0 to {MAX_AMOUNT}, with no more "
                            "decimal places than the currency has (USD 2, JPY 0, KWD 3)"),
            "currency": {"type": "string", "enum": sorted(currencies()), "description": "ISO 4217"},
        },
    }


def value_schema(spec: FieldSpec) -> dict[str, Any]:
    """One declared field's values (engine/fields.py)."""
    kind = spec.type
    if kind in ("string", "text"):
        out = _text(spec.max_length)
    elif kind == "integer":
        out = {"type": "integer"}
    elif kind == "decimal":
        out = _text(None, DECIMAL)
    elif kind == "money":
        out = money_ref()
    elif kind == "date":
        out = {"type": "string", "format": "date"}
    elif kind == "boolean":
        out = {"type": "boolean"}
    else:
        out = {"type": "string", "enum": list(spec.choices)}
    bounds = {"minimum": spec.min, "maximum": spec.max} if kind == "integer" else {}
    out.update({key: _number(value) for key, value in bounds.items() if value is not None})
    out["description"] = spec.label + (f": {spec.help}" if spec.help else "")
    return out


def _string_list(max_items: int, item: dict[str, Any], description: str) -> dict[str, Any]:
    return {"type": "array", "maxItems": max_items, "items": item, "description": description}


def common_field_schemas() -> dict[str, dict[str, Any]]:
    """The fields every case has (case_fields.py), whatever its type."""
    fields = {spec.name: value_schema(spec) for spec in SCALAR_SPECS}
    fields["focal_point_email"] = _text(254, _EMAIL.pattern.replace(r"\s", r"\s\x00"),
                                        description="Focal point e-mail")
    fields.update({
        "expected_results": _string_list(50, {
            "type": "object", "additionalProperties": False, "required": ["result"],
            "properties": {
                "result": _text(1000, NOT_BLANK),
                "indicators": _string_list(20, _text(500), "how the result is measured"),
            },
        }, "Expected results, each with its indicators"),
        "recommendations": _string_list(100, {
            "type": "object", "additionalProperties": False, "required": ["mechanism", "document_symbol"],
            "properties": {
                "mechanism": {"type": "string", "enum": list(RECOMMENDATION_MECHANISMS)},
                "document_symbol": _text(100, NOT_BLANK, example="A/HRC/52/9"),
                "paragraph": _text(40, nullable=True, example="120.1"),
            },
        }, "Human-rights recommendations addressed"),
        "budget": money_ref(description="Budget requested"),
        "sdg_targets": _string_list(30, _text(None, _SDG_TARGET.pattern),
                                    "Sustainable Development Goal targets, such as 16.3 or 5.c"),
        "recipient_institutions": _string_list(30, _text(300), "Recipient institutions"),
        "themes": _string_list(20, _text(100), "Themes"),
    })
    return fields


def _clearable(schema: dict[str, Any]) -> dict[str, Any]:
    return {**schema, "nullable": True}


def case_fields_schema(definitions: Iterable[WorkflowDefinition]) -> dict[str, Any]:
    """Every field a case of these types can have; a field of another type than the case's is refused."""
    properties = {name: _clearable(s) for name, s in common_field_schemas().items()}
    for definition in definitions:
        for spec in definition.fields:
            properties.setdefault(spec.name, _clearable(value_schema(spec)))
    return {"type": "object", "additionalProperties": False, "properties": properties}


def new_case_schema(definition: WorkflowDefinition) -> dict[str, Any]:
    """A draft of one request type: its fields flat or under `fields` (each field once); none is
    required until the request is sent."""
    fields = {name: _clearable(s) for name, s in common_field_schemas().items()}
    fields.update({spec.name: _clearable(value_schema(spec)) for spec in definition.fields})
    return {
        "type": "object", "additionalProperties": False, "required": ["type"],
        "description": f"{definition.title}: {definition.description}".strip(),
        "properties": {
            "type": {"type": "string", "enum": [definition.type]},
            "fields": {"type": "object", "additionalProperties": False, "properties": fields},
            **fields,
        },
    }


def step_schema(trigger: str, transitions: list[TransitionDef]) -> dict[str, Any]:
    """Firing `trigger`: what it records, in any workflow that has it. A field is shown as required
    where every workflow requires it; GET .../transitions says what the case's own workflow asks."""
    properties: dict[str, Any] = {}
    required_everywhere: set[str] | None = None
    for transition in transitions:
        for spec in transition.record:
            properties.setdefault(spec.name, value_schema(spec))
        required = {spec.name for spec in transition.record if spec.required}
        required_everywhere = required if required_everywhere is None else required_everywhere & required
    data: dict[str, Any] = {"type": "object", "additionalProperties": False, "properties": properties}
    needed = sorted(required_everywhere or ())
    if needed:
        data["required"] = needed
    label = transitions[0].label if transitions else trigger
    return {
        "type": "object", "additionalProperties": False,
        "required": ["trigger", "data"] if needed else ["trigger"],
        "description": label,
        "properties": {
            "trigger": {"type": "string", "enum": [trigger]},
            "comment": _text(8000, nullable=True, description=(
                "kept in the office unless the workflow shows this step's comment to the State "
                "(comment_visible_to_state)")),
            "data": data,
        },
    }


def transitions_by_trigger(definitions: Iterable[WorkflowDefinition]) -> dict[str, list[TransitionDef]]:
    out: dict[str, list[TransitionDef]] = {}
    for definition in definitions:
        for transition in definition.transitions:
            out.setdefault(transition.trigger, []).append(transition)
    return dict(sorted(out.items()))
