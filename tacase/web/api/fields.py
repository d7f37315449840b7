"""Fields of the API's schemas that say exactly what the code accepts, and how the document shows them.

Values that depend on the workflow files in force (request types, triggers, statuses) are named by a
field type here and listed in the OpenAPI document when the app is made (`document_fields`), so that
the document never lists a type or a trigger the running app does not know.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Api
from marshmallow import fields as ma
from werkzeug.routing import UnicodeConverter

from tacase.reference import requesting_states
from tacase.services import field_schemas
from tacase.services.runtime import Runtime

# Text no field can store is refused at the door (input_guard); every string says so.
NUL_FREE = field_schemas.NUL_FREE
# Visible ASCII: what travels in a header the same way through every client and proxy.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]{1,255}$"


class StrictBoolean(ma.Boolean):
    """JSON's true or false; 0, 1, "yes" and "true" are refused."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> bool:
        if value is True or value is False:
            return value
        raise self.make_error("invalid", input=value)


class QueryBoolean(ma.Boolean):
    """A boolean in the address: `true` or `false`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(truthy={"true"}, falsy={"false"}, **kwargs)


class _InForce(ma.String):
    """A name the running app knows; anything else is refused (422) and the document lists them."""

    default_error_messages = {"unknown": "must be one of: {choices}"}

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        known = current_app.extensions["tacase"]["field_choices"][type(self)]
        if text not in known:
            raise self.make_error("unknown", choices=", ".join(known))
        return text


class RequestType(_InForce):
    """A request type of the workflows in force."""


class Trigger(_InForce):
    """A trigger of the workflows in force."""


class StatusName(_InForce):
    """A state of the workflows in force."""


class StateCode(_InForce):
    """A Member or observer State by its ISO 3166-1 alpha-3 code."""


def field_choices(runtime: Runtime) -> dict[type, tuple[str, ...]]:
    workflows = runtime.workflows.current.values()
    return {
        RequestType: tuple(sorted(d.type for d in workflows)),
        Trigger: tuple(sorted({t.trigger for d in workflows for t in d.transitions})),
        StatusName: tuple(sorted({s for d in workflows for s in d.states})),
        StateCode: tuple(sorted(requesting_states())),
    }


def document_fields(api: Api, choices: dict[type, tuple[str, ...]]) -> None:
    """Teach the app's OpenAPI converter the fields above, with the choices of the app's workflows."""

    def tacase_enums(self: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        values = choices.get(type(field))
        return {"enum": list(values)} if values else {}

    def tacase_nul_free(self: Any, field: Any, ret: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
        if isinstance(field, ma.String) and not {"enum", "pattern", "format"} & set(ret):
            return {"pattern": NUL_FREE}
        return {}

    converter = api.ma_plugin.converter
    converter.add_attribute_function(tacase_enums)
    converter.add_attribute_function(tacase_nul_free)
    api.register_converter(UnicodeConverter,
                           lambda _converter: {"type": "string", "minLength": 1, "pattern": NUL_FREE})


# --- request bodies that follow the workflows in force -----------------------------------------------

NEW_CASE, CASE_CHANGES, STEP = "NewCase", "CaseChanges", "Step"


def json_body(component: str) -> dict[str, Any]:
    """An operation's request body, as one of the components `document_request_bodies` writes."""
    return {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{component}"}}}}


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


def document_request_bodies(api: Api, runtime: Runtime) -> None:
    """The bodies of opening a case, editing it and firing a step, with the fields of the workflows
    in force: one schema per request type and per trigger, told apart by `type` and `trigger`."""
    definitions = list(runtime.workflows.current.values())
    components = api.spec.components
    components.schema(field_schemas.MONEY, field_schemas.money())

    def one_of(name: str, key: str, parts: dict[str, dict[str, Any]]) -> None:
        refs = {}
        for value, schema in parts.items():
            components.schema(part := name + _camel(value), schema)
            refs[value] = f"#/components/schemas/{part}"
        components.schema(name, {"oneOf": [{"$ref": ref} for ref in refs.values()],
                                 "discriminator": {"propertyName": key, "mapping": refs}})

    one_of(NEW_CASE, "type", {d.type: field_schemas.new_case_schema(d)
                              for d in sorted(definitions, key=lambda d: d.type)})
    fields = field_schemas.case_fields_schema(definitions)
    components.schema(CASE_CHANGES, {
        **fields, "description": "The fields to change, flat or under `fields` (a field once); a field "
                                 "of another request type than the case's is refused (422).",
        "properties": {"fields": fields, **fields["properties"]}})
    by_trigger = field_schemas.transitions_by_trigger(definitions)
    one_of(STEP, "trigger", {trigger: field_schemas.step_schema(trigger, transitions)
                             for trigger, transitions in by_trigger.items()})
