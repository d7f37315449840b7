"""Pages: a case, opening and editing a request, and what each person may do on it.

Every change goes through the services the API uses; these views turn forms into their arguments
and their errors into messages next to the fields. Changing forms carry a one-time token (see
once.py) and the version of the case they were read at, so a reload never acts twice and a page
left open while someone else acted says that the case changed instead of overwriting it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app, render_template, request
from flask_babel import gettext as _
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from tacase.db.models import CaseTransition
from tacase.engine.definitions import TransitionDef, WorkflowDefinition
from tacase.engine.guards import GuardContext, blocked_fields
from tacase.services import cases, comments, documents, history, transitions
from tacase.services.access import CASE_WORKERS, speaks_for_state
from tacase.services.assignment import assignable_officers
from tacase.services.case_fields import field_values
from tacase.services.deadline_sweep import step_events
from tacase.services.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    TooLarge,
    TransitionNotAllowed,
    UnsafeDocument,
    UnsupportedType,
    ValidationFailed,
)
from tacase.services.people import as_seen_by
from tacase.web.api.common import case_detail
from tacase.web.context import actor, clock, clock_fn, db
from tacase.web.i18n import deadline
from tacase.web.views import confirmations, once
from tacase.web.views.blueprint import bad_form_page, bp
from tacase.web.views.case_forms import (
    ATTACHMENT,
    STEP_COMMENT,
    CaseFormBase,
    case_plans,
    choice_label,
    field_labels,
    humanise,
    place_errors,
    read_form,
    record_form_class,
)
from tacase.web.views.forms import (
    AssignForm,
    CommentForm,
    ConsentForm,
    FeedbackForm,
    OnceForm,
    PublicationForm,
    UploadForm,
    showing_form,
    whole_number,
)
from tacase.web.views.present import show_recorded, show_value, timeline
from tacase.web.views.upload_refusals import refusal, upload_limit

SAVE, SUBMIT, CHECK = "save", "submit", "check"
SUBMIT_TRIGGER = "submit"
# Steps that end a request for good: a warning button behind a confirmation page, never the main one.
DESTRUCTIVE_TRIGGERS = frozenset({"withdraw", "reject"})
# Steps that decide on a request: their page shows what the approver decides on.
DECISION_TRIGGERS = frozenset({"approve", "reject"})


def stale_message(case: Any, definition: WorkflowDefinition) -> str:
    state = definition.states.get(case.status)
    label = (state.public_label if actor().is_state_user else state.staff_label) if state else case.status
    return _("This case changed while you had the page open: it is now “%(status)s”. Nothing was "
             "saved. Check the case as it is now, then send the form again if it still applies.",
             status=_(label))


def version_of(form: Any) -> int | None:
    return whole_number(form.version.data) if hasattr(form, "version") else None


def to_correct(form: CaseFormBase, errors: dict[str, list[str]]) -> str:
    """Each error next to its field; the problem said at the top, with any error no field shows."""
    loose = place_errors(form, errors)
    return " ".join([_("Some fields need correcting; they are marked below."), *loose])


def fresh(form: OnceForm) -> OnceForm:
    form.form_token.data = once.new_token()
    return form


def token_or_400(form: OnceForm) -> str | None:
    token = form.form_token.data
    return None if once.token_problem(token) else token


# --- the case page ------------------------------------------------------------------------------

def _awaiting_state(case: Any, definition: WorkflowDefinition) -> dict[str, Any] | None:
    """What the office asked when it handed the case to the State: the last step's record."""
    if case.due_party != "state":
        return None
    row = db().scalar(select(CaseTransition).where(CaseTransition.case_id == case.id,
                                                   CaseTransition.to_state == case.status)
                      .order_by(CaseTransition.at.desc(), CaseTransition.id.desc()).limit(1))
    if row is None:
        return None
    transition = next((t for t in definition.transitions if t.trigger == row.trigger), None)
    specs = {f.name: f for f in transition.record} if transition else {}
    shown = [(specs[n].label if n in specs else humanise(n), show_recorded(specs.get(n), v))
             for n, v in (row.record or {}).items() if n not in specs or specs[n].visible_to_state]
    return {"record": shown, "due_at": case.due_at}


