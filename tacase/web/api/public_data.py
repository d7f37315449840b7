"""The public record's figures and open data as JSON, for anyone: how many published requests each
filter finds, and the dictionary of the open-data files. Cacheable, rate limited per address, no
cookie, like the rest of the public API."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from marshmallow import fields as ma

from tacase.services import public_record
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.public import cacheable
from tacase.web.auth import public
from tacase.web.context import db
from tacase.web.views.public_data import dictionary

blp = Blueprint("public-data", __name__, url_prefix=f"{API_PREFIX}/public",
                description="The public record's figures and open data")

class PublicCountsSchema(Schema):
    total = ma.Integer(metadata={"description": "all published requests"})
    refreshed_at = ma.String(allow_none=True, metadata={
        "description": "when the counts were made (UTC); null before the first time"})
    state = ma.Dict(keys=ma.String(), values=ma.Integer(), metadata={"description": "by State code"})
    type = ma.Dict(keys=ma.String(), values=ma.Integer(), metadata={"description": "by type of request"})
    fund = ma.Dict(keys=ma.String(), values=ma.Integer(), metadata={"description": "by fund"})
    status = ma.Dict(keys=ma.String(), values=ma.Integer(), metadata={"description": "by status"})
    year = ma.Dict(keys=ma.String(), values=ma.Integer(), metadata={"description": "by year submitted"})


class DictionaryColumnSchema(Schema):
    name = ma.String()
    type = ma.String(metadata={"description": "text, code, date, number, integer, boolean or list"})
    type_words = ma.String()
    title = ma.String()
    description = ma.String()


class DictionaryFileSchema(Schema):
    name = ma.String()
    url = ma.String()
    media_type = ma.String()
    built_at = ma.String(allow_none=True, metadata={
        "description": "null while the file is made on request, until the next build"})


class DictionarySchema(Schema):
    title = ma.String()
    licence = ma.Dict(keys=ma.String(), values=ma.String(), metadata={"description": "name and url"})
    last_updated = ma.String(allow_none=True)
    files = ma.List(ma.Nested(DictionaryFileSchema))
    columns = ma.List(ma.Nested(DictionaryColumnSchema), metadata={
        "description": "every column of the files, in their order"})


@blp.get("/counts")
@public
@blp.response(200, PublicCountsSchema)
@errors(blp, 429)
@blp.doc(operationId="getRecordCounts")
@blp.doc(summary="How many published requests each value of each filter finds", description=(
    "Counted over all published requests, refreshed every few minutes and at once when a State "
    "gives or withdraws its consent. A value no published request has is left out."), security=[])
def record_counts() -> Any:
    body, at = public_record.filter_counts(db())
    empty: dict[str, Any] = {name: {} for name in public_record.COUNTED}
    return cacheable({"total": 0, **empty, **body, "refreshed_at": at})


@blp.get("/dictionary")
@public
@blp.response(200, DictionarySchema)
@errors(blp, 429)
@blp.doc(operationId="getDataDictionary")
@blp.doc(summary="The open-data files: where they are, their licence and what each column holds",
         security=[])
def data_dictionary() -> Any:
    return cacheable(dictionary())


def limit_per_address(app: Any) -> None:
    limiter = app.extensions["tacase"]["limiter"]
    limiter.limit(app.extensions["tacase"]["config"].PUBLIC_LIMIT_PER_ADDRESS)(blp)

