"""The case services on SQLite and PostgreSQL: opening, editing, firing, commenting, assigning."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tacase.audit.store import verify_chain
from tacase.db.models import AuditEvent, Case, CaseTransition
from tacase.services import assignment, audit_log, cases, comments, transitions
from tacase.services.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    NotFound,
    TransitionNotAllowed,
    ValidationFailed,
)


def fire(session, actor, clock, case, trigger, **data):
    return transitions.fire_transition(session, actor, clock, case.reference, trigger, data=data)


@pytest.fixture
def people(make):
    return {
        "fji": make.focal("FJI"),
        "ken": make.focal("KEN"),
        "reviewer": make.user("reviewer"),
        "reviewer2": make.user("reviewer"),
        "approver": make.user("approver"),
        "board": make.user("board"),
        "admin": make.user("admin"),
    }


def actions(session, case):
    audit_log.seal(session)  # this transaction's events, chained as its commit would
    return list(session.scalars(
        select(AuditEvent.action).where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq)
    ))


# --- opening and editing ----------------------------------------------------------------------

def test_open_draft_gives_reference_per_type_and_year(session, make, people, clock):
    first = make.draft(people["fji"])
    second = make.draft(people["fji"])
    other_type = make.draft(people["fji"], "advisory")
    assert first.reference == "UPR-2026-0001"
    assert second.reference == "UPR-2026-0002"
    assert other_type.reference == "ADV-2026-0001"
    assert first.status == "draft" and first.version == 1
    assert first.state_code == "FJI"
    assert first.budget_amount == Decimal("50000.00") and first.budget_currency == "USD"
    assert first.workflow_version.type == "upr_fund"
    assert first.created_at == clock()
    assert actions(session, first) == ["case.created"]


def test_only_focal_points_open_drafts(session, people, clock):
    for who in ("reviewer", "approver", "board", "admin"):
        with pytest.raises(Forbidden):
            cases.open_draft(session, people[who], clock, type="upr_fund", fields={})


def test_unknown_type_and_bad_fields_are_named(session, people, clock):
    with pytest.raises(ValidationFailed) as err:
        cases.open_draft(session, people["fji"], clock, type="nope", fields={})
    assert "type" in err.value.errors
    with pytest.raises(ValidationFailed) as err:
        cases.open_draft(session, people["fji"], clock, type="upr_fund", fields={
            "status": "approved", "budget": {"amount": "1.234", "currency": "USD"},
            "sdg_targets": ["18.1"], "planned_start": "2026-13-01", "upr_cycle": "many",
        })
    assert set(err.value.errors) == {"status", "budget", "sdg_targets", "planned_start", "upr_cycle"}
    assert err.value.errors["status"] == ["unknown field"]


def test_planned_dates_must_be_in_order(session, make, people):
    with pytest.raises(ValidationFailed) as err:
        make.draft(people["fji"], planned_start="2026-06-01", planned_end="2026-05-01")
    assert "planned_end" in err.value.errors


def test_edit_draft_only_by_requesting_state(session, make, people, clock):
    case = make.draft(people["fji"], title="Old title")
    cases.update_case(session, people["fji"], clock, case.reference, {"title": "New title"})
    assert case.title == "New title" and case.version == 2
    assert actions(session, case) == ["case.created", "case.updated"]
    with pytest.raises(NotFound):
        cases.update_case(session, people["ken"], clock, case.reference, {"title": "x"})
    with pytest.raises(Forbidden):
        cases.update_case(session, people["reviewer"], clock, case.reference, {"title": "x"})


def test_edit_with_recommendations_sent_again_or_changed(session, make, people, clock):
    """Edits that carry the recommendations (as every form does) replace the rows, one version each."""
    recs = [{"mechanism": "upr", "document_symbol": "A/HRC/43/8", "paragraph": "98.12"},
            {"mechanism": "treaty_body", "document_symbol": "CEDAW/C/FJI/CO/5", "paragraph": None}]
    case = make.draft(people["fji"], title="Old", recommendations=recs)
    cases.update_case(session, people["fji"], clock, case.reference,
                      {"title": "New", "recommendations": recs})
    assert case.version == 2
    assert [r.document_symbol for r in case.recommendations] == ["A/HRC/43/8", "CEDAW/C/FJI/CO/5"]
    changed = [recs[1], {"mechanism": "special_procedure", "document_symbol": "A/HRC/50/2", "paragraph": "4"}]
    cases.update_case(session, people["fji"], clock, case.reference,
                      {"title": "Newer", "recommendations": changed})
    session.flush()
    assert case.version == 3
    assert [(r.position, r.document_symbol) for r in case.recommendations] == [
        (0, "CEDAW/C/FJI/CO/5"), (1, "A/HRC/50/2")]


def test_edit_with_stale_version_conflicts(session, make, people, clock):
    case = make.draft(people["fji"])
    with pytest.raises(Conflict):
        cases.update_case(session, people["fji"], clock, case.reference, {"title": "x"},
                          expected_version=case.version + 1)


def test_edit_refused_once_submitted_allowed_when_returned(session, make, people, clock):
    case = make.draft(people["fji"])
    fire(session, people["fji"], clock, case, "submit")
    with pytest.raises(Conflict):
        cases.update_case(session, people["fji"], clock, case.reference, {"title": "x"})
    fire(session, people["reviewer"], clock, case, "return_to_state", questions="Budget details?")
    cases.update_case(session, people["fji"], clock, case.reference, {"title": "Clearer title"})
    assert case.title == "Clearer title"


def test_other_states_cases_are_not_found(session, make, people):
    case = make.draft(people["fji"])
    with pytest.raises(NotFound):
        cases.get_case(session, people["ken"], case.reference)
    with pytest.raises(NotFound):
        cases.get_case(session, people["fji"], "UPR-2026-9999")
    for who in ("reviewer", "approver", "board", "admin"):
        assert cases.get_case(session, people[who], case.reference) is case


# --- transitions --------------------------------------------------------------------------------

def test_full_lifecycle_records_each_step(session, make, people, clock):
    case = make.draft(people["fji"])
    steps = [
        ("fji", "submit", {}),
        ("reviewer", "return_to_state", {"questions": "Please add indicators"}),
        ("fji", "resubmit", {"reply": "Added"}),
        ("reviewer", "review", {"assessment": "Sound", "recommendation": "approve"}),
        ("approver", "approve", {"approved_amount": {"amount": "45000", "currency": "USD"}}),
        ("reviewer", "deliver", {"start_date": "2026-06-01", "end_date": "2026-11-30",
                                 "activities": "Three workshops",
                                 "amount": {"amount": "44000", "currency": "USD"}}),
        ("reviewer", "evaluate", {"rating": "satisfactory", "findings": "Law adopted"}),
    ]
    for who, trigger, data in steps:
        clock.advance(days=1)
        fire(session, people[who], clock, case, trigger, **data)
    assert case.status == "evaluated"
    assert case.closed_at == clock() and case.due_at is None
    assert case.submitted_at is not None
    history = session.scalars(
        select(CaseTransition).where(CaseTransition.case_id == case.id).order_by(CaseTransition.id)
    ).all()
    assert [h.trigger for h in history] == [s[1] for s in steps]
    assert history[4].record == {"approved_amount": {"amount": "45000.00", "currency": "USD"}}
    assert actions(session, case) == ["case.created"] + ["case.transition"] * len(steps)
    assert verify_chain(session).ok


def test_transition_not_allowed_names_the_allowed_ones(session, make, people, clock):
    case = make.draft(people["fji"])
    with pytest.raises(TransitionNotAllowed) as err:
        fire(session, people["fji"], clock, case, "resubmit", reply="x")
    assert err.value.allowed == ["submit", "withdraw"]
    with pytest.raises(TransitionNotAllowed):
        fire(session, people["fji"], clock, case, "no_such_trigger")


def test_wrong_role_is_forbidden(session, make, people, clock):
    case = make.draft(people["fji"])
    with pytest.raises(Forbidden):
        fire(session, people["reviewer"], clock, case, "submit")
    fire(session, people["fji"], clock, case, "submit")
    with pytest.raises(Forbidden):
        fire(session, people["fji"], clock, case, "review", assessment="x", recommendation="approve")
    with pytest.raises(Forbidden):
        fire(session, people["board"], clock, case, "review", assessment="x", recommendation="approve")
    assert case.status == "submitted"


def test_guard_failure_names_the_guard_and_fields(session, make, people, clock):
    case = make.draft(people["fji"], budget=None, channel_reference="")
    with pytest.raises(GuardFailed) as err:
        fire(session, people["fji"], clock, case, "submit")
    assert err.value.guards == ["required_fields"]
    assert "budget" in str(err.value) and "channel_reference" in str(err.value)
    assert case.status == "draft"
    assert actions(session, case) == ["case.created"]


def test_required_record_fields(session, make, people, clock):
    case = make.draft(people["fji"])
    fire(session, people["fji"], clock, case, "submit")
    fire(session, people["reviewer"], clock, case, "review", assessment="ok", recommendation="reject")
    with pytest.raises(ValidationFailed) as err:
        fire(session, people["approver"], clock, case, "reject")
    assert err.value.errors == {"reason": ["is required"]}
    fire(session, people["approver"], clock, case, "reject", reason="Outside the fund's mandate")
    assert case.status == "rejected"


def test_four_eyes_reviewer_cannot_approve(session, make, people, clock):
    both = make.user("reviewer", "approver")
    case = make.draft(people["fji"])
    fire(session, people["fji"], clock, case, "submit")
    fire(session, both, clock, case, "review", assessment="ok", recommendation="approve")
    with pytest.raises(GuardFailed) as err:
        fire(session, both, clock, case, "approve",
             approved_amount={"amount": "1000", "currency": "USD"})
    assert err.value.guards == ["four_eyes"]
    fire(session, people["approver"], clock, case, "approve",
         approved_amount={"amount": "1000", "currency": "USD"})
    assert case.status == "approved"


def test_stale_expected_version_conflicts(session, make, people, clock):
    case = make.draft(people["fji"])
    with pytest.raises(Conflict) as err:
        transitions.fire_transition(session, people["fji"], clock, case.reference, "submit",
                                    expected_version=7)
    assert err.value.current_version == 1 and err.value.current_status == "draft"


def test_available_transitions_per_actor(session, make, people, clock):
    case = make.draft(people["fji"], title="")
    _, options = transitions.available_transitions(session, people["fji"], case.reference)
    assert {o.transition.trigger for o in options} == {"submit", "withdraw"}
    submit = next(o for o in options if o.transition.trigger == "submit")
    assert submit.blocked_by and submit.blocked_by[0][0] == "required_fields"
    _, options = transitions.available_transitions(session, people["reviewer"], case.reference)
    assert options == []


# --- deadlines ---------------------------------------------------------------------------------

def test_deadline_set_paused_and_resumed(session, make, people, clock, runtime):
    calendar = runtime.calendar()
    case = make.draft(people["fji"])
    assert case.due_at is None
    fire(session, people["fji"], clock, case, "submit")
    submitted = clock()
    assert case.due_at == calendar.add(submitted, 15 * 86400)
    assert case.due_party == "office"
    assert case.remind_at == calendar.add(submitted, 12 * 86400)

    clock.advance(days=7)  # a week: five working days used, ten left
    fire(session, people["reviewer"], clock, case, "return_to_state", questions="?")
    assert case.paused_state == "submitted"
    assert case.paused_remaining_s == pytest.approx(10 * 86400)
    assert case.due_party == "state"
    assert case.due_at == clock() + dt.timedelta(days=30)
    assert case.remind_at == clock() + dt.timedelta(days=20)

    clock.advance(days=21)  # three weeks waiting for the State do not count for the office
    fire(session, people["fji"], clock, case, "resubmit", reply="here")
    assert case.paused_state is None and case.paused_remaining_s is None
    assert case.due_party == "office"
    assert case.due_at == calendar.add(clock(), 10 * 86400)


def test_overdue_cases_found_by_one_indexed_query(session, make, people, clock):
    late = make.draft(people["fji"])
    fire(session, people["fji"], clock, late, "submit")
    clock.advance(days=30)
    fresh = make.draft(people["fji"])
    fire(session, people["fji"], clock, fresh, "submit")
    overdue = session.scalars(select(Case.reference).where(Case.due_at < clock())).all()
    assert overdue == [late.reference]


def test_time_in_state_recorded(session, make, people, clock):
    case = make.draft(people["fji"])
    fire(session, people["fji"], clock, case, "submit")
    clock.advance(days=7)
    fire(session, people["reviewer"], clock, case, "review", assessment="ok", recommendation="approve")
    row = session.scalars(
        select(CaseTransition).where(CaseTransition.trigger == "review",
                                     CaseTransition.case_id == case.id)
    ).one()
    assert row.seconds_in_state == pytest.approx(5 * 86400)


# --- workflow versions -------------------------------------------------------------------------

def test_a_changed_workflow_file_never_changes_the_past(session, make, people, clock, runtime):
    old_case = make.draft(people["fji"])
    old = runtime.workflows.get("upr_fund")
    raw = {**old.raw, "version": old.version + 1,
           "states": {**old.raw["states"], "submitted": {**old.raw["states"]["submitted"],
                                                          "deadline": {"working_days": 5}}}}
    from tacase.engine.definitions import parse

    runtime.workflows.current["upr_fund"] = parse(raw, source="upr_fund.yaml")
    try:
        new_case = make.draft(people["fji"])
        assert new_case.workflow_version_id != old_case.workflow_version_id
        fire(session, people["fji"], clock, old_case, "submit")
        fire(session, people["fji"], clock, new_case, "submit")
        calendar = runtime.calendar()
        assert old_case.due_at == calendar.add(clock(), 15 * 86400)
        assert new_case.due_at == calendar.add(clock(), 5 * 86400)
    finally:
        runtime.workflows.current["upr_fund"] = old


# --- comments and assignment -------------------------------------------------------------------

def test_comments_internal_hidden_from_state(session, make, people, clock):
    case = make.draft(people["fji"])
    comments.add_comment(session, people["reviewer"], clock, case.reference, "Note to self", "internal")
    comments.add_comment(session, people["reviewer"], clock, case.reference, "Dear Mission", "state")
    comments.add_comment(session, people["fji"], clock, case.reference, "Thank you", "state")
    assert [c.body for c in comments.list_comments(session, people["fji"], case.reference)] == [
        "Dear Mission", "Thank you"]
    assert len(comments.list_comments(session, people["board"], case.reference)) == 3
    with pytest.raises(ValidationFailed):
        comments.add_comment(session, people["fji"], clock, case.reference, "secret", "internal")
    with pytest.raises(Forbidden):
        comments.add_comment(session, people["board"], clock, case.reference, "hello", "state")
    with pytest.raises(NotFound):
        comments.add_comment(session, people["ken"], clock, case.reference, "hello", "state")
    with pytest.raises(ValidationFailed):
        comments.add_comment(session, people["reviewer"], clock, case.reference, "  ", "state")
    assert actions(session, case).count("comment.added") == 3


def test_comments_default_to_internal_for_staff_and_to_the_state_for_states(session, make, people, clock):
    case = make.draft(people["fji"])
    by_staff = comments.add_comment(session, people["reviewer"], clock, case.reference, "x")
    by_state = comments.add_comment(session, people["fji"], clock, case.reference, "y")
    assert (by_staff.visibility, by_state.visibility) == ("internal", "state")


def test_assign(session, make, people, clock):
    case = make.draft(people["fji"])
    assignment.assign(session, people["reviewer"], clock, case.reference, people["reviewer2"].id)
    assert case.assignee_id == people["reviewer2"].id
    assert actions(session, case)[-1] == "case.assigned"
    with pytest.raises(Forbidden):
        assignment.assign(session, people["fji"], clock, case.reference, people["reviewer"].id)
    with pytest.raises(Forbidden):
        assignment.assign(session, people["board"], clock, case.reference, people["reviewer"].id)
    with pytest.raises(ValidationFailed):
        assignment.assign(session, people["reviewer"], clock, case.reference, people["fji"].id)
    assignment.assign(session, people["reviewer"], clock, case.reference, None)
    assert case.assignee_id is None


def test_every_change_is_one_audit_event(session, make, people, clock):
    audit_log.seal(session)
    before = session.scalar(select(func.count()).select_from(AuditEvent))
    case = make.draft(people["fji"])
    cases.update_case(session, people["fji"], clock, case.reference, {"title": "T"})
    fire(session, people["fji"], clock, case, "submit")
    comments.add_comment(session, people["reviewer"], clock, case.reference, "hi", "state")
    assignment.assign(session, people["reviewer"], clock, case.reference, people["reviewer"].id)
    audit_log.seal(session)
    after = session.scalar(select(func.count()).select_from(AuditEvent))
    assert after - before == 5
    assert re.fullmatch(r"[0-9a-f]{64}", verify_chain(session).head)