def _why_blocked(transition: TransitionDef, failures: list[tuple[str, str]], values: dict[str, Any],
                 labels: dict[str, str]) -> list[str]:
    """Why a step cannot be taken yet, in the reader's terms: the fields by their labels."""
    ctx = GuardContext(fields=values, actor_id=actor().id)
    missing = [labels.get(name, humanise(name)) for name in blocked_fields(transition.guards, ctx)]
    out = []
    for guard, _why in failures:
        if guard == "required_fields" and missing:
            out.append(_("fill in first: %(fields)s", fields=", ".join(missing)))
        elif guard == "dates_in_order":
            out.append(_("the planned end must not be before the planned start"))
        elif guard == "four_eyes":
            out.append(_("you took part in an earlier step of this case: someone else decides (four eyes)"))
        else:  # a guard the pages do not know yet: its name, never its English reason with field names
            out.append(_("a condition of this step is not met (%(condition)s)", condition=humanise(guard)))
    return out


def guard_reasons(case: Any, definition: WorkflowDefinition, trigger: str, exc: GuardFailed,
                   values: dict[str, Any] | None = None) -> str:
    """A refusal by the step's guards as the page says it: fields by their labels, in the page's language."""
    transition = next((t for t in definition.transitions if t.trigger == trigger), None)
    if transition is None:
        return _("a condition of this step is not met")
    current = field_values(case, definition) if case is not None else {}
    return "; ".join(_why_blocked(transition, exc.failures, {**current, **(values or {})},
                                  field_labels(definition)))


def shown(plan: Any, value: Any) -> str:
    if plan.kind == "choice" and isinstance(value, str):
        return str(choice_label(value))
    return show_value(value)


def render_case(case: Any, *, status: int = 200, problem: str | None = None,
                forms: dict[str, Any] | None = None) -> tuple[str, int]:
    viewer, now, session = actor(), clock(), db()
    definition = cases.definition_of(session, case)
    events = step_events(session, [case]).get(case.id)
    detail = case_detail(case, definition, viewer, now, events)
    values = field_values(case, definition)
    fields = [(plan, shown(plan, values.get(plan.name))) for plan, _spec in case_plans(definition)]
    _case, available = transitions.available_transitions(session, viewer, case.reference)
    labels = field_labels(definition)
    actions = []
    for item in available:
        t = item.transition
        form = OnceForm(formdata=None)
        blocked = _why_blocked(t, item.blocked_by, values, labels) if item.blocked_by else []
        actions.append({"transition": t, "blocked_by": blocked, "has_record": bool(t.record),
                        "form": fresh(form), "destructive": t.trigger in DESTRUCTIVE_TRIGGERS,
                        "check_first": t.trigger == SUBMIT_TRIGGER and case.status == definition.initial})
    actions.sort(key=lambda a: a["destructive"])  # the steps that end the request come last
    office = bool(viewer.roles & CASE_WORKERS)
    state_user = speaks_for_state(viewer, case)
    comment_rows = comments.list_comments(session, viewer, case.reference)
    document_rows = documents.list_documents(session, viewer, case.reference)
    people = as_seen_by(session, viewer, {c.author_id for c in comment_rows} | {case.assignee_id}
                        | {d.uploaded_by_id for d in document_rows})
    names = {i: p.get("name") or _("OHCHR") for i, p in people.items()}
    forms = forms or {}
    comment_form = forms.get("comment") or fresh(CommentForm(formdata=None))
    if not office:
        del comment_form.visibility
    assign_form = None
    if office:
        assign_form = forms.get("assign") or fresh(AssignForm(formdata=None))
        officers = assignable_officers(session, viewer)
        assign_form.assignee.choices = [SelectChoice("", _("Nobody")), *(
            SelectChoice(str(u.id), f"{u.display_name} <{u.email}>") for u in officers)]
        if not forms.get("assign"):
            assign_form.assignee.data = str(case.assignee_id or "")
        assign_form.version.data = str(case.version)
    may_upload = office or state_user
    upload_form = (forms.get("upload") or fresh(UploadForm(formdata=None))) if may_upload else None
    consent_form = None
    if state_user:
        consent_form = forms.get("consent") or fresh(ConsentForm(formdata=None))
        consent_form.consent.data = "no" if case.consent_to_publish else "yes"
        consent_form.version.data = str(case.version)
    publication_forms: dict[int, PublicationForm] = {}  # the State publishes a document, or stops
    for document in document_rows if state_user else ():
        publication_forms[document.id] = form = fresh(PublicationForm(formdata=None))
        form.public.data = "no" if document.public else "yes"
    feedback_form = None
    if state_user and comments.awaits_feedback(session, case):
        feedback_form = forms.get("feedback") or fresh(FeedbackForm(formdata=None))
    state_def = definition.states.get(case.status)
    return render_template(
        "web/case.html", case=case, detail=detail, definition=definition, fields=fields,
        actions=actions, version=case.version, problem=problem,
        editable=state_user and bool(state_def and state_def.editable_by_state),
        timeline=timeline(history.case_events(session, viewer, case.reference), definition,
                          viewer.is_state_user, names),
        comments=comment_rows, documents=document_rows, names=names, office=office,
        state_user=state_user, for_state=viewer.is_state_user, awaiting=_awaiting_state(case, definition),
        comment_form=comment_form, assign_form=assign_form, upload_form=upload_form,
        feedback_form=feedback_form, max_upload=upload_limit(), consent_form=consent_form,
        publication_forms=publication_forms,
        public_fields=[labels[name] for name in definition.public_fields() if name in labels],
        sent=case.submitted_at is not None,
        assignee=names.get(case.assignee_id) if case.assignee_id else None,
        confirmation=_confirmation(case, definition, detail) if status == 200 else None,
    ), status


