"""The administrator's pages: accounts (create, edit, disable, reset two-factor) and closures."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from flask import flash, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.wrappers import Response
from wtforms import BooleanField, Form, PasswordField, SelectField, SelectMultipleField, StringField
from wtforms.fields import DateField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from tacase.db.models import CalendarClosure, User
from tacase.engine.roles import ADMIN, APPROVER, BOARD, REVIEWER, ROLES, STATE_FOCAL_POINT
from tacase.reference import requesting_state, requesting_states
from tacase.services import closures as closure_service
from tacase.services import users as user_service
from tacase.services.accounts import create_user
from tacase.services.closures import MAX_REASON
from tacase.services.errors import NotFound, ValidationFailed
from tacase.web.context import actor, clock, clock_fn, db, runtime
from tacase.web.i18n import WEB_LOCALES, state_name
from tacase.web.views import once
from tacase.web.views.blueprint import bp, error_page, require_role
from tacase.web.views.forms import OnceForm, password_rule, showing_form

ADMINS = frozenset({ADMIN})
# Users are listed this many at a time (the service caps a page at MAX_PAGE).
USERS_PER_PAGE = 50
# Closures shown: the coming year, and the most recent of the past year.
DAYS_AHEAD = 366
DAYS_BACK = 366
PAST_SHOWN = 30

ROLE_LABELS = {
    STATE_FOCAL_POINT: _l("State focal point"),
    REVIEWER: _l("Reviewer"),
    APPROVER: _l("Approver"),
    BOARD: _l("Board member"),
    ADMIN: _l("Administrator"),
}
# Each language named in itself: whoever reads the list looks for their own.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


# --- forms -----------------------------------------------------------------------------------------

class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _roles_field() -> CheckboxesField:
    return CheckboxesField(_l("Roles"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
                           description=_l("A State focal point needs a State; no other role has one."))


def _state_field() -> SelectField:
    return SelectField(_l("State"), validate_choice=False,
                       description=_l("Only for State focal points."))


class UserCreateForm(OnceForm):
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter the e-mail address.")),
        Length(max=254, message=_l("An e-mail address has at most 254 characters.")),
    ])
    display_name = StringField(_l("Display name"), validators=[
        Optional(), Length(max=200, message=_l("A name has at most 200 characters."))],
        description=_l("Leave empty to use the part of the e-mail address before the @."))
    roles = _roles_field()
    state = _state_field()
    password = PasswordField(_l("Initial password"), validators=[
        DataRequired(_l("Enter an initial password.")),
        Length(max=1024, message=_l("The password is too long.")),
    ], description=_l("At least 12 characters. Give it to the person by a separate, safe channel."))
    language = SelectField(_l("Language of the pages"),
                           choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in WEB_LOCALES])


class UserEditForm(OnceForm):
    display_name = StringField(_l("Display name"), validators=[
        DataRequired(_l("Enter a name.")),
        Length(max=200, message=_l("A name has at most 200 characters.")),
    ])
    roles = _roles_field()
    state = _state_field()
    active = BooleanField(_l("Account active"), description=_l(
        "Clear to disable the account: its sessions and tokens end at once."))


class ClosureForm(OnceForm):
    day = DateField(_l("Date"), validators=[DataRequired(_l("Enter a date as YYYY-MM-DD."))],
                    render_kw={"type": "date"}, description=_l(
                        "A working day: not a weekend day, a public holiday or a day closed already."))
    reason = StringField(_l("Reason"), validators=[
        DataRequired(_l("Enter why the office is closed.")),
        Length(max=MAX_REASON, message=_l("A reason has at most %(max)d characters.", max=MAX_REASON)),
    ])


class UserFilterForm(Form):
    """Read from the query string: a filter changes nothing, so it needs no CSRF token."""

    role = SelectField(_l("Role"), validate_choice=False)
    state = SelectField(_l("State"), validate_choice=False)


def _state_choices(blank: str) -> list[SelectChoice]:
    states = sorted(requesting_states().values(), key=lambda s: state_name(s).casefold())
    return [SelectChoice("", blank)] + [SelectChoice(s.iso3, state_name(s)) for s in states]


def _with_states(form: Any) -> Any:
    form.state.choices = _state_choices(_("No State"))
    return form


# --- what every form that changes something shares -------------------------------------------------

def _refusal(form: OnceForm) -> Any:
    """A 400 page for a form without its CSRF or one-time token; None when it may be read."""
    form.validate()
    if form.csrf_token.errors or once.token_problem(form.form_token.data):
        return error_page(_("The form could not be sent"), _(
            "The form had expired or did not come from this site. Go back, reload the page and "
            "send it again."), 400)
    return None


def _said(message: str) -> str:
    """A service's reason in the page's language; one it does not know, as the service said it."""
    known = {
        "must be an e-mail address": _("Enter a valid e-mail address."),
        "an account with this e-mail exists already": _(
            "An account with this e-mail address exists already."),
        f"give one or more of: {', '.join(ROLES)}": _("Choose one or more roles."),
        "a focal point needs the ISO alpha-3 code of a Member or observer State": _(
            "A State focal point needs a State: choose one."),
        "only a State focal point is bound to a State": _(
            "Only a State focal point has a State: choose \"No State\"."),
        "must not be blank": _("Enter a name."),
        "you cannot disable your own account or remove your own administrator role": _(
            "You cannot disable your own account or remove your own administrator role."),
        f"must be text of 1 to {MAX_REASON} characters": _(
            "Enter a reason of at most %(max)d characters.", max=MAX_REASON),
    }
    return known.get(message) or password_rule(message) or message[:1].upper() + message[1:]


def _place_errors(form: OnceForm, errors: dict[str, list[str]], fields: dict[str, str]) -> str | None:
    """The service's messages next to the fields they name; any others said once at the top."""
    others = []
    for key, messages in errors.items():
        name = fields.get(key, key)
        if name in form._fields and name not in ("csrf_token", "form_token"):
            form[name].errors = [*form[name].errors, *(_said(m) for m in messages)]
        else:
            others.extend(_said(m) for m in messages)
    return " ".join(others) or None


