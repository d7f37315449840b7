"""The business calendar in force, and the closures administrators record on it."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, validate
from marshmallow import fields as ma

from tacase.db.models import CalendarClosure
from tacase.services import closures as closure_service
from tacase.services.closures import MAX_REASON
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.schemas import MAX_ID
from tacase.web.context import actor, clock_fn, commit, db

blp = Blueprint("calendar", __name__, url_prefix=f"{API_PREFIX}/calendar",
                description="The business calendar: weekends, public holidays, closures")

COUNTING = (
    "Deadlines in working days count only days not listed here, on the duty station's clock: 15 "
    "working days from a Monday at 10:00 end at 10:00 local time on the 15th working day after it. "
    "Deadlines in calendar days count every day. While a request waits on the State (returned for "
    "information), the office's clock pauses and resumes with the time it had left. A closure "
    "recorded or removed later does not move a due date already set; steps started afterwards count it."
)

# Schemas live here rather than in schemas.py: nothing else uses them.


class RangeArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    # `from` is a Python keyword: the attribute is `start`, the parameter `from`.
    start = ma.Date(data_key="from", metadata={"description": "first day (YYYY-MM-DD), included"})
    end = ma.Date(data_key="to", metadata={"description": "last day (YYYY-MM-DD), included"})


class ClosureCreateSchema(Schema):
    day = ma.Date(required=True, metadata={"description": "YYYY-MM-DD; a working day"})
    reason = ma.String(required=True, validate=validate.Length(min=1, max=MAX_REASON))


class ClosureSchema(Schema):
    id = ma.Integer()
    station = ma.String()
    day = ma.Date()
    reason = ma.String()
    created_by_id = ma.Integer(allow_none=True)
    created_at = ma.DateTime()


class ReasonSchema(Schema):
    kind = ma.String(validate=validate.OneOf(["weekend", "holiday", "closure"]))
    name = ma.String(metadata={"description": "the holiday's name (holiday) or the weekday (weekend)"})
    reason = ma.String(metadata={"description": "why the office is closed (closure)"})


class ClosedDaySchema(Schema):
    date = ma.Date()
    weekday = ma.String()
    reasons = ma.List(ma.Nested(ReasonSchema), metadata={"description": "every reason; at least one"})


class CalendarSchema(Schema):
    duty_station = ma.String(metadata={"description": "country or country-subdivision, e.g. CH-GE"})
    timezone = ma.String(metadata={"description": "the duty station's time zone (IANA)"})
    weekend = ma.List(ma.String(), metadata={"description": "weekday names"})
    start = ma.Date(data_key="from")
    end = ma.Date(data_key="to")
    non_working_days = ma.List(ma.Nested(ClosedDaySchema))
    counting = ma.String(metadata={"description": "how deadlines are counted on this calendar"})


def closure_json(closure: CalendarClosure) -> dict[str, Any]:
    return {"id": closure.id, "station": closure.station, "day": closure.day, "reason": closure.reason,
            "created_by_id": closure.created_by_id, "created_at": closure.created_at}


def _reason_json(kind: str, text: str) -> dict[str, str]:
    return {"kind": kind, ("reason" if kind == "closure" else "name"): text}


@blp.get("")
@blp.arguments(RangeArgs, location="query")
@blp.response(200, CalendarSchema)
@errors(blp, 401, 403)
@blp.doc(operationId="getCalendar")
@blp.doc(summary="The calendar in force: every non-working day in a range, and why", description=(
    "From `from` to `to` (both included). At most 366 days are listed: a longer range stops after "
    "366 days, and the answer's `to` says where; a `to` before `from` lists nothing. Without them: "
    "today at the duty station to 60 days ahead (with only a `to` before today: the 60 days up to "
    "it). Each "
    "non-working day lists every reason it is one: `weekend`, `holiday` (with its `name`) or "
    "`closure` (with its `reason`).\n\n" + COUNTING))
def get_calendar(args: dict[str, Any]):
    view = closure_service.calendar_in_force(db(), actor(), clock_fn(), start=args.get("start"),
                                             end=args.get("end"))
    return {
        "duty_station": view.station, "timezone": view.timezone, "weekend": list(view.weekend),
        "start": view.start, "end": view.end,
        "non_working_days": [{"date": d.day, "weekday": d.weekday,
                              "reasons": [_reason_json(r.kind, r.text) for r in d.reasons]}
                             for d in view.closed],
        "counting": COUNTING,
    }


@blp.get("/closures")
@blp.arguments(RangeArgs, location="query")
@blp.response(200, ClosureSchema(many=True))
@errors(blp, 401, 403)
@blp.doc(operationId="listClosures")
@blp.doc(summary="Closures recorded for the duty station", description=(
    "Days the office is closed beyond weekends and public holidays, in day order; `from` and `to` "
    "(both included) narrow the list; a `to` before `from` lists nothing."))
def list_closures(args: dict[str, Any]):
    rows = closure_service.list_closures(db(), actor(), start=args.get("start"), end=args.get("end"))
    return [closure_json(c) for c in rows]


@blp.post("/closures")
@blp.arguments(ClosureCreateSchema)
@blp.response(201, ClosureSchema)
@errors(blp, 400, 401, 403, 413)
@blp.doc(operationId="addClosure")
@blp.doc(summary="Record a closure (administrators)", description=(
    "The day must be a working day: not a weekend, a public holiday or a day already closed (422 "
    "naming `day` otherwise). Due dates already set are not recomputed; steps started from now on "
    "count the day as closed."))
def add_closure(args: dict[str, Any]):
    closure = closure_service.add_closure(db(), actor(), clock_fn(), args["day"], args["reason"])
    commit()
    return closure_json(closure), 201


@blp.delete(f"/closures/<int(max={MAX_ID}):closure_id>")
@blp.response(204)
@errors(blp, 401, 403, 404)
@blp.doc(operationId="removeClosure")
@blp.doc(summary="Remove a closure (administrators)", description=(
    "Due dates already set are not recomputed; steps started from now on count the day as working."))
def remove_closure(closure_id: int):
    closure_service.remove_closure(db(), actor(), clock_fn(), closure_id)
    commit()
    return ""