def _confirmation(case: Any, definition: WorkflowDefinition, detail: dict[str, Any]) -> dict[str, str] | None:
    """What the step just taken did and what comes next, for the panel at the top of the case page.
    Shown once, after the redirect of the form that took the step, and checked against the case."""
    saved, done = confirmations.taken(case.reference)
    due = detail.get("due_at")
    if saved == SUBMIT:
        done = SUBMIT_TRIGGER
    if done in (SUBMIT_TRIGGER, "resubmit") and case.status != definition.initial:
        title = _("Request sent") if done == SUBMIT_TRIGGER else _("Reply sent")
        what = (_("Your request %(reference)s was sent to OHCHR.", reference=case.reference)
                if done == SUBMIT_TRIGGER else
                _("Your reply on request %(reference)s was sent to OHCHR.", reference=case.reference))
        office_due = due and detail.get("due_party") != "state"
        after = (_("We will review it by %(date)s.", date=deadline(due)) if office_due
                 else _("We will review it and tell you what comes next."))
        return {"title": title, "what": what, "next": after}
    if saved in (SAVE, CHECK) and case.status == definition.initial:
        return {"title": _("Draft saved"),
                "what": _("Your draft %(reference)s was saved. It has not been sent: OHCHR cannot see "
                          "it yet.", reference=case.reference),
                "next": _("When it is complete, choose “Check and send the request” to send it.")}
    if saved == SAVE:
        return {"title": _("Changes saved"), "what": _("Your changes to %(reference)s were saved.",
                                                     reference=case.reference),
                "next": _("When your reply is ready, send it from “What you can do now”.")}
    transition = next((t for t in definition.transitions if t.trigger == done), None)
    if transition is None or case.status != transition.dest:
        return None
    dest = definition.states[transition.dest]
    status_label = dest.public_label if actor().is_state_user else dest.staff_label
    what = _("“%(step)s” was done on %(reference)s. It is now “%(status)s”.", step=_(transition.label),
             reference=case.reference, status=_(status_label))
    if due and detail.get("due_party") == "state":
        after = _("The next step is the State's, due by %(date)s.", date=deadline(due))
    elif due:
        after = _("The next step is OHCHR's, due by %(date)s.", date=deadline(due))
    else:
        closed = not definition.transitions_from(case.status)
        after = _("Nothing more is awaited on this request.") if closed else ""
    return {"title": _("Done"), "what": what, "next": after}


@bp.get("/cases/<reference>")
def case(reference: str) -> Any:
    return render_case(cases.get_case(db(), actor(), reference))


# --- opening a request ---------------------------------------------------------------------------

# --- transitions: one form per trigger, asking only what it must record ----------------------------

def _transition_for(found: Any, trigger: str) -> TransitionDef | None:
    _case, available = transitions.available_transitions(db(), actor(), found.reference)
    return next((a.transition for a in available if a.transition.trigger == trigger), None)


