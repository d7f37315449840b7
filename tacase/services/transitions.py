"""Firing a workflow transition: permission, then guards, then the change, then the record."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.audit.canonical import jsonable
from tacase.db.models import Case, CaseTransition
from tacase.engine.calendar import BusinessCalendar
from tacase.engine.deadlines import schedule, time_left
from tacase.engine.definitions import TransitionDef, WorkflowDefinition
from tacase.engine.fields import validate_values
from tacase.engine.guards import GuardContext, failed_guards, reads_history
from tacase.engine.machine import NotAllowedFromState
from tacase.engine.roles import STATE_FOCAL_POINT
from tacase.services import audit_log, notifications
from tacase.services.actors import Actor
from tacase.services.business_calendar import business_calendar
from tacase.services.case_fields import field_values
from tacase.services.cases import check_version, definition_of, flush_case, get_case
from tacase.services.clock import Clock
from tacase.services.deadline_sweep import first_attention
from tacase.services.errors import Forbidden, GuardFailed, TransitionNotAllowed, ValidationFailed
from tacase.services.runtime import runtime_of

MAX_COMMENT = 8000


def may_fire(actor: Actor, case: Case, transition: TransitionDef) -> bool:
    """The actor holds a role the transition names; a State's role counts only for its own cases."""
    for role in transition.roles:
        if role in actor.roles and (role != STATE_FOCAL_POINT or actor.state_code == case.state_code):
            return True
    return False


@dataclass(frozen=True)
class Available:
    transition: TransitionDef
    blocked_by: list[tuple[str, str]]  # guards that would refuse now


def _history(session: Session, case: Case) -> tuple[tuple[str, int | None], ...]:
    rows = session.execute(
        select(CaseTransition.trigger, CaseTransition.actor_id)
        .where(CaseTransition.case_id == case.id)
        .order_by(CaseTransition.id)
    ).all()
    return tuple((r.trigger, r.actor_id) for r in rows)


def available_transitions(session: Session, actor: Actor, reference: str) -> tuple[Case, list[Available]]:
    """The triggers this actor may fire on the case now, each with the guards that would block it."""
    case = get_case(session, actor, reference)
    definition = definition_of(session, case)
    candidates = [t for t in definition.transitions_from(case.status) if may_fire(actor, case, t)]
    if not candidates:
        return case, []
    history = _history(session, case) if any(reads_history(t.guards) for t in candidates) else ()
    ctx = GuardContext(fields=field_values(case, definition), actor_id=actor.id, history=history)
    return case, [Available(t, failed_guards(t.guards, ctx)) for t in candidates]


def _allowed_for(actor: Actor, case: Case, definition: WorkflowDefinition) -> list[str]:
    return list(dict.fromkeys(
        t.trigger for t in definition.transitions_from(case.status) if may_fire(actor, case, t)
    ))


def fire_transition(
    session: Session, actor: Actor, clock: Clock, reference: str, trigger: str,
    *, comment: str | None = None, data: dict[str, Any] | None = None,
    expected_version: int | None = None,
) -> Case:
    case = get_case(session, actor, reference)
    definition = definition_of(session, case)

    # 1. permission
    named = [t for t in definition.transitions if t.trigger == trigger]
    if not named:
        raise TransitionNotAllowed(trigger, case.status, _allowed_for(actor, case, definition))
    if not any(may_fire(actor, case, t) for t in named):
        raise Forbidden(f"your role may not fire {trigger!r} on this case")
    transition = definition.transition(trigger, case.status)
    if transition is None:
        check_version(case, expected_version)  # a caller behind the times learns that first
        raise TransitionNotAllowed(trigger, case.status, _allowed_for(actor, case, definition))
    if not may_fire(actor, case, transition):
        raise Forbidden(f"your role may not fire {trigger!r} from {case.status!r}")

    # 2. what it must record, then the guards
    if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
        raise ValidationFailed({"comment": [f"must be text of at most {MAX_COMMENT} characters"]})
    record, errors = validate_values(transition.record, data)
    if errors:
        raise ValidationFailed(errors, f"{trigger} must record")
    check_version(case, expected_version)
    ctx = GuardContext(fields=field_values(case, definition), actor_id=actor.id,
                       history=_history(session, case) if reads_history(transition.guards) else (),
                       record=record)
    failures = failed_guards(transition.guards, ctx)
    if failures:
        raise GuardFailed(trigger, failures)

    # 3. the change
    machine = runtime_of(session).workflows.machine(definition)
    try:
        new_status = machine.next_state(case.status, trigger)
    except NotAllowedFromState as exc:  # pragma: no cover - checked above from the same data
        raise TransitionNotAllowed(trigger, case.status, exc.allowed) from None
    now = clock()
    calendar = business_calendar(session)
    old_status = case.status
    spent = max(0.0, calendar.elapsed(case.step_started_at, now))
    case.status = new_status
    case.updated_at = now
    if new_status == "submitted" and case.submitted_at is None:
        case.submitted_at = now
    if new_status in definition.final_states():
        case.closed_at = now
    _enter_state(case, definition, old_status, new_status, now, calendar)
    flush_case(session, case)

    # 4. the record: history, audit event (with the new deadline) in the same transaction
    session.add(CaseTransition(
        case_id=case.id, trigger=trigger, from_state=old_status, to_state=new_status,
        actor_id=actor.id, at=now, comment=comment, record=jsonable(record),
        seconds_in_state=spent,
    ))
    audit_log.record(session, actor, now, "case.transition", case, {
        "trigger": trigger, "from": old_status, "to": new_status, "record": record,
        "comment": comment, "due_at": case.due_at, "due_party": case.due_party,
        "version": case.version,
    })
    # 5. who hears of it: in this transaction, so the messages commit with the change or not at all
    notifications.notify_transition(session, case, definition, trigger, old_status, new_status, record,
                                    now, actor_id=actor.id)
    return case


def _enter_state(case: Case, definition: WorkflowDefinition, old: str, new: str,
                 now: dt.datetime, calendar: BusinessCalendar) -> None:
    """Start the new step's clock; pause the office's step while the State is waited on."""
    old_def, new_def = definition.states[old], definition.states[new]
    if new_def.office_clock_paused and not old_def.office_clock_paused:
        rule = old_def.deadline
        if rule is not None and rule.party == "office" and case.due_at is not None:
            case.paused_state = old
            case.paused_remaining_s = time_left(rule, now, case.due_at, calendar)
    remaining = None
    if case.paused_state is not None and not new_def.office_clock_paused:
        if new == case.paused_state:
            remaining = case.paused_remaining_s
        case.paused_state = None
        case.paused_remaining_s = None
    case.step_started_at = now
    if new_def.deadline is None:
        case.due_at = case.remind_at = case.due_party = case.next_attention_at = None
        return
    times = schedule(new_def.deadline, now, calendar, definition.reminder_share, remaining)
    case.due_at, case.remind_at = times.due_at, times.remind_at
    case.due_party = new_def.deadline.party
    case.next_attention_at = first_attention(case)
