"""Calls written by the office's administrators through the API: the same format and checks as the files
of questionnaires/, a new version for each change of the text."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from marshmallow import fields as ma

from tacase.services.calls import authoring, present, registry
from tacase.web.api.calls import KEY, CallDetailSchema, _language
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.context import actor, clock, clock_fn, commit, db, runtime

blp = Blueprint("call_authoring", __name__, url_prefix=API_PREFIX,
                description="Calls for input written by the office's administrators")


class CallTextSchema(Schema):
    definition = ma.Dict(required=True, metadata={
        "description": "the call as a mapping, in the format of the call files (questionnaires/README.md); "
                       "its version is the office's to count"})


class WrittenCallSchema(CallDetailSchema):
    outcome = ma.String(metadata={"description": "added, changed (a new version) or unchanged"})
    source = ma.String(metadata={"description": "office: written through the pages or the API"})


def _written(call: Any, outcome: str) -> dict[str, Any]:
    detail = present.call_detail(call, registry.definition_of(db(), call), _language(), clock())
    return {**detail, "my_response": None, "outcome": outcome, "source": call.source}


@blp.post("/calls")
@blp.arguments(CallTextSchema)
@blp.response(201, WrittenCallSchema)
@errors(blp, 401, 403, 409, 413, 422)
@blp.doc(operationId="createCall", summary="Write a new call (administrators)", description=(
    "The call in the format of the call files (see questionnaires/README.md), as a JSON mapping. Every "
    "problem is listed under `errors.definition`. The version is 1, whatever the mapping says."))
def create_call(args: dict[str, Any]):
    call, outcome = authoring.write_call(db(), actor(), clock_fn(), args["definition"],
                                         timezone=runtime().timezone)
    commit()
    return _written(call, outcome)


@blp.put(f"/calls/{KEY}")
@blp.arguments(CallTextSchema)
@blp.response(200, WrittenCallSchema)
@errors(blp, 401, 403, 404, 409, 413, 422)
@blp.doc(operationId="changeCall", summary="Change a call the office wrote (administrators)", description=(
    "A changed text becomes the call's next version; the responses keep the version they answered. A call "
    "defined by a file is changed in its file (409)."))
def change_call(args: dict[str, Any], key: str):
    call, outcome = authoring.write_call(db(), actor(), clock_fn(), args["definition"],
                                         timezone=runtime().timezone, key=key)
    commit()
    return _written(call, outcome)
