"""Opening, editing and reading cases."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from tacase.db.models import Case, WorkflowVersion
from tacase.engine.definitions import WorkflowDefinition
from tacase.engine.roles import STATE_FOCAL_POINT
from tacase.reference import requesting_state
from tacase.services import audit_log
from tacase.services.access import can_see, speaks_for_state
from tacase.services.actors import Actor
from tacase.services.case_fields import apply_fields, check_dates, field_values, validate_fields
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, Forbidden, NotFound, StaleVersion, ValidationFailed
from tacase.services.references import next_reference
from tacase.services.runtime import runtime_of
from tacase.services.workflow_versions import ensure_version


def definition_of(session: Session, case: Case) -> WorkflowDefinition:
    """The workflow version the case started under, not necessarily the file in force."""
    wv = case.workflow_version
    return runtime_of(session).workflows.version(wv.sha256, lambda: wv.definition, wv.type)


def definition_of_row(session: Session, row: Any) -> WorkflowDefinition:
    """definition_of for a row of a list (case_queries.SUMMARY_COLUMNS), which carries its workflow
    version's hash: the definition comes from memory, or once from the database."""
    return runtime_of(session).workflows.version(row.workflow_sha256, lambda: session.scalar(
        select(WorkflowVersion.definition).where(WorkflowVersion.id == row.workflow_version_id)), row.type)


def get_case(session: Session, actor: Actor, reference: str) -> Case:
    """The case, or NotFound also when the actor may not see it, so existence never leaks."""
    case = None
    if isinstance(reference, str) and len(reference) <= 32:
        # A page reads one case through several services: after the first lookup by reference, the
        # session's identity map answers by primary key (a reference never moves to another row).
        known = session.info.setdefault("case_ids", {})
        case = session.get(Case, known[reference]) if reference in known else None
        if case is None:
            case = session.scalar(select(Case).where(Case.reference == reference))
            if case is not None:
                known[reference] = case.id
    if case is None or not can_see(actor, case):
        raise NotFound(f"case {reference} not found")
    return case


def check_version(case: Case, expected_version: int | None) -> None:
    """Called once what was sent is known to be valid: a stale version is the answer to a request
    that could otherwise succeed, never to one that is wrong in itself."""
    if expected_version is not None and expected_version != case.version:
        raise StaleVersion(
            f"case {case.reference} has changed (now version {case.version}, status {case.status})",
            current_version=case.version, current_status=case.status,
        )


def flush_case(session: Session, case: Case) -> None:
    """Write the case; if another transaction changed it first, this one is a Conflict.

    The session must then be rolled back by its owner, who may read the case's current state.
    """
    reference = case.reference  # the failed flush expires the row: read it first
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(f"case {reference} was changed by someone else at the same time") from None


def open_draft(
    session: Session, actor: Actor, clock: Clock, *, type: str, fields: dict[str, Any] | None = None
) -> Case:
    if STATE_FOCAL_POINT not in actor.roles or not actor.state_code:
        raise Forbidden("only a State's focal point may open a request for that State")
    if requesting_state(actor.state_code) is None:
        raise Forbidden(f"{actor.state_code} is not a Member or observer State")
    workflows = runtime_of(session).workflows
    if type not in workflows.current:
        raise ValidationFailed({"type": [f"unknown request type; known: {', '.join(workflows.types())}"]})
    definition = workflows.get(type)
    clean = validate_fields(definition, fields or {})
    if definition.fund:  # a request type paid from one fund: its source is known, not asked
        clean["funding_source"] = definition.fund
    check_dates(clean)
    now = clock()
    version = ensure_version(session, definition, now)
    case = Case(
        reference=next_reference(session, definition.reference_prefix, now.year),
        type=type, workflow_version=version, state_code=actor.state_code,
        status=definition.initial, created_by_id=actor.id, created_at=now, updated_at=now,
        step_started_at=now, expected_results=[], recipient_institutions=[], sdg_targets=[],
        themes=[], extra={},
        recommendations=[],  # known to be empty: the answer does not read it back from the database
    )
    session.add(case)
    apply_fields(case, definition, clean)
    session.flush()
    audit_log.record(session, actor, now, "case.created", case, {
        "type": type, "state": case.state_code, "status": case.status,
        "workflow": {"version": definition.version, "sha256": definition.sha256},
        "fields": clean,
    })
    return case


def update_case(
    session: Session, actor: Actor, clock: Clock, reference: str, fields: dict[str, Any],
    *, expected_version: int | None = None,
) -> Case:
    """Edit a draft or a returned case; only the requesting State may."""
    case = get_case(session, actor, reference)
    if not speaks_for_state(actor, case):
        raise Forbidden("only the requesting State's focal points may edit a request")
    definition = definition_of(session, case)
    clean = validate_fields(definition, fields)
    check_version(case, expected_version)
    if not definition.states[case.status].editable_by_state:
        editable = [s.name for s in definition.states.values() if s.editable_by_state]
        raise Conflict(
            f"case {case.reference} is {case.status}; it can be edited only when {' or '.join(editable)}",
            current_version=case.version, current_status=case.status,
        )
    current = field_values(case, definition)
    check_dates({**current, **clean})
    changes = apply_fields(case, definition, clean)
    if changes:
        now = clock()
        case.updated_at = now
        flush_case(session, case)
        audit_log.record(session, actor, now, "case.updated", case, {"changes": changes})
    return case
