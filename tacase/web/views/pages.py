"""Signing in and out, and the home page: a State's dashboard or the office's list."""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from tacase.reference import requesting_state
from tacase.services import case_queries, cases
from tacase.services.calls import registry
from tacase.services.deadline_sweep import step_events
from tacase.web.api.common import case_summary
from tacase.web.auth import public, sign_out_current
from tacase.web.auth import sign_in as attempt_sign_in
from tacase.web.context import actor, clock, db, ext
from tacase.web.errors import ApiError
from tacase.web.views import calls_state, resume
from tacase.web.views.blueprint import bp, safe_next
from tacase.web.views.forms import SignInForm, SignOutForm, showing_form

# The dashboard shows this many cases; the work queue pages through the rest.
LIST_LIMIT = case_queries.MAX_PER_PAGE


# --- signing in and out ----------------------------------------------------------------------------

def _login_failure(form: SignInForm, reason: str) -> tuple[str | None, int]:
    """Where and how to say why the sign-in failed; the form-level message and the status."""
    if reason == "totp_required":
        form.totp.errors = [_("This account needs the 6-digit code from its authenticator app. "
                              "Enter it and sign in again.")]
        return None, 401
    if reason == "totp_invalid":
        form.totp.errors = [_("The code is wrong or was used already. Wait for the next code and try again.")]
        return None, 401
    return _("The e-mail address or password is wrong, or the account is disabled."), 401


@bp.route("/sign-in", methods=["GET", "POST"])
@public
def sign_in() -> Any:
    form = SignInForm()
    if showing_form():
        form.next.data = safe_next(request.args.get("next")) or ""
        return render_template("web/sign_in.html", form=form, problem=None)
    problem, status = None, 200
    resume_path, resume_fields = resume.carried(request.form)
    if not form.validate():
        if form.csrf_token.errors:
            problem = _("The form had expired or did not come from this site. Please sign in again.")
            form.csrf_token.errors = []
            status = 400
        else:
            status = 422
    else:
        try:
            outcome = attempt_sign_in(form.email.data, form.password.data, form.totp.data or None)
        except ApiError as exc:
            if exc.status != 429:
                raise
            problem = _("Too many failed sign-ins. Try again in %(seconds)s seconds.",
                        seconds=exc.headers.get("Retry-After", "60"))
            status = 429
        else:
            if outcome.failure is None:
                if resume_path:
                    return resume.resume_page(resume_path, resume_fields)
                return redirect(safe_next(form.next.data) or url_for("web.home"))
            problem, status = _login_failure(form, outcome.failure.reason)
    form.next.data = safe_next(form.next.data) or ""
    return render_template("web/sign_in.html", form=form, problem=problem, resume_path=resume_path,
                           resume_fields=resume_fields), status


@bp.post("/sign-out")
def sign_out() -> Any:
    if not SignOutForm().validate():
        return render_template("web/error.html", title=_("Sign-out failed"), message=_(
            "The form had expired or did not come from this site. Go back, reload the page and "
            "sign out again.")), 400
    sign_out_current()
    flash(_("You have signed out."))
    return redirect(url_for("web.sign_in"))


# --- home: the State's dashboard, or the office's list of cases --------------------------------------

@bp.get("/")
def home() -> Any:
    viewer, now = actor(), clock()
    if not viewer.roles and viewer.state_code:
        return redirect(url_for("web.my_calls"))  # a colleague invited to answer a call, and only that
    if not viewer.is_state_user:
        return redirect(url_for("web.queue"))  # the office and the Board start at the work queue
    page = case_queries.list_cases(db(), viewer, case_queries.CaseFilter(), now,
                                   sort="-updated_at", per_page=LIST_LIMIT, memory=ext()["list_memory"])
    events = step_events(db(), page.items)
    rows = []
    for c in page.items:
        definition = cases.definition_of_row(db(), c)
        rows.append({**case_summary(c, definition, viewer, now, events.get(c.id)),
                     "is_draft": c.status == definition.initial})
    state = requesting_state(viewer.state_code or "")
    calls = calls_state.open_call_rows(registry.open_calls_for_state(db(), viewer.state_code or "", now))
    return render_template("web/dashboard.html", rows=rows, total=page.total, state=state, calls=calls)
