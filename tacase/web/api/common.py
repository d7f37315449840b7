"""What the API's blueprints share: error documentation, ETags and how a case is shown."""

from __future__ import annotations

import datetime as dt
import http
from collections.abc import Callable
from typing import Any

import flask_smorest
from flask import request
from webargs.flaskparser import FlaskParser, is_json_request

from tacase.audit.canonical import jsonable
from tacase.db.models import Case
from tacase.engine.definitions import WorkflowDefinition
from tacase.engine.fields import FieldSpec
from tacase.services.actors import Actor
from tacase.services.case_fields import field_values
from tacase.services.deadline_sweep import StepEvents
from tacase.web.api.fields import NUL_FREE
from tacase.web.errors import ApiError
from tacase.web.json_body import MalformedJson

API_PREFIX = "/api/v1"


class _Parser(FlaskParser):
    """webargs reading the body through the app's JSON (json_body's limits), parsed once per request.
    An operation that reads a JSON body answers 400 to a request without one."""

    def _raw_load_json(self, req: Any) -> Any:
        if not is_json_request(req) or not req.get_data(cache=True):
            raise MalformedJson(400, "send the request body as JSON, with Content-Type: application/json",
                                code="malformed_json")
        return req.get_json(cache=True)


class Blueprint(flask_smorest.Blueprint):
    ARGUMENTS_PARSER = _Parser()


# Answers every operation may give, documented once (see document_shared_answers).
URI_TOO_LONG = "URI_TOO_LONG_ANYWHERE"
UNAVAILABLE = "DATABASE_UNAVAILABLE"


def errors(blp: Blueprint, *codes: int) -> Callable[[Any], Any]:
    """Document the error answers an operation can give, all in the one error shape. Every operation
    can answer 400 (malformed JSON, or text no database can store in the address or the body), 414
    (an address longer than the server reads) and 503 (the database out of reach)."""
    def decorate(func: Any) -> Any:
        for code in sorted({400, *codes}):
            func = blp.alt_response(code, response=http.HTTPStatus(code).name)(func)
        func = blp.alt_response(414, response=URI_TOO_LONG)(func)
        return blp.alt_response(503, response=UNAVAILABLE)(func)
    return decorate


def document_shared_answers(api: flask_smorest.Api) -> None:
    error = {"schema": {"$ref": "#/components/schemas/Error"}}
    api.spec.components.response(URI_TOO_LONG, {
        "description": "The address is longer than the server reads (8190 bytes for the request "
                       "line); the HTTP server in front of the app answers, in its own format.",
        "content": {"application/json": error, "text/html": {"schema": {"type": "string"}}}})
    api.spec.components.response(UNAVAILABLE, {
        "description": "The database cannot be reached just now (a restart, a lost connection): "
                       "nothing was saved; send the same request again after Retry-After seconds.",
        "headers": {"Retry-After": {"description": "seconds to wait", "schema": {"type": "integer"}}},
        "content": {"application/json": error}})


# --- ETags on cases: the version column is the validator ---------------------------------------

def etag_of(case: Case) -> str:
    return f'"v{case.version}"'


def if_match(*, required: bool) -> dict[str, Any]:
    """The If-Match header as an operation documents it."""
    return {"in": "header", "name": "If-Match", "required": required,
            "schema": {"type": "string", "pattern": NUL_FREE},
            "description": "the ETag from GET (such as \"v3\"), or *; 412 when it names no version the "
                           "case is at (it changed since, or the value is no ETag of it)"
                           + ("; 428 without it" if required else "")}


def expected_version(case: Case | None = None, *, required: bool) -> int | None:
    """The version named by If-Match: 428 when required and missing, 412 when stale (checked by the
    caller through the services' version check, which turns into 412 here). A value that is no ETag
    of this API names no version, so it is stale too (RFC 9110: the condition is false)."""
    header = request.headers.get("If-Match")
    if header is None:
        if required:
            raise ApiError(428, "send If-Match with the ETag from GET, so that no change is overwritten")
        return None
    if header.strip() == "*":
        return None
    for tag in (part.strip() for part in header.split(",")):
        # If-Match compares strongly (RFC 9110 13.1.1): a weak tag matches nothing.
        if tag.startswith('"v') and tag.endswith('"') and tag[2:-1].isdigit() and len(tag) < 20:
            return int(tag[2:-1])
    return -1  # matches no version: stale by definition


# --- presentation ----------------------------------------------------------------------------

def spec_json(spec: FieldSpec) -> dict[str, Any]:
    return {
        "name": spec.name, "type": spec.type, "label": spec.label, "required": spec.required,
        "choices": list(spec.choices), "max_length": spec.max_length,
        "min": None if spec.min is None else str(spec.min),
        "max": None if spec.max is None else str(spec.max),
        "not_before": spec.not_before, "help": spec.help,
    }


def case_summary(case: Case, definition: WorkflowDefinition, viewer: Actor, now: dt.datetime,
                 events: StepEvents | None = None) -> dict[str, Any]:
    state_def = definition.states.get(case.status)
    public_label = state_def.public_label if state_def else case.status
    for_state = viewer.is_state_user
    return {
        "reference": case.reference, "type": case.type, "state": case.state_code,
        "status": case.status,
        "status_label": public_label if for_state or state_def is None else state_def.staff_label,
        "public_status_label": public_label, "title": case.title,
        "assignee_id": None if for_state else case.assignee_id,
        "created_at": case.created_at, "updated_at": case.updated_at,
        "submitted_at": case.submitted_at, "closed_at": case.closed_at,
        # States see the office's deadlines too: timeliness is meant to be visible to them.
        "due_at": case.due_at, "due_party": case.due_party,
        "overdue": case.due_at is not None and case.due_at < now,
        "paused": case.paused_state is not None,
        # What the deadline sweep did about the current step (and when).
        "reminded_at": events.reminded_at if events else None,
        "overdue_at": events.overdue_at if events else None,
        "escalated_at": None if for_state or not events else events.escalated_at,
        "version": case.version,
    }


def json_ready(summary: dict[str, Any]) -> dict[str, Any]:
    """A case's summary or detail as its schema dumps it (instants in ISO 8601), without the schema's
    cost: a list of 50 would otherwise spend longer in marshmallow than in the database."""
    return {key: value.isoformat() if isinstance(value, dt.datetime) else value
            for key, value in summary.items()}


def case_detail(case: Case, definition: WorkflowDefinition, viewer: Actor, now: dt.datetime,
                events: StepEvents | None = None) -> dict[str, Any]:
    out = case_summary(case, definition, viewer, now, events)
    out["fields"] = jsonable(field_values(case, definition))
    out["workflow"] = {"type": definition.type, "version": definition.version, "sha256": definition.sha256}
    return out
