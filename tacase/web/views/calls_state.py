"""Pages of the State side of a call: the call's page (who in the State answers, invitations), the
answer form, checking and submitting, and accepting an invitation.

The answer form is one page; each save merges what it holds into the draft, and a script saves
while one types. A form sent after the session ended is carried through the sign-in like any
other (see resume.py). Without script every question shows, its condition said in its hint."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, EqualTo, Length

from tacase.db.models import Call, CallDocument, CallResponse
from tacase.engine.call_answers import clean_answers, is_blank
from tacase.engine.calls import CallDefinition, Question
from tacase.services.calls import access, invitations, present, registry, responses, uploads
from tacase.services.errors import (
    Conflict,
    Forbidden,
    NotFound,
    StaleVersion,
    TooLarge,
    UnsupportedType,
    ValidationFailed,
)
from tacase.services.runtime import runtime_of
from tacase.web.auth import public
from tacase.web.auth import sign_in as attempt_sign_in
from tacase.web.context import actor, clock, clock_fn, commit, db, principal
from tacase.web.views import once
from tacase.web.views.blueprint import bad_form_page, bp, error_page
from tacase.web.views.forms import OnceForm, PageForm, password_rule, showing_form, whole_number

SAVE, CHECK = "save", "check"
RESPONDENT_TYPE_LABELS = {
    "ministry": _l("A ministry"), "local_government": _l("A local government"),
    "parliament": _l("Parliament"), "judiciary": _l("The judiciary"),
    "other_state_body": _l("Another State body"),
}


def _language() -> str:
    language = str(get_locale() or "en")
    return language if language in ("en", "fr", "es") else "en"


class InviteForm(OnceForm):
    email = StringField(_l("E-mail address of the person you invite"), validators=[
        DataRequired(_l("Enter an e-mail address.")),
        Length(max=254, message=_l("Enter at most 254 characters."))])
    ministry = StringField(_l("Ministry or body"), validators=[
        DataRequired(_l("Enter the name of the ministry or body.")),
        Length(max=200, message=_l("Enter at most 200 characters."))],
        description=_l("As it is to appear with its response, such as \"Ministry of Health\"."))
    respondent_type = SelectField(_l("Type of body"), choices=[
        SelectChoice(value, label) for value, label in RESPONDENT_TYPE_LABELS.items()], default="ministry")


class AcceptForm(PageForm):
    display_name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")), Length(max=200, message=_l("Enter at most 200 characters."))])
    password = PasswordField(_l("Choose a password"), validators=[
        DataRequired(_l("Choose a password.")), Length(max=1024, message=_l("The password is too long."))],
        description=_l("At least 12 characters; a phrase of unrelated words is easy to remember."))
    confirm = PasswordField(_l("Type the password again"), validators=[
        DataRequired(_l("Type the password again.")),
        EqualTo("password", message=_l("The two passwords are not the same."))])


class RevokeForm(OnceForm):
    """The CSRF and one-time tokens alone."""


# --- reading the State side --------------------------------------------------------------------------

def _call_for_state(key: str) -> tuple[Call, CallDefinition, str]:
    call = registry.get_call(db(), key)
    state = access.require_state_side(db(), actor(), call)
    if call.opens_on > clock().date():
        raise NotFound("there is no such call")
    return call, registry.definition_of(db(), call), state


def _late_notice(call: Call, definition: CallDefinition) -> str | None:
    if clock() <= call.closes_at:
        return None
    if definition.late_responses == "accept":
        return _("The closing date has passed; late responses are accepted and marked late.")
    return _("The closing date has passed; this call accepts no more responses.")


def _status_label(response: CallResponse | None) -> str:
    if response is None:
        return _("Not started")
    if response.status == "submitted":
        return _("Submitted late") if response.late else _("Submitted")
    return _("Draft")


@bp.get("/calls/<string(maxlength=64):key>/state")
def call_state(key: str) -> Any:
    """The call as the State sees it: what it asks, by when, who in the State is answering."""
    return _state_page(key, _invite_form())


def _state_page(key: str, invite_form: InviteForm, status: int = 200) -> Any:
    call, definition, state = _call_for_state(key)
    viewer, now = actor(), clock()
    is_focal = access.is_focal_point(viewer)
    invited = invitations.list_invitations(db(), viewer, key) if is_focal else []
    return render_template(
        "web/call_state.html", call=call, definition=definition, language=_language(), state=state,
        is_focal=is_focal, rows=responses.state_responses(db(), viewer, key),
        invited=[invitations.invitation_json(i, now) for i in invited],
        status_label=_status_label, late_notice=_late_notice(call, definition), invite_form=invite_form,
        revoke_form=RevokeForm(formdata=None), new_token=once.new_token, type_labels=RESPONDENT_TYPE_LABELS,
        focal_submits=definition.submitted_by == "focal_point"), status


def _invite_form(formdata: Any = None) -> InviteForm:
    form = InviteForm(formdata=formdata)
    if formdata is None:
        form.form_token.data = once.new_token()
    return form


# --- the answer form ---------------------------------------------------------------------------------

def _read_answers(definition: CallDefinition, data: MultiDict) -> dict[str, Any]:
    """The answers a form holds; a question it leaves blank clears its answer."""
    raw: dict[str, Any] = {}
    for q in definition.questions:
        name = f"q-{q.key}"
        if q.type == "document":
            continue  # uploaded on their own
        if q.type == "choices":
            raw[q.key] = data.getlist(name)
        elif q.type == "table":
            rows = []
            for index in range(q.max_rows or 0):
                row = {c.key: data.get(f"{name}-{index}-{c.key}", "") for c in q.columns}
                if f"{name}-{index}-{q.columns[0].key}" not in data:
                    break
                rows.append(row)
            raw[q.key] = rows
        else:
            raw[q.key] = data.get(name, "")
    return raw


def _shown_values(definition: CallDefinition, answers: dict[str, Any]) -> dict[str, Any]:
    """What each input shows: the stored answer written back as a form would send it."""
    values: dict[str, Any] = {}
    for q in definition.questions:
        value = answers.get(q.key)
        if q.type == "yes_no" and isinstance(value, bool):
            value = "yes" if value else "no"
        elif q.type in ("choices", "table"):
            value = value if isinstance(value, list) else []
        elif value is None:
            value = ""
        values[q.key] = value
    return values


def _condition_hint(definition: CallDefinition, q: Question, language: str) -> str | None:
    if q.when is None:
        return None
    parent = definition.question(q.when.question)
    if parent is None:
        return None
    shown = []
    for value in q.when.values:
        if isinstance(value, bool):
            shown.append(_("Yes") if value else _("No"))
        else:
            shown.append(parent.option_label(value, language) or str(value))
    return _("Answer only if your answer to \"%(question)s\" is %(values)s.",
             question=parent.label.text(language), values=" / ".join(shown))


def _form_page(call: Call, definition: CallDefinition, response: CallResponse, values: dict[str, Any],
               errors: dict[str, list[str]], problem: str | None, status: int = 200) -> Any:
    form = OnceForm(formdata=None)
    form.form_token.data = once.new_token()
    language = _language()
    return render_template(
        "web/call_answer.html", call=call, definition=definition, response=response, values=values,
        errors=errors, problem=problem, form=form, language=language,
        late_notice=_late_notice(call, definition),
        hints={q.key: _condition_hint(definition, q, language) for q in definition.questions},
        documents={d.id: d.filename for d in db().scalars(
            select(CallDocument).where(CallDocument.response_id == response.id))},
        error_list=[(key, message) for key, messages in errors.items() for message in messages],
    ), status


@bp.route("/calls/<string(maxlength=64):key>/respond", methods=["GET", "POST"])
def call_answer(key: str) -> Any:
    call, definition, _state = _call_for_state(key)
    if showing_form():
        response = responses.my_response(db(), actor(), clock_fn(), key)
        commit()
        if response.status == "submitted":
            return redirect(url_for("web.call_check", key=key, response=response.id))
        return _form_page(call, definition, response, _shown_values(definition, response.answers), {}, None)
    if not OnceForm().validate():
        if request.headers.get("X-Autosave"):
            return jsonify({"saved": False}), 400
        return bad_form_page()
    raw = _read_answers(definition, request.form)
    version = whole_number(request.form.get("version"))
    autosave = bool(request.headers.get("X-Autosave"))
    stored, upload_errors = _receive_uploads(key, definition, raw)
    try:
        if upload_errors:
            raise ValidationFailed(upload_errors)
        response = responses.save_draft(db(), actor(), clock_fn(), key, raw, expected_version=version,
                                        language=_language(), gettext=_)
        commit()
    except BaseException as exc:
        for document in stored:  # the rows were not committed: neither are the files kept
            uploads.discard(_upload_directory(), document)
        if isinstance(exc, ValidationFailed | StaleVersion | Conflict):
            return _save_refused(key, call, definition, raw, autosave, exc)
        raise
    if autosave:
        return jsonify({"saved": True, "version": response.version})
    if request.form.get("action") == CHECK:
        return redirect(url_for("web.call_check", key=key), 303)
    flash(_("Your draft is saved. You can come back to it at any time before the closing date."))
    return redirect(url_for("web.call_state", key=key), 303)


def _upload_directory() -> Path:
    return uploads.directory_of(current_app.config["DOCUMENTS_DIR"])


def _receive_uploads(key: str, definition: CallDefinition,
                     raw: dict[str, Any]) -> tuple[list[CallDocument], dict[str, list[str]]]:
    """The files chosen for document questions, stored; each one's id becomes its answer."""
    stored: list[CallDocument] = []
    errors: dict[str, list[str]] = {}
    for q in definition.questions:
        chosen = request.files.get(f"q-{q.key}") if q.type == "document" else None
        if chosen is None or not chosen.filename:
            continue
        try:
            document = uploads.upload(db(), actor(), clock_fn(), key, q.key, filename=chosen.filename,
                                      stream=chosen.stream, directory=_upload_directory(),
                                      max_bytes=current_app.config["MAX_UPLOAD_BYTES"])
        except UnsupportedType:
            errors[q.key] = [_("Choose a PDF, DOCX, XLSX, ODT, PNG or JPEG file.")]
        except TooLarge:
            errors[q.key] = [_("The file is too large.")]
        except ValidationFailed as exc:
            errors[q.key] = [_(m) for messages in exc.errors.values() for m in messages]
        else:
            stored.append(document)
            raw[q.key] = document.id
    return stored, errors


