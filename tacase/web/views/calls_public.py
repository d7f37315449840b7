"""Pages of a call for anyone: a stakeholder asks for a link, answers through it (no account), and the
public record lists the submissions whose authors consented.

The link's secret is in the address: these pages are never cached and send no Referer, so the
secret does not travel to another site or a shared cache."""

from __future__ import annotations

import datetime as dt
import functools
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Response, abort, current_app, jsonify, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from limits import parse_many
from sqlalchemy import select
from wtforms import RadioField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from tacase.db.models import CallDocument, CallResponse
from tacase.engine.call_answers import clean_answers
from tacase.engine.calls import CallDefinition
from tacase.reference import all_states
from tacase.services.calls import public_submissions, stakeholders, uploads
from tacase.services.errors import (
    Conflict,
    NotFound,
    StaleVersion,
    TooLarge,
    UnsafeDocument,
    UnsupportedType,
    ValidationFailed,
)
from tacase.services.runtime import runtime_of
from tacase.web.api.documents import attachment
from tacase.web.api.schemas import MAX_ID
from tacase.web.auth import public
from tacase.web.context import clock, clock_fn, commit, db, ext
from tacase.web.views.blueprint import bad_form_page, bp, error_page
from tacase.web.views.calls_state import _answer_rows, _condition_hint, _read_answers, _shown_values
from tacase.web.views.forms import OnceForm, PageForm, showing_form, whole_number

STAKEHOLDER_TYPE_LABELS = {
    "nhri": _l("National human rights institution"),
    "civil_society": _l("Civil society organization"),
    "academia": _l("Academic or research institution"),
    "other": _l("Other organization"),
}
PER_PAGE = 20


def _language() -> str:
    language = str(get_locale() or "en")
    return language if language in ("en", "fr", "es") else "en"


def _private(response: Any) -> Response:
    """A page or file behind the link's secret: kept by no cache, and the address sent to no site."""
    out = current_app.make_response(response)
    out.headers["Cache-Control"] = "no-store"
    out.headers["Referrer-Policy"] = "no-referrer"
    return out


def _not_found() -> tuple[str, int]:
    return error_page(_("Page not found"), _("There is no call open to contributions at this address."), 404)


# --- asking for the link ----------------------------------------------------------------------------

class ContributeForm(PageForm):
    name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")), Length(max=200, message=_l("Enter at most 200 characters."))])
    organisation = StringField(_l("Organisation"), validators=[
        DataRequired(_l("Enter the name of your organisation.")),
        Length(max=200, message=_l("Enter at most 200 characters."))],
        description=_l("As it is to appear with your contribution."))
    respondent_type = RadioField(_l("Type of organisation"), choices=[
        SelectChoice(value, label) for value, label in STAKEHOLDER_TYPE_LABELS.items()],
        validators=[DataRequired(_l("Choose the type of your organisation."))])
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(_l("Enter an e-mail address.")),
        Length(max=254, message=_l("Enter at most 254 characters."))],
        description=_l("We send the link to your contribution there; it is never published."))
    country = SelectField(_l("Country (optional)"), choices=[], validate_choice=False)


def _countries() -> list[tuple[str, str]]:
    language = _language()
    states = sorted(((code, s.name(language)) for code, s in all_states().items()), key=lambda p: p[1])
    return [("", ""), *states]


def _too_many(address: str) -> int | None:
    """Seconds to wait when this address asked for too many links (each sends a mail)."""
    limiter = ext()["limiter"]
    strategy = limiter.limiter
    for item in parse_many(ext()["config"].LOGIN_LIMIT_PER_ADDRESS):
        if not strategy.hit(item, "contribute-address", address):
            reset = strategy.get_window_stats(item, "contribute-address", address).reset_time
            return max(1, math.ceil(reset - dt.datetime.now(dt.UTC).timestamp()))
    return None


