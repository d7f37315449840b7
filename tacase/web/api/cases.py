"""Cases: list, open, read, edit, fire transitions, history and comments."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request, url_for
from flask.views import MethodView

from tacase.db.models import Case
from tacase.services import case_queries, cases, comments, history, idempotency, public_record, transitions
from tacase.services.assignment import assign
from tacase.services.deadline_sweep import step_events
from tacase.services.people import as_seen_by
from tacase.web.api.common import (
    API_PREFIX,
    Blueprint,
    case_detail,
    case_summary,
    errors,
    etag_of,
    expected_version,
    if_match,
    json_ready,
    spec_json,
)
from tacase.web.api.fields import CASE_CHANGES, IDEMPOTENCY_KEY_PATTERN, NEW_CASE, STEP, json_body
from tacase.web.api.schemas import (
    AssignSchema,
    AvailableTransitionSchema,
    CaseCreateSchema,
    CaseListArgs,
    CasePageSchema,
    CaseSchema,
    CaseUpdateSchema,
    CommentCreateSchema,
    CommentSchema,
    ConsentAnswerSchema,
    ConsentSchema,
    EventSchema,
    TransitionRequestSchema,
)
from tacase.web.context import actor, clock, clock_fn, commit, db, ext, idempotency_lease
from tacase.web.errors import ApiError
from tacase.web.views.case_forms import field_labels

blp = Blueprint("cases", __name__, url_prefix=f"{API_PREFIX}/cases",
                description="Requests for assistance and their workflow")

IDEMPOTENCY_HEADER = "Idempotency-Key"


def _dumped(case: Case, *, step_started: bool = False) -> dict[str, Any]:
    """The case as every answer shows it (the same date format whatever the route). A step that
    has just started (a new draft, a transition) has no reminder or flag yet: nothing to read."""
    events = None if step_started else step_events(db(), [case]).get(case.id)
    return json_ready(case_detail(case, cases.definition_of(db(), case), actor(), clock(), events))


def _with_etag(case: Case) -> Response:
    response = jsonify(_dumped(case))
    response.headers["ETag"] = etag_of(case)
    return response


def _committed(case: Case, *, step_started: bool = False) -> Response:
    """A change's answer: the case read in the change's own transaction, then the commit (not a
    second transaction afterwards to read it again)."""
    body = _dumped(case, step_started=step_started)
    commit()
    response = jsonify(body)
    response.headers["ETag"] = etag_of(case)
    return response


def _fields_from(args: dict[str, Any], *skip: str) -> dict[str, Any]:
    """Fields sent flat or under `fields`; one field sent both ways is refused, as neither would be
    the one the client meant."""
    flat = {k: v for k, v in args.items() if k not in ("fields", *skip)}
    nested = args.get("fields") or {}
    twice = sorted(set(flat) & set(nested))
    if twice:
        raise ApiError(422, "some fields are not valid", code="validation_failed", errors={
            name: ["sent both at the top level and under `fields`; send it once"] for name in twice})
    return {**flat, **nested}


@blp.route("")
class CaseCollection(MethodView):
    @blp.arguments(CaseListArgs, location="query")
    @blp.response(200, CasePageSchema)
    @errors(blp, 401, 403)
    @blp.doc(operationId="listCases")
    @blp.doc(summary="List cases", description=(
        "Filters combine with AND; `status`, `type` and `state` may repeat. A State's users see only "
        "their State's cases. `sort` is a field name, descending with a leading `-`; cases without a "
        "due date come last either way. Pages go up to 1000; `next_cursor` continues a list however "
        "deep. `total` is exact up to 10,000 (`total_exact`)."))
    def get(self, args: dict[str, Any]):
        flt = case_queries.CaseFilter(
            status=tuple(args["status"]), type=tuple(args["type"]), state=tuple(args["state"]),
            assignee=args.get("assignee"), overdue=args.get("overdue"), q=args.get("q"),
            created_from=args.get("created_from"), created_to=args.get("created_to"),
            updated_from=args.get("updated_from"), updated_to=args.get("updated_to"),
        )
        now = clock()
        viewer = actor()
        page = case_queries.list_cases(db(), viewer, flt, now, sort=args["sort"], page=args["page"],
                                       per_page=args["per_page"], cursor=args.get("cursor"),
                                       memory=ext()["list_memory"])
        events = step_events(db(), page.items)
        items = [json_ready(case_summary(c, cases.definition_of_row(db(), c), viewer, now, events.get(c.id)))
                 for c in page.items]
        return jsonify({"items": items, "total": page.total, "total_exact": page.total_exact,
                        "page": page.page, "per_page": page.per_page, "pages": page.pages,
                        "next_cursor": page.next_cursor})

    @blp.arguments(CaseCreateSchema)
    @blp.response(201, CaseSchema, headers={
        "Location": {"description": "the new case", "schema": {"type": "string"}},
        "ETag": {"description": "the case's version", "schema": {"type": "string"}}})
    @errors(blp, 400, 401, 403, 409, 413)
    @blp.doc(operationId="openCase")
    @blp.doc(summary="Open a draft request", requestBody=json_body(NEW_CASE), parameters=[{
        "in": "header", "name": IDEMPOTENCY_HEADER, "required": False,
        "schema": {"type": "string", "pattern": IDEMPOTENCY_KEY_PATTERN},
        "description": "a retry with the same key and body gets the first answer and no second case"}])
    def post(self, args: dict[str, Any]):
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return self._create(args, None)
        problem = idempotency.key_problem(key)
        if problem:
            raise ApiError(400, problem, code="bad_idempotency_key")
        viewer = actor()
        fingerprint = idempotency.request_fingerprint("cases.create", request.get_json(silent=True))
        with ext()["sessions"]() as s:
            claim = idempotency.claim(s, viewer.id, key, "cases.create", fingerprint, clock(),
                                      idempotency_lease())
            s.commit()
        if claim.outcome == idempotency.MISMATCH:
            raise ApiError(422, "this Idempotency-Key was used with another request body",
                           code="idempotency_key_reused")
        if claim.outcome == idempotency.IN_FLIGHT:
            raise ApiError(409, "a request with this Idempotency-Key is still being processed; retry later",
                           code="idempotency_key_in_flight", headers={"Retry-After": "1"})
        if claim.outcome == idempotency.REPLAY:
            response = jsonify(claim.body)
            response.status_code = claim.status or 200
            response.headers["Idempotent-Replayed"] = "true"
            if claim.location:
                response.headers["Location"] = claim.location
            if isinstance(claim.body, dict) and isinstance(claim.body.get("version"), int):
                response.headers["ETag"] = f'"v{claim.body["version"]}"'
            return response
        try:
            return self._create(args, claim.record_id)
        except BaseException:
            # Every way out but an answer frees the key at once, a worker stopped for taking too long
            # (SystemExit) included; only a killed process leaves it to its lease.
            db().rollback()
            with ext()["sessions"]() as s:
                idempotency.release(s, claim.record_id)
                s.commit()
            raise

    def _create(self, args: dict[str, Any], claim_id: int | None) -> Response:
        case = cases.open_draft(db(), actor(), clock_fn(), type=args["type"],
                                fields=_fields_from(args, "type"))
        location = url_for("cases.CaseItem", reference=case.reference)
        body = _dumped(case, step_started=True)
        if claim_id is not None:
            idempotency.complete(db(), claim_id, 201, body, location)
        commit()
        response = jsonify(body)
        response.status_code = 201
        response.headers["Location"] = location
        response.headers["ETag"] = etag_of(case)
        return response


@blp.route("/<reference>")
class CaseItem(MethodView):
    @blp.response(200, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @errors(blp, 401, 403, 404)
    @blp.doc(operationId="getCase")
    @blp.doc(summary="Read a case",
             description="The ETag names the case's version; send it back in If-Match.")
    def get(self, reference: str):
        case = cases.get_case(db(), actor(), reference)
        if request.if_none_match.contains_weak(etag_of(case).strip('"')):
            response = Response(status=304)
            response.headers["ETag"] = etag_of(case)
            return response
        return _with_etag(case)

    @blp.arguments(CaseUpdateSchema)
    @blp.response(200, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @errors(blp, 400, 401, 403, 404, 409, 412, 413, 428)
    @blp.doc(operationId="editCase")
    @blp.doc(summary="Edit a draft or returned request", requestBody=json_body(CASE_CHANGES),
             parameters=[if_match(required=True)])
    def patch(self, args: dict[str, Any], reference: str):
        case = cases.update_case(db(), actor(), clock_fn(), reference, _fields_from(args),
                                 expected_version=expected_version(required=True))
        return _committed(case)


@blp.route("/<reference>/transitions")
class CaseTransitions(MethodView):
    @blp.response(200, AvailableTransitionSchema(many=True))
    @errors(blp, 401, 403, 404)
    @blp.doc(operationId="listTransitions")
    @blp.doc(summary="What you may do with the case now", description=(
        "Each trigger you may fire from the current status, the fields it must record, and the "
        "guards that would refuse it now (`ready` is false while any would)."))
    def get(self, reference: str):
        case, available = transitions.available_transitions(db(), actor(), reference)
        definition = cases.definition_of(db(), case)
        viewer = actor()
        out = []
        for item in available:
            t = item.transition
            dest = definition.states[t.dest]
            out.append({
                "trigger": t.trigger, "label": t.label, "to": t.dest,
                "to_label": dest.public_label if viewer.is_state_user else dest.staff_label,
                "fields": [spec_json(f) for f in t.record], "ready": not item.blocked_by,
                "blocked_by": [{"guard": g, "reason": why} for g, why in item.blocked_by],
            })
        return out

    @blp.arguments(TransitionRequestSchema)
    @blp.response(200, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @errors(blp, 400, 401, 403, 404, 409, 412, 413)
    @blp.doc(operationId="fireTransition")
    @blp.doc(summary="Fire a transition", description=(
        "409 names the triggers allowed now, or the guards that refused, or says that another "
        "change won the race. With If-Match, 412 when the case changed since it was read."),
        requestBody=json_body(STEP), parameters=[if_match(required=False)])
    def post(self, args: dict[str, Any], reference: str):
        case = transitions.fire_transition(
            db(), actor(), clock_fn(), reference, args["trigger"], comment=args.get("comment"),
            data=args.get("data") or {}, expected_version=expected_version(required=False),
        )
        return _committed(case, step_started=True)


@blp.route("/<reference>/assignee")
class CaseAssignee(MethodView):
    @blp.arguments(AssignSchema)
    @blp.response(200, CaseSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @errors(blp, 400, 401, 403, 404, 409, 412, 413)
    @blp.doc(operationId="assignCase")
    @blp.doc(summary="Assign the case to an officer (or to nobody with null)",
             parameters=[if_match(required=False)])
    def put(self, args: dict[str, Any], reference: str):
        case = assign(db(), actor(), clock_fn(), reference, args["assignee_id"],
                      expected_version=expected_version(required=False))
        return _committed(case)


def public_field_labels(definition: Any) -> list[str]:
    labels = field_labels(definition)
    return [labels.get(name, name) for name in definition.public_fields()]


@blp.route("/<reference>/consent")
class CaseConsent(MethodView):
    @blp.arguments(ConsentSchema)
    @blp.response(200, ConsentAnswerSchema, headers={"ETag": {"schema": {"type": "string"}}})
    @errors(blp, 401, 403, 404, 409, 412, 413, 422)
    @blp.doc(operationId="setConsent")
    @blp.doc(summary="Give or withdraw the State's consent to publish the request (its focal points only)",
             description="While the State consents, the request is on the public record from its submission "
                         "onwards, showing only `public_fields`; withdrawing takes it off every public page, "
                         "file and feed at once. Recorded in the audit log with who and when.",
             parameters=[if_match(required=False)])
    def put(self, args: dict[str, Any], reference: str):
        case = public_record.set_consent(db(), actor(), clock_fn(), reference, args["consent"],
                                         expected_version=expected_version(required=False))
        shown = public_field_labels(cases.definition_of(db(), case))
        answer = {"reference": case.reference, "consent_to_publish": case.consent_to_publish,
                  "version": case.version, "public_fields": shown}
        commit()
        response = jsonify(answer)
        response.headers["ETag"] = etag_of(case)
        return response


@blp.get("/<reference>/events")
@blp.response(200, EventSchema(many=True))
@errors(blp, 401, 403, 404)
@blp.doc(operationId="listCaseEvents")
@blp.doc(summary="The case's history, as you may see it")
def case_events(reference: str):
    return history.case_events(db(), actor(), reference)


def _comment_json(rows: list[Any]) -> list[dict[str, Any]]:
    authors = as_seen_by(db(), actor(), (c.author_id for c in rows))
    return [{"id": c.id, "body": c.body, "visibility": c.visibility, "author": authors.get(c.author_id),
             "created_at": c.created_at} for c in rows]


@blp.route("/<reference>/comments")
class CaseComments(MethodView):
    @blp.response(200, CommentSchema(many=True))
    @errors(blp, 401, 403, 404)
    @blp.doc(operationId="listComments")
    @blp.doc(summary="Comments on the case (a State's users never see internal ones)")
    def get(self, reference: str):
        return _comment_json(comments.list_comments(db(), actor(), reference))

    @blp.arguments(CommentCreateSchema)
    @blp.response(201, CommentSchema)
    @errors(blp, 400, 401, 403, 404, 413)
    @blp.doc(operationId="addComment")
    @blp.doc(summary="Comment on the case",
             description="`internal` stays in the office; `state` is seen by the State.")
    def post(self, args: dict[str, Any], reference: str):
        comment = comments.add_comment(db(), actor(), clock_fn(), reference, args["body"],
                                       args["visibility"])
        commit()
        return _comment_json([comment])[0]
