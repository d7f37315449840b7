"""Pages: opening a request, editing a draft or a returned one, and checking the answers before sending.

Like the case page's forms, each carries a one-time token and the version it was read at (see
cases.py), and every change goes through the services the API uses.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tacase.db.models import User
from tacase.engine.definitions import WorkflowDefinition
from tacase.engine.guards import GuardContext, blocked_fields
from tacase.engine.roles import STATE_FOCAL_POINT
from tacase.services import cases, transitions
from tacase.services.access import speaks_for_state
from tacase.services.case_fields import field_values
from tacase.services.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    NotFound,
    TransitionNotAllowed,
    ValidationFailed,
)
from tacase.services.runtime import runtime_of
from tacase.web.context import actor, clock_fn, db
from tacase.web.views import confirmations, once
from tacase.web.views.blueprint import bad_form_page, bp
from tacase.web.views.case_forms import (
    CaseFormBase,
    case_form_class,
    field_labels,
    fill_form,
    needed_to_send,
    place_errors,
    read_form,
)
from tacase.web.views.cases import (
    CHECK,
    SAVE,
    SUBMIT,
    SUBMIT_TRIGGER,
    fresh,
    guard_reasons,
    render_case,
    shown,
    stale_message,
    to_correct,
    token_or_400,
    version_of,
)
from tacase.web.views.forms import OnceForm, showing_form, whole_number


def _require_focal_point() -> None:
    viewer = actor()
    if STATE_FOCAL_POINT not in viewer.roles or not viewer.state_code:
        raise Forbidden("only a State's focal point may open a request")


@bp.get("/cases/new")
def new_request_types() -> Any:
    _require_focal_point()
    workflows = runtime_of(db()).workflows
    return render_template("web/case_types.html", definitions=list(workflows.current.values()))


def _definition_or_404(wtype: str) -> WorkflowDefinition:
    workflows = runtime_of(db()).workflows
    if wtype not in workflows.current:
        raise NotFound(f"there is no request type {wtype!r}")
    return workflows.get(wtype)


def blocked_to_send(definition: WorkflowDefinition, fields: dict[str, Any]) -> dict[str, str]:
    """The fields that keep a request with these values from being sent, each with why."""
    transition = definition.transition(SUBMIT_TRIGGER, definition.initial)
    if transition is None:
        return {}
    return blocked_fields(transition.guards, GuardContext(fields=fields, actor_id=actor().id))


def _submit_errors(case: Any, definition: WorkflowDefinition, form: CaseFormBase,
                   exc: GuardFailed) -> str | None:
    """Guard refusals of a submission placed next to the fields they concern; the rest as a problem."""
    values, _errors = read_form(form)
    current = field_values(case, definition) if case is not None else {}
    blocked = blocked_to_send(definition, {**current, **values})
    loose = place_errors(form, {name: [why] for name, why in blocked.items()})
    if blocked and not loose:
        return _("The request was not sent: some fields must be completed first. They are marked below.")
    return _("The request was not sent: %(reasons)s.",
             reasons=guard_reasons(case, definition, SUBMIT_TRIGGER, exc, values))


def _form_page(form: CaseFormBase, definition: WorkflowDefinition, case: Any, problem: str | None,
               can_submit: bool) -> str:
    needed = needed_to_send(definition) if can_submit else ()
    labels = field_labels(definition)
    return render_template("web/case_form.html", form=form, definition=definition, case=case, problem=problem,
                           can_submit=can_submit, needed=needed, needed_labels=[labels[n] for n in needed])


def _prefill_focal_point(form: CaseFormBase) -> None:
    """A new request's focal point is, until changed, the person opening it."""
    user = db().get(User, actor().id)
    if user is not None:
        form.focal_point_name.data = user.display_name or ""
        form.focal_point_email.data = user.email


def _after_save(reference: str, action: str) -> str:
    """Where a saved form leads: the check page when the person goes on to send (or the form again,
    its missing fields marked, when sending could not succeed yet), else the case."""
    if action == CHECK:
        saved = cases.get_case(db(), actor(), reference)
        definition = cases.definition_of(db(), saved)
        if blocked_to_send(definition, field_values(saved, definition)):
            return url_for("web.edit_case", reference=reference, missing=1)
        return url_for("web.check_case", reference=reference)
    return confirmations.to_case(reference, saved=action)


@bp.route("/cases/new/<wtype>", methods=["GET", "POST"])
def new_request(wtype: str) -> Any:
    _require_focal_point()
    definition = _definition_or_404(wtype)
    form = case_form_class(definition)()
    if showing_form():
        # The token is in the page's address, so that Back or a reload of the form page brings the
        # same token: sending it again then opens no second request.
        token = request.args.get("form")
        if once.token_problem(token):
            return redirect(url_for("web.new_request", wtype=wtype, form=once.new_token()))
        if (went := once.already_sent(token)) is not None:
            flash(_("That form had already been sent; it was not sent twice."))
            return redirect(went, 303)
        form.form_token.data = token
        _prefill_focal_point(form)
        return _form_page(form, definition, None, None, True)
    if not form.validate() or (token := token_or_400(form)) is None:
        return bad_form_page()
    values, layout_errors = read_form(form)
    action = request.form.get("action", SAVE)
    problem = None
    if layout_errors:
        return _form_page(form, definition, None, to_correct(form, layout_errors), True), 422

    def work() -> str:
        opened = cases.open_draft(db(), actor(), clock_fn(), type=wtype,
                                  fields={k: v for k, v in values.items() if v is not None})
        if action == SUBMIT:
            transitions.fire_transition(db(), actor(), clock_fn(), opened.reference, SUBMIT_TRIGGER)
        return _after_save(opened.reference, action)

    try:
        return once.run_once(token, "web.new_request", work)
    except ValidationFailed as exc:
        problem, status = to_correct(form, exc.errors), 422
    except GuardFailed as exc:
        problem, status = _submit_errors(None, definition, form, exc), 422
    return _form_page(form, definition, None, problem, True), status