@bp.route("/calls/<string(maxlength=64):key>/contribute", methods=["GET", "POST"])
@public
def call_contribute(key: str) -> Any:
    """Contribute without an account: the link to the draft goes to the e-mail address given."""
    try:
        call, definition = stakeholders.open_call(db(), key, clock())
    except NotFound:
        return _not_found()
    form = ContributeForm()
    form.country.choices = _countries()
    closed = not stakeholders.accepts_now(call, definition, clock())
    if showing_form() or closed:
        return _contribute_page(call, definition, form, closed, None, 410 if closed and not showing_form()
                                else 200)
    if not form.validate():
        if form.csrf_token.errors:
            return bad_form_page()
        return _contribute_page(call, definition, form, closed, None, 422)
    wait = _too_many(request.remote_addr or "unknown")
    if wait is not None:
        problem = _("Too many links were asked for from your address. Try again in %(seconds)s seconds.",
                    seconds=wait)
        page, status = _contribute_page(call, definition, form, closed, problem, 429)
        return page, status, {"Retry-After": str(wait)}
    try:
        stakeholders.start(db(), clock_fn(), key, name=form.name.data, organisation=form.organisation.data,
                           respondent_type=form.respondent_type.data, email=form.email.data,
                           country=form.country.data,
                           base_url=runtime_of(db()).public_url or request.host_url,
                           language=_language(), gettext=_)
        commit()
    except ValidationFailed as exc:
        db().rollback()
        for name, messages in exc.errors.items():
            if name in form:
                form[name].errors = list(messages)
        return _contribute_page(call, definition, form, closed, None, 422)
    except Conflict:
        db().rollback()
        return _contribute_page(call, definition, form, True, None, 410)
    return render_template("web/call_contribute_sent.html", call=call, definition=definition,
                           language=_language(), email=form.email.data.strip())


def _contribute_page(call: Any, definition: CallDefinition, form: ContributeForm, closed: bool,
                     problem: str | None, status: int = 200) -> tuple[str, int]:
    return render_template("web/call_contribute.html", call=call, definition=definition, form=form,
                           language=_language(), closed=closed, problem=problem), status


# --- the link: answering --------------------------------------------------------------------------------

def _open(token: str) -> tuple[CallResponse, Any, CallDefinition]:
    response, call, definition = stakeholders.contribution(db(), clock_fn(), token)
    commit()  # the confirmation of the address, whatever follows
    return response, call, definition


def _by_link(view: Callable[..., Any]) -> Callable[[str], Any]:
    """The page behind a contribution's link: the draft it opens, or a page saying the link is no good."""
    @functools.wraps(view)
    def opened(token: str) -> Any:
        try:
            response, call, definition = _open(token)
        except NotFound:
            return _private(error_page(_("This link cannot be used"), _(
                "This link is not valid. Check that you copied the whole link from the mail."), 404))
        return view(token, response, call, definition)
    return opened


def _late_notice(call: Any, definition: CallDefinition) -> str | None:
    if clock() <= call.closes_at:
        return None
    if definition.late_responses == "accept":
        return _("The closing date has passed; late responses are accepted and marked late.")
    return _("The closing date has passed; this call accepts no more responses.")


def _uploaded(response: CallResponse, definition: CallDefinition) -> dict[str, str]:
    names = {}
    for q in definition.questions:
        document_id = response.answers.get(q.key) if q.type == "document" else None
        document = db().get(CallDocument, document_id) if isinstance(document_id, int) else None
        if document is not None and document.response_id == response.id:
            names[q.key] = document.filename
    return names


def _form_page(token: str, call: Any, definition: CallDefinition, response: CallResponse,
               values: dict[str, Any], errors: dict[str, list[str]], problem: str | None,
               status: int = 200) -> Response:
    form = OnceForm(formdata=None)
    return _private((render_template(
        "web/call_answer.html", call=call, definition=definition, response=response, values=values,
        errors=errors, problem=problem, form=form, language=_language(), token=token,
        late_notice=_late_notice(call, definition), hints={q.key: _condition_hint(definition, q, _language())
                                                 for q in definition.questions},
        error_list=[(k, m) for k, messages in errors.items() for m in messages],
        answer_url=url_for("web.call_contribution", token=token),
        back_url=url_for("web.call_contribute", key=call.key),
        documents={d.id: d.filename for d in db().scalars(
            select(CallDocument).where(CallDocument.response_id == response.id))}), status))