def _save_refused(key: str, call: Call, definition: CallDefinition, raw: dict[str, Any], autosave: bool,
                  exc: Exception) -> Any:
    if isinstance(exc, ValidationFailed):
        db().rollback()
        if autosave:
            return jsonify({"saved": False, "errors": exc.errors}), 422
        response = responses.my_response(db(), actor(), clock_fn(), key)
        return _form_page(call, definition, response, raw, exc.errors, None, 422)
    db().rollback()
    if autosave:
        return jsonify({"saved": False}), 409
    response = responses.my_response(db(), actor(), clock_fn(), key)
    problem = (_("Your answers were saved from another window or by someone else since this page was "
                 "opened. Check them below and save again.") if isinstance(exc, StaleVersion)
               else _("This response was submitted already; it can no longer be changed."))
    return _form_page(call, definition, response, raw, {}, problem, 409)


# --- checking and submitting ---------------------------------------------------------------------

def _chosen_response(key: str) -> CallResponse:
    own = responses.state_responses(db(), actor(), key)
    wanted = whole_number(request.values.get("response"))
    if wanted is None:
        mine = responses.my_response(db(), actor(), clock_fn(), key)
        commit()
        return mine
    for response in own:
        if response.id == wanted:
            return response
    raise NotFound("there is no such response")


