"""The signed-in user's notifications and how they want their mail."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema, validate
from marshmallow import fields as ma

from tacase.services import notifications as service
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.fields import QueryBoolean, StrictBoolean
from tacase.web.api.schemas import MAX_ID
from tacase.web.context import actor, clock_fn, commit, db

blp = Blueprint("notifications", __name__, url_prefix=API_PREFIX,
                description="Your notifications and mail preferences")


class NotificationListArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    unread = QueryBoolean(load_default=False, metadata={"description": "only those not read yet"})
    before = ma.Integer(validate=validate.Range(min=1, max=MAX_ID),
                        metadata={"description": "`next_before` of the previous page"})
    limit = ma.Integer(load_default=50, validate=validate.Range(min=1, max=service.MAX_PAGE))


class NotificationSchema(Schema):
    id = ma.Integer()
    kind = ma.String(metadata={"description": "status_change, information_request, assignment, reminder, "
                                              "overdue, escalation, state_reminder or last_notice"})
    title = ma.String()
    body = ma.String()
    case = ma.String(allow_none=True, metadata={"description": "the case's reference"})
    created_at = ma.DateTime()
    read_at = ma.DateTime(allow_none=True)


class NotificationPageSchema(Schema):
    items = ma.List(ma.Nested(NotificationSchema))
    next_before = ma.Integer(allow_none=True, metadata={"description": "pass as `before` for the next page"})


class PreferencesSchema(Schema):
    daily_digest = StrictBoolean(required=True, metadata={
        "description": "one mail a day with everything, instead of one mail per event"})


@blp.get("/notifications")
@blp.arguments(NotificationListArgs, location="query")
@blp.response(200, NotificationPageSchema)
@errors(blp, 401, 403)
@blp.doc(operationId="listNotifications")
@blp.doc(summary="Your notifications", description=(
    "Newest first, `limit` at a time (at most 100). Pass `next_before` as `before` for the next page; "
    "`unread=true` leaves out those already read."))
def list_notifications(args: dict[str, Any]):
    items, next_before = service.list_notifications(db(), actor(), unread=args["unread"],
                                                    before=args.get("before"), limit=args["limit"])
    return {"items": items, "next_before": next_before}


@blp.post(f"/notifications/<int(max={MAX_ID}):notification_id>/read")
@blp.response(200, NotificationSchema)
@errors(blp, 401, 403, 404)
@blp.doc(operationId="markNotificationRead")
@blp.doc(summary="Mark a notification read", description=(
    "Only your own; another user's answers 404. Marking it again keeps the first `read_at`."))
def mark_read(notification_id: int):
    out = service.mark_read(db(), actor(), clock_fn(), notification_id)
    commit()
    return out


@blp.get("/me/preferences")
@blp.response(200, PreferencesSchema)
@errors(blp, 401, 403)
@blp.doc(operationId="getPreferences")
@blp.doc(summary="Your mail preferences")
def get_preferences():
    return service.preferences(db(), actor())


@blp.put("/me/preferences")
@blp.arguments(PreferencesSchema)
@blp.response(200, PreferencesSchema)
@errors(blp, 401, 403, 413)
@blp.doc(operationId="setPreferences")
@blp.doc(summary="Change your mail preferences", description=(
    "With `daily_digest` on, mails wait for one summary a day (at the duty station's digest hour); "
    "in-app notifications still arrive at once. Turning it off sends what was waiting in one mail now."))
def put_preferences(args: dict[str, Any]):
    out = service.set_preferences(db(), actor(), clock_fn(), daily_digest=args["daily_digest"])
    commit()
    return out