@bp.route("/calls/contributions/<string(maxlength=100):token>", methods=["GET", "POST"])
@public
@_by_link
def call_contribution(token: str, response: CallResponse, call: Any, definition: CallDefinition) -> Any:
    if response.status == "submitted":
        return redirect(url_for("web.call_contribution_check", token=token), 303)
    if showing_form():
        return _form_page(token, call, definition, response, _shown_values(definition, response.answers), {},
                          None)
    autosave = bool(request.headers.get("X-Autosave"))
    if not OnceForm().validate():
        return (jsonify({"saved": False}), 400) if autosave else bad_form_page()
    raw = _read_answers(definition, request.form)
    stored, upload_errors = _receive_uploads(token, definition, raw)
    try:
        if upload_errors:
            raise ValidationFailed(upload_errors)
        saved = stakeholders.save_draft(db(), clock_fn(), token, raw,
                                        expected_version=whole_number(request.form.get("version")),
                                        language=_language(), gettext=_)
        commit()
    except ValidationFailed as exc:
        _discard(stored)
        if autosave:
            return jsonify({"saved": False, "errors": exc.errors}), 422
        fresh, _c, _d = _open(token)
        return _form_page(token, call, definition, fresh, raw, exc.errors, None, 422)
    except (StaleVersion, Conflict):
        _discard(stored)
        if autosave:
            return jsonify({"saved": False}), 409
        fresh, _c, _d = _open(token)
        return _form_page(token, call, definition, fresh, raw, {}, _(
            "Your contribution was saved from another window since this page was opened. Check the answers "
            "below and save again."), 409)
    if autosave:
        return jsonify({"saved": True, "version": saved.version})
    if request.form.get("action") == "check":
        return redirect(url_for("web.call_contribution_check", token=token), 303)
    return _form_page(token, call, definition, saved, _shown_values(definition, saved.answers), {},
                      None)


@bp.post("/calls/contributions/<string(maxlength=100):token>/documents")
@public
@_by_link
def call_contribution_upload(token: str, _response: CallResponse, call: Any,
                             definition: CallDefinition) -> Any:
    if not PageForm().validate():
        return bad_form_page()
    question = request.form.get("question", "")
    upload = request.files.get("file")
    directory = _upload_directory()
    problem: str | None = None
    stored: CallDocument | None = None
    try:
        if upload is None or not upload.filename:
            raise ValidationFailed({question: [_("Choose a file to upload.")]})
        stored = stakeholders.upload_document(
            db(), clock_fn(), token, question, filename=upload.filename, stream=upload.stream,
            directory=directory, max_bytes=current_app.config["MAX_UPLOAD_BYTES"], gettext=_)
        stakeholders.save_draft(db(), clock_fn(), token, {question: stored.id}, language=_language(),
                                gettext=_)
        commit()
        stored = None
    except ValidationFailed as exc:
        problem = " ".join(m for messages in exc.errors.values() for m in messages)
    except (UnsupportedType, UnsafeDocument):
        problem = _("The file must be a PDF, Word (DOCX), OpenDocument text, Excel, PNG or JPEG file.")
    except TooLarge:
        problem = _("The file is too large.")
    except Conflict:
        problem = _("This contribution was sent already; it can no longer be changed.")
    finally:
        if stored is not None:  # a file in place whose row was not committed
            db().rollback()
            (directory / stored.stored_name).unlink(missing_ok=True)
    if problem is not None:
        db().rollback()
        fresh, call, definition = _open(token)
        key = question if definition.question(question) is not None else "call"
        return _form_page(token, call, definition, fresh, _shown_values(definition, fresh.answers),
                          {key: [problem]}, None, 422)
    return redirect(url_for("web.call_contribution", token=token) + f"#q-{question}", 303)


def _upload_directory() -> Path:
    return uploads.directory_of(current_app.config["DOCUMENTS_DIR"])


def _discard(stored: list[CallDocument]) -> None:
    """Files whose rows were not committed are not kept either."""
    db().rollback()
    for document in stored:
        uploads.discard(_upload_directory(), document)


def _receive_uploads(token: str, definition: CallDefinition,
                     raw: dict[str, Any]) -> tuple[list[CallDocument], dict[str, list[str]]]:
    """The files chosen in the answer form, stored; each one's id becomes its answer."""
    stored: list[CallDocument] = []
    errors: dict[str, list[str]] = {}
    for q in definition.questions:
        chosen = request.files.get(f"q-{q.key}") if q.type == "document" else None
        if chosen is None or not chosen.filename:
            continue
        try:
            document = stakeholders.upload_document(
                db(), clock_fn(), token, q.key, filename=chosen.filename, stream=chosen.stream,
                directory=_upload_directory(), max_bytes=current_app.config["MAX_UPLOAD_BYTES"], gettext=_)
        except (UnsupportedType, UnsafeDocument):
            errors[q.key] = [_("Choose a PDF, DOCX, XLSX, ODT, PNG or JPEG file.")]
        except TooLarge:
            errors[q.key] = [_("The file is too large.")]
        except ValidationFailed as exc:
            errors[q.key] = [m for messages in exc.errors.values() for m in messages]
        else:
            stored.append(document)
            raw[q.key] = document.id
    return stored, errors


