"""Published timeliness as JSON: the same figures as the statistics page, for anyone, cacheable."""

from __future__ import annotations

from marshmallow import Schema
from marshmallow import fields as ma

from tacase.services import timeliness
from tacase.web.api.common import errors
from tacase.web.api.public import blp, cacheable
from tacase.web.auth import public
from tacase.web.context import clock, db


class PublicStatisticsSchema(Schema):
    built_at = ma.String(metadata={"description": "when the figures were computed (UTC)"})
    rolling = ma.Dict(metadata={"description": "the rolling 12 months: from and to (dates)"})
    years = ma.List(ma.Integer(), metadata={"description": "the calendar years with completed steps"})
    stages = ma.List(ma.String(), metadata={
        "description": "review, decision, delivery, evaluation and end_to_end (submission to decision)"})
    age_limits = ma.List(ma.Integer(), metadata={"description": "working days that bound the age bands"})
    deadlines = ma.Dict(metadata={"description": "each request type's deadline per stage, in working days"})
    all = ma.Dict(metadata={"description": "all request types: 'rolling' and each year, then per stage "
                                           "completed, fewer_than_5, median_days, p80_days and "
                                           "within_deadline_share; null where fewer than 5 steps"})
    by_type = ma.Dict(metadata={"description": "the same, per request type"})
    monthly = ma.Dict(metadata={"description": "per month (YYYY-MM) and stage, all request types"})
    open = ma.Dict(metadata={"description": "steps waiting now, per stage: waiting, overdue and by_age "
                                            "(null stands for fewer than 5)"})


@blp.get("/statistics")
@public
@blp.response(200, PublicStatisticsSchema)
@errors(blp, 429)
@blp.doc(operationId="getPublicStatistics")
@blp.doc(summary="How long the office takes at each stage, for every request (published or not)",
         security=[])
def published_timeliness():
    return cacheable(timeliness.figures_or_build(db(), clock))