def _answer_rows(definition: CallDefinition, response: CallResponse, language: str) -> list[dict[str, Any]]:
    files = {d.id: d.filename for d in db().scalars(
        select(CallDocument).where(CallDocument.response_id == response.id))}
    rows = []
    for q in definition.questions:
        value = response.answers.get(q.key)
        if q.type in ("choice",):
            shown = q.option_label(value, language) if value is not None else ""
        elif q.type == "choices":
            shown = "; ".join(q.option_label(v, language) for v in value or [])
        elif q.type == "yes_no":
            shown = "" if value is None else (_("Yes") if value else _("No"))
        elif q.type == "table":
            shown = "\n".join("; ".join(f"{c.label.text(language)}: {row.get(c.key, '')}" for c in q.columns)
                              for row in value or [])
        elif q.type == "document":
            shown = files.get(value, "") if value is not None else ""
        else:
            shown = "" if value is None else str(value)
        if q.unit is not None and shown:
            shown = f"{shown} {q.unit.text(language)}"
        rows.append({"key": q.key, "label": q.label.text(language), "value": shown,
                     "section": q.section.text(language) if q.section else None})
    return rows


@bp.get("/calls/<string(maxlength=64):key>/check")
def call_check(key: str) -> Any:
    call, definition, _state = _call_for_state(key)
    response = _chosen_response(key)
    return _check_page(call, definition, response, None)