@bp.get("/calls/contributions/<string(maxlength=100):token>/check")
@public
@_by_link
def call_contribution_check(token: str, response: CallResponse, call: Any, definition: CallDefinition) -> Any:
    return _check_page(token, call, definition, response, None)


def _check_page(token: str, call: Any, definition: CallDefinition, response: CallResponse,
                problem: str | None, status: int = 200) -> Response:
    language = _language()
    _cleaned, missing = clean_answers(definition, dict(response.answers), complete=True, language=language,
                                      gettext=_)
    rows = _answer_rows(definition, response, language)
    uploaded = _uploaded(response, definition)
    for row in rows:
        if row["key"] in uploaded:
            row["value"] = uploaded[row["key"]]
    form = OnceForm(formdata=None)
    return _private((render_template(
        "web/call_contribution_check.html", call=call, definition=definition, response=response, form=form,
        rows=rows, missing=missing, problem=problem, language=language, token=token,
        late_notice=_late_notice(call, definition),
        refused=clock() > call.closes_at and definition.late_responses == "refuse"), status))


@bp.post("/calls/contributions/<string(maxlength=100):token>/submit")
@public
@_by_link
def call_contribution_submit(token: str, _response: CallResponse, call: Any,
                             definition: CallDefinition) -> Any:
    if not PageForm().validate():
        return bad_form_page()
    consent = request.form.get("consent_to_publish") == "yes"
    try:
        stakeholders.submit(db(), clock_fn(), token, consent_to_publish=consent,
                            expected_version=whole_number(request.form.get("version")),
                            language=_language(), gettext=_)
        commit()
    except ValidationFailed as exc:
        db().rollback()
        why = " ".join(m for messages in exc.errors.values() for m in messages)
        fresh, call, definition = _open(token)
        problem = _("The contribution was not sent: %(why)s", why=why)
        return _check_page(token, call, definition, fresh, problem, 422)
    except (StaleVersion, Conflict):
        db().rollback()
        return redirect(url_for("web.call_contribution_check", token=token), 303)
    return redirect(url_for("web.call_contribution_check", token=token), 303)


# --- the public record ---------------------------------------------------------------------------------

def _lang_args() -> dict[str, str]:
    lang = request.args.get("lang")
    return {"lang": lang} if lang in ("en", "fr", "es") else {}


@bp.get("/public/calls")
@public
def public_calls() -> Any:
    language = _language()
    found = public_submissions.published_calls(db(), clock())
    counts = public_submissions.submission_counts(db(), [c.id for c, _d in found])
    items = [public_submissions.call_json(c, d, language, counts.get(c.id, 0)) for c, d in found]
    return render_template("web/public_calls.html", items=items, language=_lang_args())


@bp.get("/public/calls/<string(maxlength=64):key>")
@public
def public_call(key: str) -> Any:
    language = _language()
    try:
        call, definition = public_submissions.published_call(db(), key, clock())
    except NotFound:
        return error_page(_("Page not found"),
                          _("No call for submissions is published at this address."), 404)
    page_number = whole_number(request.args.get("page", "1"), 5) or 1
    page = public_submissions.published_submissions(db(), call, definition, language=language,
                                                    page=page_number, per_page=PER_PAGE)
    item = public_submissions.call_json(call, definition, language, page.total)
    try:
        stakeholders.open_call(db(), key, clock())
        open_to_stakeholders = stakeholders.accepts_now(call, definition, clock())
    except NotFound:
        open_to_stakeholders = False
    return render_template("web/public_call.html", item=item, page=page, submissions=page.items,
                           type_labels=STAKEHOLDER_TYPE_LABELS, language=_lang_args(),
                           open_to_stakeholders=open_to_stakeholders)


@bp.get(f"/public/calls/<string(maxlength=64):key>/documents/<int(max={MAX_ID}):document_id>")
@public
def public_call_document(key: str, document_id: int) -> Any:
    try:
        document = public_submissions.published_document(db(), key, document_id, clock())
    except NotFound:
        return error_page(_("Page not found"), _("No published document is at this address."), 404)
    if request.if_none_match.contains(document.sha256):
        response = Response(status=304)
    else:
        path = _upload_directory() / document.stored_name
        if not path.is_file():
            abort(404)
        response = attachment(document, path.open("rb"))
    response.cache_control.public = True
    response.cache_control.max_age = ext()["config"].PUBLIC_MAX_AGE_SECONDS
    response.set_etag(document.sha256)
    return response