# --- editing a draft or a returned request -------------------------------------------------------

@bp.route("/cases/<reference>/edit", methods=["GET", "POST"])
def edit_case(reference: str) -> Any:
    session, viewer = db(), actor()
    found = cases.get_case(session, viewer, reference)
    if not speaks_for_state(viewer, found):
        raise Forbidden("only the requesting State's focal points may edit a request")
    definition = cases.definition_of(session, found)
    can_submit = found.status == definition.initial
    form = case_form_class(definition)()
    if showing_form():
        if not definition.states[found.status].editable_by_state:
            return render_case(found, status=409, problem=_(
                "This request cannot be edited now: it is “%(status)s”.",
                status=_(definition.states[found.status].public_label)))
        fill_form(form, field_values(found, definition))
        form.version.data = str(found.version)
        wants_missing = can_submit and request.args.get("missing")
        problem = _missing_to_send(found, definition, form) if wants_missing else None
        return _form_page(fresh(form), definition, found, problem, can_submit)
    if not form.validate() or (token := token_or_400(form)) is None:
        return bad_form_page()
    values, layout_errors = read_form(form)
    action = request.form.get("action", SAVE)
    if layout_errors:
        return _form_page(form, definition, found, to_correct(form, layout_errors), can_submit), 422
    expected = version_of(form)

    def work() -> str:
        edited = cases.update_case(db(), actor(), clock_fn(), reference, values,
                                   expected_version=expected if expected is not None else -1)
        if action == SUBMIT and can_submit:
            transitions.fire_transition(db(), actor(), clock_fn(), edited.reference, SUBMIT_TRIGGER)
        return _after_save(reference, action if can_submit else SAVE)

    try:
        return once.run_once(token, "web.edit_case", work)
    except ValidationFailed as exc:
        problem, status = to_correct(form, exc.errors), 422
    except GuardFailed as exc:
        problem, status = _submit_errors(found, definition, form, exc), 422
    except (Conflict, TransitionNotAllowed):
        current = cases.get_case(db(), actor(), reference)
        problem, status = stale_message(current, definition), 409
        form.version.data = str(current.version)  # sending again now is a deliberate choice
    return _form_page(form, definition, found, problem, can_submit), status


def _missing_to_send(case: Any, definition: WorkflowDefinition, form: CaseFormBase) -> str | None:
    """The fields a saved draft still lacks to be sent, marked on its form; None when it lacks none."""
    blocked = blocked_to_send(definition, field_values(case, definition))
    if not blocked:
        return None
    place_errors(form, {name: [why] for name, why in blocked.items()})
    return _("Your draft is saved, but it cannot be sent yet: complete the fields marked below, then "
             "check and send it.")


# --- check your answers, then send ------------------------------------------------------------------

def _draft_to_send(reference: str) -> tuple[Any, WorkflowDefinition]:
    session, viewer = db(), actor()
    found = cases.get_case(session, viewer, reference)
    if not speaks_for_state(viewer, found):
        raise Forbidden("only the requesting State's focal points may send a request")
    return found, cases.definition_of(session, found)


def _check_rows(case: Any, definition: WorkflowDefinition) -> list[dict[str, Any]]:
    """Each answer of the request with the anchor of its field on the edit form."""
    values = field_values(case, definition)
    form = case_form_class(definition)(formdata=None)
    rows = []
    for plan, _spec in form.plans:
        field = form[plan.name]
        anchor = field.form.amount.id if plan.kind == "money" else field.id
        rows.append({"name": plan.name, "label": plan.label, "value": shown(plan, values.get(plan.name)),
                     "anchor": anchor})
    return rows


@bp.route("/cases/<reference>/check", methods=["GET", "POST"])
def check_case(reference: str) -> Any:
    """GOV.UK's "check answers": every answer with a link to change it, and the send button."""
    found, definition = _draft_to_send(reference)
    if found.status != definition.initial:
        if showing_form():
            return redirect(url_for("web.case", reference=reference), 303)
        return render_case(found, status=409, problem=stale_message(found, definition))
    form = OnceForm()
    if not showing_form():
        sent_version = whole_number(request.form.get("version"))
        if not form.validate() or (token := token_or_400(form)) is None:
            return bad_form_page()

        def work() -> str:
            transitions.fire_transition(db(), actor(), clock_fn(), reference, SUBMIT_TRIGGER,
                                        expected_version=sent_version if sent_version is not None else -1)
            return confirmations.to_case(reference, done=SUBMIT_TRIGGER)

        try:
            return once.run_once(token, "web.check_case", work)
        except GuardFailed:
            edit = case_form_class(definition)(formdata=None)
            fill_form(edit, field_values(found, definition))
            edit.version.data = str(found.version)
            problem = _missing_to_send(found, definition, edit) or _("The request was not sent.")
            return _form_page(fresh(edit), definition, found, problem, True), 422
        except (Conflict, TransitionNotAllowed):
            current = cases.get_case(db(), actor(), reference)
            return render_case(current, status=409, problem=stale_message(current, definition))
    missing = set(blocked_to_send(definition, field_values(found, definition)))
    return render_template("web/check.html", case=found, definition=definition,
                           rows=_check_rows(found, definition), missing=missing,
                           needed=set(needed_to_send(definition)), form=fresh(form), version=found.version)