@bp.route("/cases/<reference>/actions/<trigger>", methods=["GET", "POST"])
def case_action(reference: str, trigger: str) -> Any:
    session = db()
    found = cases.get_case(session, actor(), reference)
    definition = cases.definition_of(session, found)
    transition = _transition_for(found, trigger)
    if transition is None:
        sent_version = whole_number(request.form.get("version"))
        if request.method == "POST" and sent_version is not None and sent_version != found.version:
            return render_case(found, status=409, problem=stale_message(found, definition))
        if any(t.trigger == trigger for t in definition.transitions_from(found.status)) or not any(
                t.trigger == trigger for t in definition.transitions):
            raise Forbidden("this action is not open to your account on this case now")
        return render_case(found, status=409, problem=_(
            "This cannot be done now: the case is no longer at that step."))
    form = record_form_class(definition, transition)()
    if showing_form():
        form.version.data = str(found.version)
        if "state_feedback" in {f.name for f in transition.record}:
            feedback = comments.latest_feedback(session, found.id)
            if feedback:
                form["state_feedback"].data = feedback
        return _render_action(found, definition, transition, fresh(form), None, 200)
    if not form.validate() or (token := token_or_400(form)) is None:
        return bad_form_page()
    values, layout_errors = read_form(form)
    if layout_errors:
        return _render_action(found, definition, transition, form, to_correct(form, layout_errors), 422)
    expected = version_of(form)
    attached = form[ATTACHMENT].data if ATTACHMENT in form else None
    if not getattr(attached, "filename", None):
        attached = None
    stored: list[Any] = []
    uploading: list[bool] = []

    def work() -> str:
        comment = (form[STEP_COMMENT].data or "").strip() if STEP_COMMENT in form else ""
        transitions.fire_transition(db(), actor(), clock_fn(), reference, trigger,
                                    data={k: v for k, v in values.items() if v is not None},
                                    comment=comment or None,
                                    expected_version=expected if expected is not None else -1)
        if attached is not None:  # in the same transaction: a refused file undoes the step too
            uploading.append(True)
            stored.append(documents.upload(db(), actor(), clock_fn(), reference, filename=attached.filename,
                                           stream=attached.stream, directory=documents_dir(),
                                           max_bytes=current_app.config["MAX_UPLOAD_BYTES"]))
        return confirmations.to_case(reference, done=trigger)

    try:
        return once.run_once(token, "web.case_action", work)
    except (UnsupportedType, TooLarge, UnsafeDocument, ValidationFailed) as exc:
        for document in stored:  # the row was rolled back: no file without its row
            documents.discard(documents_dir(), document)
        refused = refusal(exc) if uploading else None  # else the step's own fields were refused
        if refused is not None:
            status = refused[0]
            form[ATTACHMENT].errors = [refused[1]]
            problem = _("Nothing was done: the document could not be added.")
        else:
            problem, status = to_correct(form, getattr(exc, "errors", {})), 422
    except GuardFailed as exc:
        problem, status = _("This cannot be done yet: %(reasons)s.",
                            reasons=guard_reasons(found, definition, trigger, exc, values)), 409
    except (Conflict, TransitionNotAllowed):
        current = cases.get_case(db(), actor(), reference)
        problem, status = stale_message(current, definition), 409
        form.version.data = str(current.version)
    if not transition.record:
        return render_case(cases.get_case(db(), actor(), reference), status=status, problem=problem)
    return _render_action(found, definition, transition, form, problem, status)


def documents_dir() -> Path:
    return Path(current_app.config["DOCUMENTS_DIR"])


def _decision_facts(found: Any, definition: WorkflowDefinition) -> dict[str, Any]:
    """What an approver decides on: the budget asked, the review, the recommendations, the history."""
    session, viewer = db(), actor()
    values = field_values(found, definition)
    review = session.scalar(select(CaseTransition).where(CaseTransition.case_id == found.id,
                                                         CaseTransition.trigger == "review")
                            .order_by(CaseTransition.at.desc(), CaseTransition.id.desc()).limit(1))
    review_def = next((t for t in definition.transitions if t.trigger == "review"), None)
    specs = {f.name: f for f in review_def.record} if review_def else {}
    record = (review.record or {}) if review else {}
    return {
        "budget": show_value(values.get("budget")),
        "review": [(specs[n].label if n in specs else n,  # office eyes only
                    str(choice_label(v)) if n in specs and specs[n].type == "choice" else show_value(v))
                   for n, v in record.items()],
        "recommendations": show_value(values.get("recommendations")),
        "timeline": timeline(history.case_events(session, viewer, found.reference), definition,
                             viewer.is_state_user),
    }


def _render_action(found: Any, definition: WorkflowDefinition, transition: TransitionDef, form: CaseFormBase,
                   problem: str | None, status: int) -> tuple[str, int]:
    dest = definition.states[transition.dest]
    to_label = dest.public_label if actor().is_state_user else dest.staff_label
    decision = (_decision_facts(found, definition)
                if transition.trigger in DECISION_TRIGGERS and actor().roles & CASE_WORKERS else None)
    return render_template("web/case_action.html", case=found, definition=definition, transition=transition,
                           form=form, problem=problem, to_label=to_label, decision=decision,
                           destructive=transition.trigger in DESTRUCTIVE_TRIGGERS,
                           max_upload=upload_limit()), status
