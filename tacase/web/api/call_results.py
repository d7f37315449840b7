"""The office's side of a call in the API: the follow-up by State, the results per question, the
responses as files, reminders and reopening. The Board reads the results and the files."""

from __future__ import annotations

from typing import Any

from flask import Response
from marshmallow import EXCLUDE, Schema, validate
from marshmallow import fields as ma

from tacase.db.call_models import RESPONDENT_TYPES, CallResponse
from tacase.exports import call_files
from tacase.services.calls import access, aggregation, followup, registry
from tacase.services.errors import NotFound
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.fields import NUL_FREE
from tacase.web.context import actor, clock_fn, commit, db

blp = Blueprint("call_results", __name__, url_prefix=API_PREFIX,
                description="Calls for input, for the office: follow-up, results, files, reminders")

KEY = "<string(maxlength=64):key>"
CALL_LANGUAGES = ("en", "fr", "es")


class FollowupArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    region = ma.String(validate=validate.OneOf(aggregation.regions()),
                       metadata={"description": "a region's name, as listed"})
    status = ma.String(validate=validate.OneOf(followup.STATUSES), metadata={
        "description": "how far the State has come: " + ", ".join(followup.STATUSES)})


class FollowupStateSchema(Schema):
    state = ma.String()
    name = ma.String()
    region = ma.String()
    status = ma.String(metadata={"description": ", ".join(followup.STATUSES)})
    invited = ma.Integer(metadata={"description": "colleagues invited (not revoked)"})
    opened_at = ma.DateTime(allow_none=True)
    first_draft_at = ma.DateTime(allow_none=True)
    submitted_at = ma.DateTime(allow_none=True)
    late = ma.Boolean(metadata={
        "description": "a response of the State was submitted after the closing date"})
    responses_submitted = ma.Integer()
    responses_draft = ma.Integer()
    reminders_sent = ma.Integer()
    last_reminded_at = ma.DateTime(allow_none=True)


class FollowupSchema(Schema):
    call = ma.String()
    closes_at = ma.String(metadata={"description": "the end of the closing day (UTC)"})
    totals = ma.Dict(metadata={"description": "States of the audience by status, and late"})
    regions = ma.List(ma.Dict(), metadata={"description": "the same totals per region"})
    states = ma.List(ma.Nested(FollowupStateSchema),
                     metadata={"description": "the States matching the filters"})


class ResultsArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    region = ma.String(validate=validate.OneOf(aggregation.regions()),
                       metadata={"description": "a region's name"})
    respondent_type = ma.String(validate=validate.OneOf(RESPONDENT_TYPES))
    language = ma.String(load_default="en", validate=validate.OneOf(CALL_LANGUAGES),
                         metadata={"description": "the language of the labels"})


class ResultsSchema(Schema):
    call = ma.String()
    version = ma.Integer(metadata={"description": "the version of the call whose questions are listed"})
    responses = ma.Integer(metadata={"description": "submitted responses matching the filters"})
    filters = ma.Dict()
    questions = ma.List(ma.Dict(), metadata={"description": (
        "per question: key, type, label, section, required and answered; choice, choices, yes_no and "
        "scale: options (value, label, count, share of those who answered); number: count, sum, min, "
        "max, median, mean and distribution (from, to, count); text, long_text, date and table: the "
        "first answers with their respondent (answers) out of `answered`; document: files")})


class RemindSchema(Schema):
    states = ma.List(ma.String(validate=validate.Regexp(r"^[A-Z]{3}$")), required=True,
                     validate=validate.Length(min=1, max=followup.MAX_REMINDED),
                     metadata={"description": "ISO alpha-3 codes of States of the call's audience"})


class RemindedSchema(Schema):
    call = ma.String()
    reminded = ma.List(ma.String())
    already_submitted = ma.List(ma.String(), metadata={"description": "left out: they have submitted"})
    mails = ma.Integer(metadata={"description": "e-mails queued"})


class ReopenSchema(Schema):
    reason = ma.String(required=True, validate=[validate.Length(min=1, max=1000), validate.Regexp(NUL_FREE)],
                       metadata={"description": "why, usually the respondent's request"})


class ReopenedSchema(Schema):
    id = ma.Integer()
    call = ma.String()
    status = ma.String()
    reopened_count = ma.Integer()
    version = ma.Integer()


def _clean(args: dict[str, Any], name: str) -> str | None:
    value = (args.get(name) or "").strip()
    return value or None