def _send(form: OnceForm, endpoint: str, work: Callable[[], str], done: str) -> Response | tuple[str, int]:
    """Do the change once per form token; `done` is said on the next page when it was done now."""
    happened: list[bool] = []

    def counted() -> str:
        location = work()
        happened.append(True)
        return location

    response = once.run_once(form.form_token.data, endpoint, counted)  # AlreadySent: a 409 page
    if happened:
        flash(done)
    return response


# --- users -----------------------------------------------------------------------------------------

@bp.get("/admin/users")
def admin_users() -> Any:
    require_role(ADMINS)
    filters = UserFilterForm(request.args)
    filters.role.choices = [SelectChoice("", _("Any role"))] + [SelectChoice(r, str(ROLE_LABELS[r]))
                                                                  for r in ROLES]
    filters.state.choices = _state_choices(_("Any State"))
    role = filters.role.data if filters.role.data in ROLES else None
    state = filters.state.data if requesting_state(filters.state.data or "") else None
    after = max(request.args.get("after", 0, type=int), 0)
    # One more than shown says whether there is a next page.
    rows = user_service.list_users(db(), actor(), role=role, state=state, after_id=after,
                                   limit=USERS_PER_PAGE + 1)
    more = len(rows) > USERS_PER_PAGE
    rows = rows[:USERS_PER_PAGE]
    next_url = (url_for("web.admin_users", role=role or None, state=state or None, after=rows[-1].id)
                if more else None)
    first_url = url_for("web.admin_users", role=role or None, state=state or None) if after else None
    return render_template("web/admin_users.html", filters=filters, rows=rows, role_labels=ROLE_LABELS,
                           states=requesting_states(), next_url=next_url, first_url=first_url)


@bp.route("/admin/users/new", methods=["GET", "POST"])
def admin_user_new() -> Any:
    require_role(ADMINS)
    form = _with_states(UserCreateForm())
    if showing_form():
        form.form_token.data = once.new_token()
        form.language.data = "en"
        return _create_page(form)
    if (refused := _refusal(form)) is not None:
        return refused
    if form.errors:
        return _create_page(form, status=422)

    def work() -> str:
        user = create_user(db(), actor(), clock_fn(), email=form.email.data, roles=form.roles.data,
                           password=form.password.data, display_name=form.display_name.data or None,
                           state_code=form.state.data or None, locale=form.language.data or "en")
        return url_for("web.admin_user", user_id=user.id)

    try:
        return _send(form, "web.admin_user_new", work, _("The account was created."))
    except ValidationFailed as exc:
        problem = _place_errors(form, exc.errors, {})
        return _create_page(form, problem=problem, status=422)


def _create_page(form: UserCreateForm, *, problem: str | None = None, status: int = 200) -> Any:
    form.password.data = ""  # never sent back
    return render_template("web/admin_user_new.html", form=form, problem=problem), status