def _check_page(call: Call, definition: CallDefinition, response: CallResponse, problem: str | None,
                status: int = 200) -> Any:
    language = _language()
    _cleaned, missing = clean_answers(definition, dict(response.answers), complete=True, language=language,
                                      gettext=_)
    viewer = actor()
    invitee_blocked = (not access.is_focal_point(viewer)) and definition.submitted_by == "focal_point"
    form = OnceForm(formdata=None)
    form.form_token.data = once.new_token()
    own = (access.is_focal_point(viewer) and response.respondent_kind == "state") or (
        not access.is_focal_point(viewer))
    return render_template(
        "web/call_check.html", call=call, definition=definition, response=response, form=form,
        rows=_answer_rows(definition, response, language), missing=missing, problem=problem,
        invitee_blocked=invitee_blocked, own=own, language=language,
        late_notice=_late_notice(call, definition),
        refused=clock() > call.closes_at and definition.late_responses == "refuse"), status


@bp.post("/calls/<string(maxlength=64):key>/submit")
def call_submit(key: str) -> Any:
    call, definition, _state = _call_for_state(key)
    form = OnceForm()
    if not form.validate() or once.token_problem(form.form_token.data):
        return bad_form_page()
    response = _chosen_response(key)
    consent = request.form.get("consent_to_publish") == "yes"

    def work() -> str:
        done = responses.submit(db(), actor(), clock_fn(), key, response_id=response.id,
                                consent_to_publish=consent, language=_language(), gettext=_)
        return url_for("web.call_done", key=key, response=done.id)

    try:
        return once.run_once(form.form_token.data, "web.call_submit", work)
    except ValidationFailed as exc:
        why = " ".join(m for messages in exc.errors.values() for m in messages)
        status = 422
    except (Forbidden, Conflict) as exc:
        why, status = str(exc), 409
    fresh = db().get(CallResponse, response.id)
    return _check_page(call, definition, fresh, _("The response was not submitted: %(why)s", why=why), status)


@bp.get("/calls/<string(maxlength=64):key>/done")
def call_done(key: str) -> Any:
    call, definition, _state = _call_for_state(key)
    response = _chosen_response(key)
    if response.status != "submitted":
        return redirect(url_for("web.call_check", key=key, response=response.id))
    return render_template("web/call_done.html", call=call, definition=definition, response=response,
                           language=_language())


# --- invitations -----------------------------------------------------------------------------------

@bp.post("/calls/<string(maxlength=64):key>/invitations")
def call_invite(key: str) -> Any:
    _call_for_state(key)
    form = _invite_form(request.form)
    if not form.validate() or once.token_problem(form.form_token.data):
        if form.csrf_token.errors or once.token_problem(form.form_token.data):
            return bad_form_page()
        return _state_with_invite_form(key, form)
    base_url = runtime_of(db()).public_url or request.host_url

    def work() -> str:
        invitation, _link = invitations.invite(
            db(), actor(), clock_fn(), key, email=form.email.data, ministry=form.ministry.data,
            respondent_type=form.respondent_type.data, base_url=base_url)
        flash(_("%(email)s is invited; the mail with the link goes out in a moment.", email=invitation.email))
        return url_for("web.call_state", key=key) + "#invitations"

    try:
        return once.run_once(form.form_token.data, "web.call_invite", work)
    except ValidationFailed as exc:
        for name, messages in exc.errors.items():
            if name in form:
                form[name].errors = [_(m) for m in messages]
        return _state_with_invite_form(key, form)