@blp.get(f"/calls/{KEY}/followup")
@blp.arguments(FollowupArgs, location="query")
@blp.response(200, FollowupSchema)
@errors(blp, 401, 403, 404, 422)
@blp.doc(operationId="getCallFollowup", summary="Who has answered a call, State by State", description=(
    "The office only. One row per State of the audience (filtered by `region` and `status`), with "
    "the colleagues invited, when it opened, drafted and submitted, and the reminders sent; totals "
    "per region."))
def get_followup(args: dict[str, Any], key: str):
    view = followup.followup(db(), actor(), key, region=_clean(args, "region"), status=args.get("status"))
    return view.as_json()


@blp.get(f"/calls/{KEY}/results")
@blp.arguments(ResultsArgs, location="query")
@blp.response(200, ResultsSchema)
@errors(blp, 401, 403, 404, 422)
@blp.doc(operationId="getCallResults", summary="The answers of a call counted per question", description=(
    "The office and the Board. Submitted responses only, filtered by the region of their State and "
    "the type of respondent."))
def get_results(args: dict[str, Any], key: str):
    access.require_results_reader(actor())
    region = _clean(args, "region")
    call = registry.get_call(db(), key)
    return aggregation.results(db(), call, registry.definition_of(db(), call), region=region,
                               respondent_type=args.get("respondent_type"), language=args["language"])


def _file(key: str, fmt: str) -> Response:
    access.require_results_reader(actor())
    call = registry.get_call(db(), key)
    data = call_files.render(db(), call, registry.definition_of(db(), call), fmt)
    response = Response(data, mimetype=call_files.MEDIA_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = call_files.MEDIA_TYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{call.key}-responses.{fmt}"'
    return response


_FILE_DOC = ("The office and the Board. One row per response (drafts too, with their status), one column "
             "per question; a cell that a spreadsheet would read as a formula starts with an apostrophe.")


def _file_answer(media_type: str, what: str) -> dict[str, Any]:
    binary = {"schema": {"type": "string", "format": "binary"}}
    return {"200": {"description": what, "content": {media_type: binary}}}


@blp.get(f"/calls/{KEY}/export.csv")
@errors(blp, 401, 403, 404)
@blp.doc(operationId="exportCallCsv", summary="Every response of a call, as CSV", description=_FILE_DOC,
         responses=_file_answer("text/csv", "the responses, UTF-8 with a byte order mark"))
def export_csv(key: str):
    return _file(key, "csv")


@blp.get(f"/calls/{KEY}/export.xlsx")
@errors(blp, 401, 403, 404)
@blp.doc(operationId="exportCallXlsx", summary="Every response of a call, as XLSX with a data dictionary",
         description=_FILE_DOC, responses=_file_answer(call_files.MEDIA_TYPES["xlsx"],
                                                       'sheets "Responses" and "Data dictionary"'))
def export_xlsx(key: str):
    return _file(key, "xlsx")


@blp.post(f"/calls/{KEY}/reminders")
@blp.arguments(RemindSchema)
@blp.response(200, RemindedSchema)
@errors(blp, 401, 403, 404, 413, 422)
@blp.doc(operationId="remindCallStates", summary="Remind States that have not answered", description=(
    "The office only. Mails the focal points of each State (and the colleagues they invited who have not "
    "submitted) now; States that have submitted are left out and listed."))
def remind(args: dict[str, Any], key: str):
    out = followup.remind(db(), actor(), clock_fn(), key, args["states"])
    commit()
    return out


@blp.post(f"/calls/{KEY}/responses/<int(max=2147483647):response_id>/reopen")
@blp.arguments(ReopenSchema)
@blp.response(200, ReopenedSchema)
@errors(blp, 401, 403, 404, 409, 413, 422)
@blp.doc(operationId="reopenCallResponse", summary="Reopen a submitted response", description=(
    "The office only, at the respondent's request: the response becomes a draft again, its submitted "
    "version is kept and no longer counted. 409 when it is not submitted."))
def reopen(args: dict[str, Any], key: str, response_id: int):
    access.require_office(actor())
    call = registry.get_call(db(), key)
    existing = db().get(CallResponse, response_id)
    if existing is None or existing.call_id != call.id:
        raise NotFound("there is no such response")
    # The State side's module: reopening is its business, the office only asks for it.
    from tacase.services.calls import responses

    response = responses.reopen(db(), actor(), clock_fn(), response_id, reason=args["reason"])
    commit()
    return {"id": response.id, "call": call.key, "status": response.status,
            "reopened_count": response.reopened_count, "version": response.version}
