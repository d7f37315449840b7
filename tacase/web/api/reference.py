"""Reference data: the workflows in force and the States that may request assistance."""

from __future__ import annotations

from typing import Any

from tacase.engine.definitions import WorkflowDefinition
from tacase.engine.machine import mermaid
from tacase.reference import requesting_states
from tacase.web.api.common import API_PREFIX, Blueprint, errors, spec_json
from tacase.web.api.schemas import StateSchema, WorkflowSchema, WorkflowSummarySchema
from tacase.web.context import runtime
from tacase.web.errors import ApiError

blp = Blueprint("reference", __name__, url_prefix=API_PREFIX, description="Workflows and States")


def _summary(d: WorkflowDefinition) -> dict[str, Any]:
    return {"type": d.type, "title": d.title, "description": d.description, "version": d.version,
            "sha256": d.sha256, "reference_prefix": d.reference_prefix}


def _deadline(deadline: Any) -> dict[str, Any] | None:
    if deadline is None:
        return None
    return {"days": deadline.days, "unit": "working_days" if deadline.working else "calendar_days",
            "party": deadline.party, "remind_after_days": deadline.remind_after_days}


def workflow_json(d: WorkflowDefinition) -> dict[str, Any]:
    finals = d.final_states()
    return {
        **_summary(d), "initial": d.initial, "reminder_share": d.reminder_share,
        "fields": [spec_json(f) for f in d.fields],
        "states": [{
            "name": s.name, "staff_label": s.staff_label, "public_label": s.public_label,
            "deadline": _deadline(s.deadline), "office_clock_paused": s.office_clock_paused,
            "editable_by_state": s.editable_by_state, "final": s.name in finals,
            "description": s.description,
        } for s in d.states.values()],
        "transitions": [{
            "trigger": t.trigger, "label": t.label, "from": list(t.sources), "to": t.dest,
            "roles": list(t.roles), "guards": [{"name": g.name, "params": g.params} for g in t.guards],
            "record": [{**spec_json(f), "visible_to_state": f.visible_to_state} for f in t.record],
            "description": t.description, "comment_visible_to_state": t.comment_visible_to_state,
        } for t in d.transitions],
        "mermaid": mermaid(d), "public_mermaid": mermaid(d, public=True),
    }


@blp.get("/workflows")
@blp.response(200, WorkflowSummarySchema(many=True))
@errors(blp, 401, 403)
@blp.doc(operationId="listWorkflows")
@blp.doc(summary="The request types and their workflows in force")
def list_workflows():
    return [_summary(d) for d in runtime().workflows.current.values()]


@blp.get("/workflows/<wtype>")
@blp.response(200, WorkflowSchema)
@errors(blp, 401, 403, 404)
@blp.doc(operationId="getWorkflow")
@blp.doc(summary="One workflow: states with both labels, transitions, deadlines, diagram")
def get_workflow(wtype: str):
    definition = runtime().workflows.current.get(wtype)
    if definition is None:
        raise ApiError(404, f"no workflow {wtype!r}; known: {', '.join(runtime().workflows.types())}")
    return workflow_json(definition)


@blp.get("/states")
@blp.response(200, StateSchema(many=True))
@errors(blp, 401, 403)
@blp.doc(operationId="listStates")
@blp.doc(summary="Member and observer States, with names in the six UN languages")
def list_states():
    return [{"code": s.iso3, "iso2": s.iso2, "un_status": s.un_status, "names": s.names,
             "region": s.region} for s in requesting_states().values()]
