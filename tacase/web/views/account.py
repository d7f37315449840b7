"""The signed-in person's own account: what it is, its language, its password and two-factor setup."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Regexp

from tacase.db.models import User, UserSession
from tacase.engine.roles import ADMIN, APPROVER, BOARD, REVIEWER, STATE_FOCAL_POINT
from tacase.reference import requesting_state
from tacase.services import account_settings
from tacase.services import auth as auth_service
from tacase.services.errors import Conflict, Forbidden, ValidationFailed
from tacase.services.passwords import MIN_LENGTH
from tacase.web.auth import login_limits
from tacase.web.context import actor, clock_fn, commit, db, principal
from tacase.web.errors import ApiError
from tacase.web.views import once
from tacase.web.views.blueprint import bp, error_page
from tacase.web.views.forms import OnceForm, password_rule, showing_form

ROLE_NAMES = {STATE_FOCAL_POINT: _l("State focal point"), REVIEWER: _l("Reviewer"),
              APPROVER: _l("Approver"), BOARD: _l("Board member"), ADMIN: _l("Administrator")}
# Each language named in itself, so that someone who cannot read the page finds their own.
LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
QR_SCALE = 5


# --- forms -----------------------------------------------------------------------------------------

class LanguageForm(OnceForm):
    locale = SelectField(_l("Language of the pages"), choices=[
        SelectChoice(code, LANGUAGE_NAMES.get(code, code), render_kw={"lang": code})
        for code in account_settings.LOCALES
    ], validate_choice=True)


class PasswordForm(OnceForm):
    current_password = PasswordField(_l("Current password"), validators=[
        DataRequired(_l("Enter your current password.")),
        Length(max=1024, message=_l("The password is too long.")),
    ])
    new_password = PasswordField(_l("New password"), validators=[
        DataRequired(_l("Enter a new password.")),
        Length(max=1024, message=_l("The password is too long.")),
    ], description=_l("At least %(min)s characters. A phrase of several unrelated words is easy to "
                      "remember and hard to guess.", min=MIN_LENGTH))
    repeat_password = PasswordField(_l("New password again"), validators=[
        DataRequired(_l("Enter the new password a second time.")),
        Length(max=1024, message=_l("The password is too long.")),
    ])


class MfaForm(OnceForm):
    code = StringField(_l("Code from your authenticator app"), validators=[
        DataRequired(_l("Enter the 6-digit code shown by your authenticator app.")),
        Regexp(r"^\d{6}$", message=_l("Enter the 6 digits shown by your authenticator app.")),
    ])


# Each form has its own prefix: two forms on one page need distinct field ids.
def _language_form(**kwargs: Any) -> LanguageForm:
    return LanguageForm(prefix="language", **kwargs)


def _password_form() -> PasswordForm:
    return PasswordForm(prefix="password")


# --- what every form post shares ----------------------------------------------------------------

def _stale_form() -> tuple[str, int]:
    return error_page(_("The form could not be sent"), _(
        "The form had expired or did not come from this site. Go back, reload the page and try "
        "again."), 400)


def _refusal(form: OnceForm) -> tuple[str, int] | None:
    """A 400 page for a form that did not come from our page (no CSRF or one-time token)."""
    if form.csrf_token.errors or once.token_problem(form.form_token.data):
        return _stale_form()
    return None


def _in_flight() -> tuple[str, int]:
    return error_page(_("The form is being sent already"), _(
        "This form was sent twice at the same moment; the first is still being handled. Open your "
        "account page again in a moment to see its result."), 409)


def _send(form: OnceForm, endpoint: str, work: Callable[[], str], done: list[bool]) -> Any:
    """run_once, with `done` set only once the change was committed (not on a replay)."""
    def marked() -> str:
        location = work()
        done.append(True)
        return location
    return once.run_once(form.form_token.data, endpoint, marked)


def _place(form: OnceForm, errors: dict[str, list[str]], messages: dict[str, Callable[[str], str]]) -> None:
    for name, texts in errors.items():
        target = getattr(form, name, None)
        translate = messages.get(name, lambda text: text)
        if target is not None:
            target.errors = [translate(text) for text in texts]


# --- the account page ------------------------------------------------------------------------------

def _account_page(user: User, *, language: LanguageForm | None = None, password: PasswordForm | None = None,
                  problem: str | None = None, status: int = 200) -> tuple[str, int]:
    if language is None:
        language = _language_form(data={"locale": user.locale})
        language.form_token.data = once.new_token()
    if password is None:
        password = _password_form()
        password.form_token.data = once.new_token()
    failed = password if password.errors else language if language.errors else None
    return render_template(
        "web/account.html", user=user, language=language, password=password, failed=failed,
        problem=problem, roles=[ROLE_NAMES.get(r, r) for r in sorted(user.roles)],
        state=requesting_state(user.state_code or ""),
        mfa_required=auth_service.mfa_required(user),
    ), status


@bp.get("/account")
def account() -> Any:
    return _account_page(account_settings.own_user(db(), actor()))


# The posts below do not open the request's database session before run_once has claimed the form's
# token in a session of its own: on SQLite every transaction takes the write lock.

def _signed_in() -> Any:
    p = principal()
    assert p is not None  # the blueprint sends anonymous callers to the sign-in page
    return p


def _own() -> User:
    return account_settings.own_user(db(), actor())


@bp.post("/account/language")
def language_change() -> Any:
    form = _language_form()
    valid = form.validate()
    if refused := _refusal(form):
        return refused
    if not valid:
        return _account_page(_own(), language=form, status=422)
    chosen = form.locale.data
    done: list[bool] = []

    def work() -> str:
        account_settings.set_locale(db(), actor(), clock_fn(), chosen)
        return url_for("web.account")

    try:
        response = _send(form, "web.language_change", work, done)
    except ValidationFailed as exc:
        _place(form, exc.errors, {"locale": lambda _text: _("Choose one of the languages offered.")})
        return _account_page(_own(), language=form, status=422)
    except once.AlreadySent:
        return _in_flight()
    if done:
        with force_locale(chosen):  # said in the language just chosen
            flash(_("Your language is now %(language)s.", language=LANGUAGE_NAMES.get(chosen, chosen)))
    return response


def _password_message(text: str) -> str:
    """The service's reasons in the page's language."""
    known = {
        "is wrong": _("The current password is wrong."),
        "must differ from the current password": _("Choose a password different from the current one."),
        "does not match the new password": _("The two new passwords are not the same."),
    }
    return known.get(text) or password_rule(text) or text


@bp.post("/account/password")
def password_change() -> Any:
    p = _signed_in()
    email = p.user.email
    form = _password_form()
    valid = form.validate()
    if refused := _refusal(form):
        return refused
    if not valid:
        return _account_page(_own(), password=form, status=422)
    # Each wrong current password counts as a failed sign-in of the account: the same limits stop
    # someone who holds a session from guessing the password behind it.
    limits, address = login_limits(), request.remote_addr or "unknown"
    try:
        limits.check(email, address)
    except ApiError as exc:
        if exc.status != 429:
            raise
        return _account_page(_own(), password=form, status=429, problem=_(
            "Too many wrong passwords. Try again in %(seconds)s seconds.",
            seconds=exc.headers.get("Retry-After", "60")))
    keep = p.user_session.id if p.user_session is not None else None
    current, new, repeated = form.current_password.data, form.new_password.data, form.repeat_password.data
    done: list[bool] = []

    def work() -> str:
        account_settings.change_password(db(), actor(), clock_fn(), current=current, new=new,
                                         repeated=repeated, keep_session_id=keep)
        return url_for("web.account")

    try:
        response = _send(form, "web.password_change", work, done)
    except ValidationFailed as exc:
        if "current_password" in exc.errors:
            limits.failed(email, address)
        _place(form, exc.errors, dict.fromkeys(exc.errors, _password_message))
        return _account_page(_own(), password=form, status=422)
    except once.AlreadySent:
        return _in_flight()
    if done:
        flash(_("Your password was changed. Any other session of your account has ended."))
    return response


# --- two-factor authentication -----------------------------------------------------------------

def _qr_data_uri(uri: str) -> tuple[str, int]:
    """The otpauth:// URI as an SVG image inside the page (the CSP allows data: images only)."""
    code = segno.make(uri, error="m")
    return code.svg_data_uri(scale=QR_SCALE, border=4, dark="#000000", light="#ffffff"), \
        code.symbol_size(scale=QR_SCALE, border=4)[0]


