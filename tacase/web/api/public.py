"""The public record as JSON, for anyone, without signing in: cacheable, rate limited per address,
and never setting a cookie. What it shows is decided in tacase.services.public_record alone."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app
from marshmallow import RAISE

from tacase.audit.canonical import json_scalar
from tacase.services import public_record
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.schemas import PublicCaseSchema, PublicListArgs, PublicPageSchema
from tacase.web.auth import public
from tacase.web.context import db
from tacase.web.public_answers import answer, keep, kept_until_the_record_changes

blp = Blueprint("public", __name__, url_prefix=f"{API_PREFIX}/public",
                description="The public record: requests whose State consents to publication")


def cacheable(payload: Any) -> Response:
    """A public answer: the same for everyone, so shared caches may keep it for a while, and a
    client that has it already gets 304. Written once, in one pass of the encoder (the values
    JSON has no word for are converted as it meets them); the ETag is a hash of those bytes."""
    provider = current_app.json
    body = json.dumps(payload, default=json_scalar, ensure_ascii=getattr(provider, "ensure_ascii", True),
                      sort_keys=getattr(provider, "sort_keys", False), separators=(",", ":")) + "\n"
    keep(body)
    return answer(body)


@blp.get("/cases")
@kept_until_the_record_changes
@public
@blp.arguments(PublicListArgs, location="query", unknown=RAISE)
@blp.response(200, PublicPageSchema)
@errors(blp, 422, 429)
@blp.doc(operationId="listPublishedCases")
@blp.doc(summary="The published requests, the most recently submitted first", security=[], description=(
    f"Pages go up to {public_record.MAX_PAGE}; `next_cursor` continues the list however deep, each page "
    "as quick as the first."))
def list_published(args: dict[str, Any]):
    flt = public_record.PublicFilter(state=tuple(args["state"]), type=tuple(args["type"]),
                                     fund=tuple(args["fund"]), status=tuple(args["status"]),
                                     year=args.get("year"))
    page = public_record.published_cases(db(), flt, page=args["page"], per_page=args["per_page"],
                                         cursor=args.get("cursor"))
    numbered = page.page is not None and page.has_next and page.page < public_record.MAX_PAGE
    return cacheable({"items": page.items, "page": page.page, "per_page": page.per_page,
                      "next_page": page.page + 1 if numbered else None, "next_cursor": page.next_cursor})


@blp.get("/cases/<reference>")
@kept_until_the_record_changes
@public
@blp.response(200, PublicCaseSchema)
@errors(blp, 404, 429)
@blp.doc(operationId="getPublishedCase")
@blp.doc(summary="One published request", security=[])
def show_published(reference: str):
    return cacheable(public_record.published_case(db(), reference))


def limit_per_address(app: Any) -> None:
    """Anyone may call these, so each address gets its share (Flask-Limiter, 429 beyond it)."""
    limiter = app.extensions["tacase"]["limiter"]
    limiter.limit(app.extensions["tacase"]["config"].PUBLIC_LIMIT_PER_ADDRESS)(blp)