_EDIT_FIELDS = {"is_active": "active"}


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
def admin_user(user_id: int) -> Any:
    require_role(ADMINS)
    user = user_service.get_user(db(), actor(), user_id)
    form = _with_states(UserEditForm())
    mfa_form = OnceForm(prefix="mfa")
    mfa_form.form_token.data = once.new_token()
    if showing_form():
        form.display_name.data = user.display_name
        form.roles.data = sorted(user.roles, key=ROLES.index)
        form.state.data = user.state_code or ""
        form.active.data = user.is_active
        form.form_token.data = once.new_token()
        return _user_page(user, form, mfa_form)
    if (refused := _refusal(form)) is not None:
        return refused
    if form.errors:
        return _user_page(user, form, mfa_form, status=422)

    def work() -> str:
        user_service.update_user(db(), actor(), clock_fn(), user.id, roles=form.roles.data,
                                 state_code=form.state.data or None, is_active=form.active.data,
                                 display_name=form.display_name.data)
        return url_for("web.admin_user", user_id=user.id)

    try:
        return _send(form, "web.admin_user", work, _("The changes were saved."))
    except ValidationFailed as exc:
        problem = _place_errors(form, exc.errors, _EDIT_FIELDS)
        return _user_page(user, form, mfa_form, problem=problem, status=422)


def _user_page(user: User, form: UserEditForm, mfa_form: OnceForm, *, problem: str | None = None,
               status: int = 200) -> Any:
    return render_template("web/admin_user.html", user=user, form=form, mfa_form=mfa_form, problem=problem,
                           role_labels=ROLE_LABELS, state=requesting_state(user.state_code or ""),
                           language=LANGUAGE_NAMES.get(user.locale, user.locale)), status


@bp.post("/admin/users/<int:user_id>/mfa-reset")
def admin_user_mfa_reset(user_id: int) -> Any:
    require_role(ADMINS)
    user = user_service.get_user(db(), actor(), user_id)
    form = OnceForm(prefix="mfa")
    if (refused := _refusal(form)) is not None:
        return refused

    def work() -> str:
        user_service.reset_mfa(db(), actor(), clock_fn(), user.id)
        return url_for("web.admin_user", user_id=user.id)

    return _send(form, "web.admin_user_mfa_reset", work, _(
        "Two-factor authentication was reset: %(email)s sets it up again at the next sign-in.",
        email=user.email))


# --- closures --------------------------------------------------------------------------------------

@bp.route("/admin/closures", methods=["GET", "POST"])
def admin_closures() -> Any:
    require_role(ADMINS)
    form = ClosureForm()
    if showing_form():
        form.form_token.data = once.new_token()
        return _closures_page(form)
    if (refused := _refusal(form)) is not None:
        return refused
    if form.errors:
        return _closures_page(form, status=422)

    def work() -> str:
        closure_service.add_closure(db(), actor(), clock_fn(), form.day.data, form.reason.data)
        return url_for("web.admin_closures")

    try:
        return _send(form, "web.admin_closures", work, _("The closure was recorded."))
    except ValidationFailed as exc:
        problem = _place_errors(form, exc.errors, {})
        return _closures_page(form, problem=problem, status=422)


def _delete_form(closure_id: int) -> OnceForm:
    return OnceForm(prefix=f"delete-{closure_id}")


def _closures_page(form: ClosureForm, *, problem: str | None = None, status: int = 200) -> Any:
    today = clock().astimezone(runtime().calendar().timezone).date()
    coming = closure_service.list_closures(db(), actor(), start=today,
                                           end=today + dt.timedelta(days=DAYS_AHEAD - 1))
    past = closure_service.list_closures(db(), actor(), start=today - dt.timedelta(days=DAYS_BACK),
                                         end=today - dt.timedelta(days=1))[-PAST_SHOWN:][::-1]
    ids = {c.created_by_id for c in (*coming, *past) if c.created_by_id is not None}
    people = {u.id: u for u in db().scalars(select(User).where(User.id.in_(ids)))} if ids else {}
    deletes = {}
    for c in (*coming, *past):
        deletes[c.id] = _delete_form(c.id)
        deletes[c.id].form_token.data = once.new_token()
    return render_template("web/admin_closures.html", form=form, problem=problem, coming=coming, past=past,
                           people=people, deletes=deletes, today=today), status


@bp.post("/admin/closures/<int:closure_id>/delete")
def admin_closure_delete(closure_id: int) -> Any:
    require_role(ADMINS)
    form = _delete_form(closure_id)
    closure = db().get(CalendarClosure, closure_id)
    gone = closure is None or closure.station != runtime().station
    if (refused := _refusal(form)) is not None:
        if gone:
            raise NotFound(f"closure {closure_id} not found")
        return refused

    # When the closure is gone, run_once still answers a second click of the same button with
    # where the first went; any other token finds nothing to remove (404).
    def work() -> str:
        closure_service.remove_closure(db(), actor(), clock_fn(), closure_id)
        return url_for("web.admin_closures")

    day = "" if closure is None else closure.day.isoformat()
    return _send(form, "web.admin_closure_delete", work, _("The closure of %(day)s was removed.", day=day))