def _enrolment_page(user: User, form: MfaForm, status: int = 200) -> tuple[str, int]:
    secret, uri = account_settings.mfa_enrolment(db(), clock_fn(), user)
    commit()  # a new secret is kept, so that a reload shows the same one
    qr, size = _qr_data_uri(uri)
    grouped = " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))
    return render_template("web/account_mfa.html", form=form, qr=qr, qr_size=size, secret=grouped,
                           issuer=auth_service.MFA_ISSUER, account_name=user.email,
                           required=auth_service.mfa_required(user)), status


def _already_on_page(status: int = 200) -> tuple[str, int]:
    p = principal()
    return render_template("web/account_mfa_on.html",
                           session_verified=bool(p is not None and p.mfa_satisfied)), status


@bp.route("/account/mfa", methods=["GET", "POST"])
def mfa_setup() -> Any:
    p = _signed_in()
    if p.method != "session":
        raise Forbidden("set up two-factor authentication from a signed-in browser, not with an API token")
    if showing_form():
        if p.user.mfa_enabled:
            return _already_on_page()
        form = MfaForm()
        form.form_token.data = once.new_token()
        return _enrolment_page(_own(), form)

    form = MfaForm()
    valid = form.validate()
    if refused := _refusal(form):
        return refused
    if not valid:
        if p.user.mfa_enabled:
            return _already_on_page(409)
        return _enrolment_page(_own(), form, 422)
    code = form.code.data
    session_id = p.user_session.id if p.user_session is not None else None
    done: list[bool] = []

    def work() -> str:
        row = db().get(UserSession, session_id) if session_id is not None else None
        auth_service.confirm_mfa_enrolment(db(), clock_fn(), _own(), code, row)
        return url_for("web.home")

    try:
        response = _send(form, "web.mfa_setup", work, done)
    except ValidationFailed:
        form.code.errors = [_("The code does not match. Check that your device's clock is right, "
                              "wait for the next code and try again.")]
        return _enrolment_page(_own(), form, 422)
    except Conflict:
        if _own().mfa_enabled:
            return _already_on_page(409)
        return redirect(url_for("web.mfa_setup"), 303)  # nothing to confirm yet: start it
    except once.AlreadySent:
        return _in_flight()
    if done:
        flash(_("Two-factor authentication is on. From now on, sign in with your password and a code "
                "from your authenticator app."))
    return response
