"""The audit log for the Board of Trustees and administrators: read it, filter it, verify it."""

from __future__ import annotations

from typing import Any

from marshmallow import EXCLUDE, Schema

from tacase.services import audit_queries
from tacase.web.api.common import API_PREFIX, Blueprint, errors
from tacase.web.api.fields import QueryBoolean
from tacase.web.api.schemas import AuditArgs, AuditPageSchema, VerificationSchema
from tacase.web.context import actor, db

blp = Blueprint("audit", __name__, url_prefix=f"{API_PREFIX}/audit",
                description="The tamper-evident audit log")


@blp.get("")
@blp.arguments(AuditArgs, location="query")
@blp.response(200, AuditPageSchema)
@errors(blp, 401, 403)
@blp.doc(operationId="listAuditEvents")
@blp.doc(summary="Audit events", description=(
    "In sequence order. Filter by `case` (reference), `actor` (user id), `action` (exact, or a prefix "
    "ending in a dot such as `auth.`), `since` and `until`. Pass `next_cursor` as `cursor` for the "
    "next page."))
def list_audit(args: dict[str, Any]):
    flt = audit_queries.AuditFilter(case=args.get("case"), actor_id=args.get("actor"),
                                    action=args.get("action"), at_from=args.get("since"),
                                    at_to=args.get("until"))
    items, cursor = audit_queries.list_events(db(), actor(), flt, after=args["cursor"], limit=args["limit"])
    return {"items": items, "next_cursor": cursor}


class VerifyArgs(Schema):
    class Meta:
        unknown = EXCLUDE

    full = QueryBoolean(load_default=False, metadata={
        "description": "from the first event, not from the last checkpoint (slower: every event)"})


@blp.get("/verify")
@blp.arguments(VerifyArgs, location="query")
@blp.response(200, VerificationSchema)
@errors(blp, 401, 403, 422)
@blp.doc(operationId="verifyAuditChain")
@blp.doc(summary="Verify the hash chain", description=(
    "Recomputes every link after the last checkpoint (the scheduler verifies every few minutes and "
    "the whole chain every night), or every link with `full=true`; `ok` is false with "
    "`first_bad_seq` naming the first event that was edited, removed, inserted or moved, and "
    "`last_full_verification` says when the whole chain was last verified and what was found."))
def verify_audit(args: dict[str, Any]):
    return audit_queries.verify(db(), actor(), full=args["full"]).as_dict()
