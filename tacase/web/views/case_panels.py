"""Pages: what the side panels of a case page send: comments, the State's feedback, its consent to
publish, and the assignment. Each checks who may act before the form, then calls the service."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask_babel import gettext as _

from tacase.services import cases, comments, public_record
from tacase.services.access import CASE_WORKERS, speaks_for_state
from tacase.services.assignment import assign
from tacase.services.errors import Conflict, Forbidden, ValidationFailed
from tacase.web.context import actor, clock_fn, db
from tacase.web.field_messages import sentence
from tacase.web.views import once
from tacase.web.views.blueprint import bad_form_page, bp
from tacase.web.views.cases import render_case, stale_message, token_or_400, version_of
from tacase.web.views.forms import AssignForm, CommentForm, ConsentForm, FeedbackForm, whole_number


def _stale_page(reference: str) -> tuple[str, int]:
    """The case as it is now, saying it changed while the page was open (409)."""
    current = cases.get_case(db(), actor(), reference)
    return render_case(current, status=409,
                       problem=stale_message(current, cases.definition_of(db(), current)))


# --- comments, feedback, assignment --------------------------------------------------------------

@bp.post("/cases/<reference>/comments")
def case_comment(reference: str) -> Any:
    viewer = actor()
    found = cases.get_case(db(), viewer, reference)
    office = bool(viewer.roles & CASE_WORKERS)
    if not office and not speaks_for_state(viewer, found):
        raise Forbidden("only OHCHR staff and the requesting State may comment")
    form = CommentForm()
    if not office:
        del form.visibility
    if not form.validate() or (token := token_or_400(form)) is None:
        if form.csrf_token.errors or not form.form_token.data:
            return bad_form_page()
        return render_case(found, status=422, problem=_("The comment could not be added."),
                           forms={"comment": form})
    visibility = form.visibility.data if office else "state"

    def work() -> str:
        comments.add_comment(db(), actor(), clock_fn(), reference, form.body.data, visibility)
        return url_for("web.case", reference=reference, _anchor="comments")

    try:
        return once.run_once(token, "web.case_comment", work)
    except ValidationFailed as exc:
        for name, messages in exc.errors.items():
            target = form.body if name == "body" or not office else form.visibility
            label = str(target.label.text)
            target.errors = list(target.errors or []) + [sentence(label, m) for m in messages]
    return render_case(cases.get_case(db(), actor(), reference), status=422,
                       problem=_("The comment could not be added."), forms={"comment": form})


@bp.post("/cases/<reference>/feedback")
def case_feedback(reference: str) -> Any:
    viewer = actor()
    found = cases.get_case(db(), viewer, reference)
    if not speaks_for_state(viewer, found):
        raise Forbidden("only the requesting State's focal points give feedback")
    form = FeedbackForm()
    if not form.validate() or (token := token_or_400(form)) is None:
        if form.csrf_token.errors or not form.form_token.data:
            return bad_form_page()
        return render_case(found, status=422, problem=_("The feedback could not be sent."),
                           forms={"feedback": form})

    def work() -> str:
        comments.give_feedback(db(), actor(), clock_fn(), reference, form.body.data)
        return url_for("web.case", reference=reference, _anchor="feedback")

    try:
        return once.run_once(token, "web.case_feedback", work)
    except ValidationFailed as exc:
        form.body.errors = [sentence(str(form.body.label.text), m) for messages in exc.errors.values()
                            for m in messages]
        return render_case(found, status=422, problem=_("The feedback could not be sent."),
                           forms={"feedback": form})
    except Conflict:
        return _stale_page(reference)


@bp.post("/cases/<reference>/consent")
def case_consent(reference: str) -> Any:
    found = cases.get_case(db(), actor(), reference)
    if not speaks_for_state(actor(), found):
        raise Forbidden("only the requesting State's focal points may give or withdraw consent to publish")
    form = ConsentForm()
    if not form.validate() or (token := token_or_400(form)) is None:
        return bad_form_page()
    if form.consent.data not in ("yes", "no"):
        return bad_form_page()
    expected = version_of(form)

    def work() -> str:
        public_record.set_consent(db(), actor(), clock_fn(), reference, form.consent.data == "yes",
                                  expected_version=expected if expected is not None else -1)
        return url_for("web.case", reference=reference, _anchor="publication")

    try:
        return once.run_once(token, "web.case_consent", work)
    except Conflict:
        return _stale_page(reference)
    except ValidationFailed:
        return render_case(found, status=422, problem=_("The choice about publication was not saved."))


@bp.post("/cases/<reference>/assignee")
def case_assign(reference: str) -> Any:
    viewer = actor()
    found = cases.get_case(db(), viewer, reference)
    if not viewer.roles & CASE_WORKERS:
        raise Forbidden("only OHCHR reviewers, approvers and administrators may assign cases")
    form = AssignForm()
    form.assignee.choices = None  # checked by the service, which knows who may carry a case
    if not form.validate() or (token := token_or_400(form)) is None:
        return bad_form_page()
    raw = (form.assignee.data or "").strip()
    assignee_id = whole_number(raw)
    if raw and assignee_id is None:
        form.assignee.errors = [_("Choose an officer from the list.")]
        return render_case(found, status=422, problem=_("The case was not assigned."), forms={"assign": form})
    expected = version_of(form)

    def work() -> str:
        assign(db(), actor(), clock_fn(), reference, assignee_id,
               expected_version=expected if expected is not None else -1)
        return url_for("web.case", reference=reference)

    try:
        return once.run_once(token, "web.case_assign", work)
    except ValidationFailed as exc:
        form.assignee.errors = [sentence(str(form.assignee.label.text), m) for messages in exc.errors.values()
                                for m in messages]
        return render_case(found, status=422, problem=_("The case was not assigned."), forms={"assign": form})
    except Conflict:
        return _stale_page(reference)

