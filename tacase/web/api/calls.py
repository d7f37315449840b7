"""Calls for input, the State side: the calls a State is asked to answer, its response, its invitations."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_babel import get_locale
from marshmallow import Schema, validate
from marshmallow import fields as ma

from tacase.db.call_models import STATE_BODY_TYPES
from tacase.services.calls import access, invitations, present, registry, responses
from tacase.services.errors import NotFound
from tacase.services.runtime import runtime_of
from tacase.web.api.common import API_PREFIX, Blueprint, errors, expected_version, if_match
from tacase.web.api.fields import StrictBoolean
from tacase.web.api.schemas import MAX_ID
from tacase.web.context import actor, clock, clock_fn, commit, db

blp = Blueprint("calls", __name__, url_prefix=API_PREFIX,
                description="Calls for input: questionnaires and calls for submissions a State answers")

KEY = "<string(maxlength=64):key>"


def _language() -> str:
    language = str(get_locale() or "en")
    return language if language in ("en", "fr", "es") else "en"


class CallSummarySchema(Schema):
    key = ma.String()
    kind = ma.String(metadata={"description": "questionnaire or submissions"})
    version = ma.Integer()
    title = ma.String(metadata={"description": "in the reader's language"})
    opens_on = ma.Date()
    closes_on = ma.Date()
    closes_at = ma.DateTime(metadata={"description": "the end of the closing day in the office's time zone"})
    closed = ma.Boolean()
    late_responses = ma.String(metadata={"description": "accept or refuse"})
    submitted_by = ma.String(metadata={"description": "focal_point or each"})


class CallListSchema(Schema):
    items = ma.List(ma.Nested(CallSummarySchema))


class ResponseSchema(Schema):
    id = ma.Integer()
    state = ma.String(allow_none=True)
    respondent_kind = ma.String()
    respondent_type = ma.String()
    organisation = ma.String()
    status = ma.String(metadata={"description": "draft or submitted"})
    answers = ma.Dict(metadata={"description": "question key -> answer (the cleaned value)"})
    late = ma.Boolean()
    consent_to_publish = ma.Boolean()
    submitted_at = ma.DateTime(allow_none=True)
    call_version = ma.Integer()
    version = ma.Integer(metadata={
        "description": "send as If-Match \"v<version>\" to save without overwriting"})
    updated_at = ma.DateTime()


class CallDetailSchema(CallSummarySchema):
    introduction = ma.String()
    report = ma.String(allow_none=True)
    questions = ma.List(ma.Dict(), metadata={"description": "the questions, labels in the reader's language"})
    my_response = ma.Nested(ResponseSchema, allow_none=True)


class DraftSchema(Schema):
    answers = ma.Dict(required=True, metadata={
        "description": "question key -> answer; only those given are checked and saved, a blank one clears"})


class SubmitSchema(Schema):
    consent_to_publish = StrictBoolean(load_default=False)
    response_id = ma.Integer(validate=validate.Range(min=1, max=MAX_ID), metadata={
        "description": "the focal point submits another response of its State (a ministry's)"})


class InvitationSchema(Schema):
    id = ma.Integer()
    state = ma.String()
    email = ma.String()
    ministry = ma.String()
    respondent_type = ma.String()
    status = ma.String(metadata={"description": "pending, accepted, expired or revoked"})
    created_at = ma.DateTime()
    expires_at = ma.DateTime()
    accepted_at = ma.DateTime(allow_none=True)
    opened_at = ma.DateTime(allow_none=True)
    revoked_at = ma.DateTime(allow_none=True)
    link = ma.String(metadata={"description": "the single-use link (only when the invitation is created)"})


class InvitationListSchema(Schema):
    items = ma.List(ma.Nested(InvitationSchema))


class NewInvitationSchema(Schema):
    email = ma.String(required=True, validate=validate.Length(max=254))
    ministry = ma.String(required=True, validate=validate.Length(max=200))
    respondent_type = ma.String(required=True, validate=validate.OneOf(STATE_BODY_TYPES))


@blp.get("/calls")
@blp.response(200, CallListSchema)
@errors(blp, 401, 403)
@blp.doc(operationId="listCalls", summary="The calls you may open", description=(
    "A focal point: the calls its State is asked to answer (closed ones for thirty days more); an invited "
    "colleague: the calls it was invited to; the office and the Board: every call."))
def list_calls():
    now, language = clock(), _language()
    items = [present.call_summary(c, registry.definition_of(db(), c), language, now)
             for c in present.visible_calls(db(), actor(), now)]
    return {"items": items}


@blp.get(f"/calls/{KEY}")
@blp.response(200, CallDetailSchema)
@errors(blp, 401, 403, 404)
@blp.doc(operationId="getCall", summary="A call, its questions and your response", description=(
    "Texts in the reader's language (Accept-Language). `my_response` is the State side's own response "
    "if there is one yet (null for the office)."))
def get_call(key: str):
    viewer = actor()
    call = registry.get_call(db(), key)
    mine = None
    if not access.can_read_results(viewer):
        access.require_state_side(db(), viewer, call)
        if call.opens_on > clock().date():
            raise NotFound("there is no such call")
        own = [r for r in responses.state_responses(db(), viewer, key)
               if access.is_focal_point(viewer) == (r.respondent_kind == "state")]
        mine = present.response_json(own[0]) if own else None
    out = present.call_detail(call, registry.definition_of(db(), call), _language(), clock())
    return {**out, "my_response": mine}


def _response_answer(response: Any) -> Any:
    return present.response_json(response), 200, {"ETag": f'"v{response.version}"'}


@blp.get(f"/calls/{KEY}/response")
@blp.response(200, ResponseSchema)
@errors(blp, 401, 403, 404, 409)
@blp.doc(operationId="getCallResponse", summary="Your response (a new draft the first time)")
def get_response(key: str):
    response = responses.my_response(db(), actor(), clock_fn(), key)
    commit()
    return _response_answer(response)


@blp.put(f"/calls/{KEY}/response")
@blp.arguments(DraftSchema)
@blp.response(200, ResponseSchema)
@errors(blp, 401, 403, 404, 409, 412, 413, 422)
@blp.doc(operationId="saveCallResponse", summary="Save answers to your draft",
         parameters=[if_match(required=False)],
         description="Merges the given answers into the draft; each is checked against its question (422 "
                     "names the questions at fault). With If-Match, 412 when the draft changed since.")
def put_response(args: dict[str, Any], key: str):
    response = responses.save_draft(db(), actor(), clock_fn(), key, args["answers"],
                                    expected_version=expected_version(required=False))
    commit()
    return _response_answer(response)


@blp.post(f"/calls/{KEY}/response/submit")
@blp.arguments(SubmitSchema)
@blp.response(200, ResponseSchema)
@errors(blp, 401, 403, 404, 409, 412, 413, 422)
@blp.doc(operationId="submitCallResponse", summary="Submit your response",
         parameters=[if_match(required=False)],
         description="Every answer is checked and every required question must be answered (422). After the "
                     "closing date the response is marked late, or refused if the call accepts no late ones. "
                     "When the call says the focal point submits, an invited colleague gets 403.")
def submit_response(args: dict[str, Any], key: str):
    response = responses.submit(db(), actor(), clock_fn(), key, response_id=args.get("response_id"),
                                consent_to_publish=args["consent_to_publish"],
                                expected_version=expected_version(required=False))
    commit()
    return _response_answer(response)


@blp.get(f"/calls/{KEY}/invitations")
@blp.response(200, InvitationListSchema)
@errors(blp, 401, 403, 404)
@blp.doc(operationId="listCallInvitations", summary="Your State's invitations to the call")
def list_invitations(key: str):
    now = clock()
    return {"items": [invitations.invitation_json(i, now)
                      for i in invitations.list_invitations(db(), actor(), key)]}


@blp.post(f"/calls/{KEY}/invitations")
@blp.arguments(NewInvitationSchema)
@blp.response(201, InvitationSchema)
@errors(blp, 401, 403, 404, 409, 413, 422)
@blp.doc(operationId="inviteToCall", summary="Invite a colleague of your State to answer", description=(
    "Focal points only. The colleague gets a mail with a single-use link that opens an account limited "
    "to your State and this call; it expires thirty days after the closing date."))
def invite(args: dict[str, Any], key: str):
    base_url = runtime_of(db()).public_url or request.host_url
    invitation, link = invitations.invite(db(), actor(), clock_fn(), key, email=args["email"],
                                          ministry=args["ministry"], respondent_type=args["respondent_type"],
                                          base_url=base_url)
    commit()
    return {**invitations.invitation_json(invitation, clock()), "link": link}
