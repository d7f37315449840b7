"""The calls for submissions on the public record, as JSON: the calls that publish their submissions and
the submissions whose authors consented. What is shown is decided in
tacase.services.calls.public_submissions alone."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import get_locale
from marshmallow import RAISE, Schema, validate
from marshmallow import fields as ma

from tacase.services.calls import public_submissions
from tacase.web.api.common import errors
from tacase.web.api.public import blp, cacheable
from tacase.web.auth import public
from tacase.web.context import clock, db


def _language() -> str:
    language = str(get_locale() or "en")
    return language if language in ("en", "fr", "es") else "en"


class PublicCallSchema(Schema):
    key = ma.String()
    title = ma.String(metadata={"description": "in the reader's language (Accept-Language or ?lang=)"})
    introduction = ma.String()
    report = ma.String(allow_none=True, metadata={"description": "the report the call feeds"})
    opens_on = ma.Date()
    closes_on = ma.Date()
    submissions = ma.Integer(metadata={"description": "the number of published submissions"})


class PublicCallListSchema(Schema):
    items = ma.List(ma.Nested(PublicCallSchema))


class PublicSubmissionsArgs(Schema):
    page = ma.Integer(load_default=1, validate=validate.Range(min=1, max=public_submissions.MAX_PAGE))
    per_page = ma.Integer(load_default=20,
                          validate=validate.Range(min=1, max=public_submissions.MAX_PER_PAGE))


class PublicSubmissionSchema(Schema):
    id = ma.Integer()
    organisation = ma.String()
    respondent_type = ma.String(metadata={"description": "state, ministry, ..., nhri, civil_society, "
                                                         "academia or other"})
    state = ma.String(allow_none=True, metadata={"description": "ISO alpha-3 code of the State or country"})
    state_name = ma.String(allow_none=True)
    submitted_on = ma.Date()
    texts = ma.List(ma.Dict(), metadata={"description": "the long-text answers: question, label, text"})
    documents = ma.List(ma.Dict(), metadata={
        "description": "id, filename, content_type, size, question, url"})


class PublicSubmissionsPageSchema(Schema):
    call = ma.Nested(PublicCallSchema)
    items = ma.List(ma.Nested(PublicSubmissionSchema))
    page = ma.Integer()
    per_page = ma.Integer()
    total = ma.Integer()
    next_page = ma.Integer(allow_none=True)


@blp.get("/calls")
@public
@blp.response(200, PublicCallListSchema)
@errors(blp, 429)
@blp.doc(operationId="listPublicCalls")
@blp.doc(summary="The calls for submissions whose submissions are published, the newest first", security=[])
def list_public_calls():
    language = _language()
    found = public_submissions.published_calls(db(), clock())
    counts = public_submissions.submission_counts(db(), [c.id for c, _d in found])
    return cacheable({"items": [public_submissions.call_json(c, d, language, counts.get(c.id, 0))
                                for c, d in found]})


@blp.get("/calls/<string(maxlength=64):key>/submissions")
@public
@blp.arguments(PublicSubmissionsArgs, location="query", unknown=RAISE)
@blp.response(200, PublicSubmissionsPageSchema)
@errors(blp, 404, 422, 429)
@blp.doc(operationId="listPublicCallSubmissions")
@blp.doc(summary="The submissions to a call whose authors consented to publication", security=[],
         description="Organisation, type, State or country, date, long texts and documents only: "
                     "never a contact, a draft or a structured answer.")
def list_public_submissions(args: dict[str, Any], key: str):
    language = _language()
    call, definition = public_submissions.published_call(db(), key, clock())
    page = public_submissions.published_submissions(db(), call, definition, language=language,
                                                    page=args["page"], per_page=args["per_page"])
    for item in page.items:
        for document in item["documents"]:
            document["url"] = url_for("web.public_call_document", key=call.key, document_id=document["id"])
    return cacheable({"call": public_submissions.call_json(call, definition, language, page.total),
                      "items": page.items, "page": page.page, "per_page": page.per_page, "total": page.total,
                      "next_page": page.page + 1 if page.has_next else None})