def _state_with_invite_form(key: str, form: InviteForm) -> Any:
    """The call's page with the invitation form as sent, its errors beside the fields."""
    form.form_token.data = once.new_token()
    return _state_page(key, form, 422)


@bp.post("/calls/<string(maxlength=64):key>/invitations/<int(max=2147483647):invitation_id>/revoke")
def call_revoke(key: str, invitation_id: int) -> Any:
    _call_for_state(key)
    form = RevokeForm()
    if not form.validate() or once.token_problem(form.form_token.data):
        return bad_form_page()

    def work() -> str:
        invitation = invitations.revoke(db(), actor(), clock_fn(), key, invitation_id)
        flash(_("The invitation of %(email)s is withdrawn.", email=invitation.email))
        return url_for("web.call_state", key=key) + "#invitations"

    return once.run_once(form.form_token.data, "web.call_revoke", work)


@bp.route("/calls/invitations/<string(maxlength=100):token>", methods=["GET", "POST"])
@public
def call_invitation(token: str) -> Any:
    """Accept an invitation: choose a name and password, then answer at once."""
    try:
        invitation = invitations.usable_invitation(db(), clock_fn(), token)
    except (NotFound, Conflict) as exc:
        return error_page(_("This invitation cannot be used"), _(str(exc)), 404 if isinstance(exc, NotFound)
                          else 410)
    call = db().get(Call, invitation.call_id)
    if call is None:
        abort(404)
    definition = registry.definition_of(db(), call)
    form = AcceptForm()
    p = principal()
    problem = None
    if not showing_form():
        if p is not None:
            if not PageForm().validate():
                return bad_form_page()
            try:
                invitations.accept_signed_in(db(), p.actor, clock_fn(), token)
                commit()
            except Forbidden as exc:
                return error_page(_("This invitation cannot be used"), _(str(exc)), 403)
            return redirect(url_for("web.call_state", key=call.key), 303)
        if form.validate():
            try:
                _user, accepted = invitations.accept(db(), clock_fn(), token,
                                                     display_name=form.display_name.data,
                                                     password=form.password.data)
                commit()
            except ValidationFailed as exc:
                db().rollback()
                for name, messages in exc.errors.items():
                    if name in form:
                        form[name].errors = [password_rule(m) or _(m) for m in messages]
            except Conflict as exc:
                db().rollback()
                problem = _(str(exc))
            else:
                attempt_sign_in(accepted.email, form.password.data, None)
                flash(_("Your account is ready. You can now answer the call."))
                return redirect(url_for("web.call_state", key=call.key), 303)
        elif form.csrf_token.errors:
            return bad_form_page()
    status = 200 if showing_form() else 422
    return render_template("web/call_invitation.html", form=form, invitation=invitation, call=call,
                           definition=definition, language=_language(), problem=problem,
                           signed_in_user=p.user if p is not None else None,
                           state_name=responses.state_name(invitation.state_code, _language())), status


@bp.get("/calls/mine")
def my_calls() -> Any:
    """The calls an invited colleague may answer (usually one: it goes straight there)."""
    now = clock()
    calls = present.visible_calls(db(), actor(), now)
    if len(calls) == 1 and not actor().roles:
        return redirect(url_for("web.call_state", key=calls[0].key))
    return render_template("web/call_list.html", calls=open_call_rows(calls))


def open_call_rows(calls: list[Call]) -> list[dict[str, Any]]:
    """The dashboard's lines: each call with its closing date and where the State's response is."""
    viewer, now, language = actor(), clock(), _language()
    rows = []
    for call in calls:
        definition = registry.definition_of(db(), call)
        response = None
        try:
            own = responses.state_responses(db(), viewer, call.key)
        except (NotFound, Forbidden):
            continue
        mine = [r for r in own if (r.respondent_kind == "state") == access.is_focal_point(viewer)]
        response = mine[0] if mine else None
        rows.append({"key": call.key, "title": definition.title.text(language), "closes_on": call.closes_on,
                     "closed": now > call.closes_at, "status": _status_label(response),
                     "responses": len(own), "submitted": sum(1 for r in own if r.status == "submitted"),
                     "blank": response is None or is_blank(response.answers)})
    return rows
