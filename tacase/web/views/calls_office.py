"""Pages: the office's calls for input. The list of calls, each call's follow-up by State and region
with one-click reminders, its results with a chart and a table for every counted question, the files
of its responses, and a response's page with its reopening. The Board reads the results."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from flask import Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import format_decimal, format_percent, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from werkzeug.wrappers import Response as WerkzeugResponse
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from tacase.db.call_models import RESPONDENT_TYPES
from tacase.db.models import Call, CallDocument, CallParticipant, CallResponse, CallResponseVersion, User
from tacase.engine.calls import CallDefinition, Question
from tacase.exports import call_files
from tacase.reference import LANGUAGES, requesting_state
from tacase.services.calls import access, aggregation, followup, registry
from tacase.services.errors import Conflict, NotFound, ValidationFailed
from tacase.web import charts
from tacase.web.api.documents import attachment
from tacase.web.context import actor, clock_fn, db
from tacase.web.i18n import state_name
from tacase.web.views import once
from tacase.web.views.blueprint import bp, error_page
from tacase.web.views.forms import OnceForm

KEY = "<string(maxlength=64):key>"
RESPONSE = "<int(max=2147483647):response_id>"
MAX_REASON = 1000


class ReminderForm(OnceForm):
    """The States to remind are the checked boxes named `states`."""


class ReopenForm(OnceForm):
    reason = TextAreaField(_l("Why is the response reopened?"), validators=[
        DataRequired(_l("Say why the response is reopened, for example the respondent's request.")),
        Length(max=MAX_REASON, message=_l("Enter at most %(max)d characters.", max=MAX_REASON)),
    ], description=_l("The respondent sees the response as a draft again; the submitted version is kept."))


def _language() -> str:
    locale = str(get_locale() or "en").split("_")[0]
    return locale if locale in LANGUAGES else "en"


def text_language() -> str:
    # A call's texts exist in English, French and Spanish; other languages read the English.
    language = _language()
    return language if language in ("en", "fr", "es") else "en"


def status_names() -> dict[str, str]:
    return {"submitted": _("Submitted"), "drafted": _("Drafting"), "opened": _("Opened"),
            "invited": _("Colleagues invited"), "not_started": _("Not started")}


def respondent_type_names() -> dict[str, str]:
    return {"state": _("State (focal point)"), "ministry": _("Ministry"),
            "local_government": _("Local government"), "parliament": _("Parliament"),
            "judiciary": _("Judiciary"), "other_state_body": _("Other State body"),
            "nhri": _("National human rights institution"), "civil_society": _("Civil society"),
            "academia": _("Academia"), "other": _("Other")}


def _call_and_definition(key: str) -> tuple[Call, CallDefinition]:
    call = registry.get_call(db(), key)
    return call, registry.definition_of(db(), call)


def _filter(name: str, allowed: Any, problems: list[str], message: str) -> str | None:
    value = request.args.get(name, "").strip()
    if not value:
        return None
    if value not in allowed:
        problems.append(message)
        return None
    return value


# --- the list ----------------------------------------------------------------------------------------

@bp.get("/calls", endpoint="office_calls")
def office_calls() -> Any:
    if not access.can_read_results(actor()):
        return redirect(url_for("web.home"), 303)  # a State finds its calls on its home page
    calls = registry.list_calls(db())
    language = text_language()
    ids = [c.id for c in calls]
    audience = dict(db().execute(select(CallParticipant.call_id, func.count()).where(
        CallParticipant.call_id.in_(ids)).group_by(CallParticipant.call_id)).all()) if ids else {}
    answered = dict(db().execute(select(CallParticipant.call_id, func.count()).where(
        CallParticipant.call_id.in_(ids), CallParticipant.submitted_at.is_not(None))
        .group_by(CallParticipant.call_id)).all()) if ids else {}
    now = clock_fn()()
    rows = []
    for call in calls:
        definition = registry.definition_of(db(), call)
        rows.append({"call": call, "title": definition.title.text(language), "kind": definition.kind,
                     "states": audience.get(call.id, 0), "submitted": answered.get(call.id, 0),
                     "open": call.opens_on <= now.date() and call.closes_at > now,
                     "closed": call.closes_at <= now})
    return render_template("web/calls_office.html", rows=rows, is_office=access.is_office(actor()))


# --- the follow-up -------------------------------------------------------------------------------------

@bp.get(f"/calls/{KEY}/followup", endpoint="call_followup")
def call_followup(key: str) -> Any:
    access.require_office(actor())
    call, definition = _call_and_definition(key)
    problems: list[str] = []
    region = _filter("region", aggregation.regions(), problems, _("Region: choose one of the list."))
    status = _filter("status", followup.STATUSES, problems, _("Status: choose one of the list."))
    view = followup.followup(db(), actor(), key, region=region, status=status, language=_language())
    form = ReminderForm()
    form.form_token.data = once.new_token()
    return render_template(
        "web/call_followup.html", call=call, title=definition.title.text(text_language()), view=view,
        region=region, status=status, regions=aggregation.regions(), statuses=status_names(),
        problems=problems, form=form, now=clock_fn()()), 422 if problems else 200


@bp.post(f"/calls/{KEY}/reminders", endpoint="call_remind")
def call_remind(key: str) -> Any:
    access.require_office(actor())
    registry.get_call(db(), key)
    form = ReminderForm()
    form.validate()
    if form.csrf_token.errors or once.token_problem(form.form_token.data):
        return error_page(_("The form could not be sent"), _(
            "The form had expired or did not come from this site. Go back, reload the page and "
            "send it again."), 400)
    chosen = request.form.getlist("shown" if request.form.get("everyone") else "states")
    states = [s.strip().upper() for s in chosen if s.strip()]
    states = states[:followup.MAX_REMINDED + 1]
    back = url_for("web.call_followup", key=key)
    if not states:
        flash(_("Choose at least one State to remind."))
        return redirect(back, 303)
    done: list[dict[str, Any]] = []

    def work() -> str:
        done.append(followup.remind(db(), actor(), clock_fn(), key, states))
        return back

    try:
        response = once.run_once(form.form_token.data, "web.call_remind", work)
    except ValidationFailed:
        flash(_("Choose States of the list: only the States asked to answer this call can be reminded."))
        return redirect(back, 303)
    if done:
        sent = done[0]
        flash(_("Reminders sent to %(states)d States (%(mails)d e-mails).", states=len(sent["reminded"]),
                mails=sent["mails"]))
        if sent["already_submitted"]:
            flash(_("Not reminded, having submitted already: %(states)s.",
                    states=", ".join(sent["already_submitted"])))
    return response


# --- the results ---------------------------------------------------------------------------------------

def _number(value: Any) -> str:
    if value is None or value == "":
        return ""
    return format_decimal(value, format="#,##0.##")


def _chart(title: str, labels: list[str], counts: list[int], *, rotate: bool = False,
           horizontal: bool = False) -> str:
    # Inside the page: one request for the page however many questions it charts.
    svg = charts.count_bars(title, _("Responses"), labels, counts, empty=_("No answers yet"), rotate=rotate,
                            horizontal=horizontal)
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")


def _present(item: dict[str, Any], total: int) -> dict[str, Any]:
    """What the page shows of a question's result: a chart and its table, or the answers listed."""
    shown = dict(item)
    if "options" in item:
        # A scale's points read left to right; the options of a choice are sentences, written across.
        shown["chart"] = _chart(item["label"], [o["label"] for o in item["options"]],
                                [o["count"] for o in item["options"]], horizontal=item["type"] != "scale")
        shown["table"] = [{"name": o["label"], "cells": [_number(o["count"]), format_percent(o["share"])]}
                          for o in item["options"]]
    if item["type"] == "number":
        bins = item.get("distribution") or []
        labels = [f"{_number(b['from'])} - {_number(b['to'])}" for b in bins]
        counts = [b["count"] for b in bins]
        shown["chart"] = _chart(item["label"], labels, counts, rotate=True) if bins else None
        shown["table"] = [{"name": label, "cells": [_number(b["count"])]} for label, b in zip(labels, bins,
                                                                                             strict=True)]
        shown["figures"] = [(_("Answers"), _number(item["count"])), (_("Sum"), _number(item["sum"])),
                            (_("Smallest"), _number(item["min"])), (_("Median"), _number(item["median"])),
                            (_("Mean"), _number(item["mean"])), (_("Largest"), _number(item["max"]))]
    shown["of_total"] = total
    return shown


@bp.get(f"/calls/{KEY}/results", endpoint="call_results")
def call_results(key: str) -> Any:
    access.require_results_reader(actor())
    call, definition = _call_and_definition(key)
    problems: list[str] = []
    region = _filter("region", aggregation.regions(), problems, _("Region: choose one of the list."))
    rtype = _filter("respondent_type", RESPONDENT_TYPES, problems,
                    _("Type of respondent: choose one of the list."))
    language = text_language()
    result = aggregation.results(db(), call, definition, region=region, respondent_type=rtype,
                                 language=language, gettext=_)
    questions = [_present(q, result["responses"]) for q in result["questions"]]
    args = {k: v for k, v in (("region", region), ("respondent_type", rtype)) if v}
    return render_template(
        "web/call_results.html", call=call, title=definition.title.text(language), result=result,
        questions=questions, region=region, respondent_type=rtype, regions=aggregation.regions(),
        respondent_types=respondent_type_names(), problems=problems, args=args,
        is_office=access.is_office(actor()),
        downloads=[(fmt.upper(), url_for("web.call_export", key=key, fmt=fmt)) for fmt in call_files.FORMATS],
    ), 422 if problems else 200


@bp.get(f"/calls/{KEY}/export.<fmt>", endpoint="call_export")
def call_export(key: str, fmt: str) -> Any:
    access.require_results_reader(actor())
    call, definition = _call_and_definition(key)
    if fmt not in call_files.FORMATS:
        return error_page(_("There is no such file"),
                          _("The responses are exported as CSV, XLSX or ZIP."), 404)
    data = call_files.render(db(), call, definition, fmt, text_language())
    response = Response(data, mimetype=call_files.MEDIA_TYPES[fmt].split(";")[0])
    response.headers["Content-Type"] = call_files.MEDIA_TYPES[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{call.key}-responses.{fmt}"'
    return response


# --- the responses ---------------------------------------------------------------------------------------

@bp.get(f"/calls/{KEY}/responses", endpoint="call_responses")
def call_responses(key: str) -> Any:
    access.require_results_reader(actor())
    call, definition = _call_and_definition(key)
    rows = list(db().execute(
        select(CallResponse.id, CallResponse.state_code, CallResponse.organisation,
               CallResponse.respondent_type, CallResponse.status, CallResponse.late,
               CallResponse.submitted_at, CallResponse.reopened_count)
        .where(CallResponse.call_id == call.id)
        .order_by(CallResponse.status.desc(), CallResponse.submitted_at, CallResponse.id)))
    title = definition.title.text(text_language())
    return render_template("web/call_responses.html", call=call, title=title, rows=rows,
                           types=respondent_type_names(), is_office=access.is_office(actor()))


def answer_text(question: Question, value: Any, language: str, documents: dict[int, str]) -> Any:
    """An answer as the page shows it (a table answer stays rows, for a table)."""
    if value is None or value == "" or value == []:
        return ""
    if question.type == "yes_no":
        return _("Yes") if value is True else _("No") if value is False else str(value)
    if question.type in ("choice",):
        return question.option_label(value, language)
    if question.type == "choices" and isinstance(value, list):
        return "; ".join(question.option_label(v, language) for v in value)
    if question.type == "document":
        ids = value if isinstance(value, list) else [value]
        return [(i, documents[i]) for i in ids if isinstance(i, int) and i in documents]
    if question.type == "number" and question.unit is not None:
        return f"{_number(value)} {question.unit.text(language)}"
    if question.type == "table":
        return value if isinstance(value, list) else str(value)
    return str(value)


def _answers(definition: CallDefinition, answers: dict[str, Any], documents: dict[int, str]) -> list[dict]:
    language = text_language()
    return [{"question": q, "label": q.label.text(language),
             "section": q.section.text(language) if q.section else None,
             "value": answer_text(q, answers.get(q.key), language, documents)}
            for q in definition.questions if q.key in answers]


def _response(key: str, response_id: int) -> tuple[Call, CallResponse]:
    call = registry.get_call(db(), key)
    response = db().get(CallResponse, response_id)
    if response is None or response.call_id != call.id:
        raise NotFound("there is no such response")
    return call, response


def _response_page(key: str, response_id: int, form: ReopenForm, problem: str | None = None,
                   status: int = 200) -> tuple[str, int]:
    call, response = _response(key, response_id)
    documents = dict(db().execute(select(CallDocument.id, CallDocument.filename)
                                  .where(CallDocument.response_id == response.id)).all())
    definition = registry.definition_of(db(), call, response.call_version)
    versions = list(db().scalars(select(CallResponseVersion)
                                 .where(CallResponseVersion.response_id == response.id)
                                 .order_by(CallResponseVersion.number.desc())))
    people = {u.id: u for u in db().scalars(select(User).where(User.id.in_(
        {v.reopened_by_id for v in versions} | {response.submitted_by_id, response.author_id} - {None})))}
    state = requesting_state(response.state_code or "")
    return render_template(
        "web/call_response.html", call=call, title=definition.title.text(text_language()), response=response,
        state=state_name(state) if state else "",
        answers=_answers(definition, response.answers or {}, documents),
        versions=[{"version": v, "answers": _answers(definition, v.answers or {}, documents),
                   "by": people.get(v.reopened_by_id)} for v in versions],
        people=people, types=respondent_type_names(), form=form, problem=problem, lang=text_language(),
        can_reopen=access.is_office(actor()) and response.status == "submitted"), status


@bp.get(f"/calls/{KEY}/responses/{RESPONSE}/documents/<int(max=2147483647):document_id>",
        endpoint="call_response_document")
def call_response_document(key: str, response_id: int, document_id: int) -> Any:
    """A file answered to a document question, for the office and the Board: an attachment, never
    shown in the browser (it was typed by no one here and checked only by its content)."""
    access.require_results_reader(actor())
    _call, response = _response(key, response_id)
    document = db().get(CallDocument, document_id)
    if document is None or document.response_id != response.id:
        raise NotFound("there is no such document")
    # Where the State side stores them: its module owns the folder.
    from tacase.services.calls.uploads import directory_of

    try:
        handle = (directory_of(current_app.config["DOCUMENTS_DIR"]) / document.stored_name).open("rb")
    except OSError as exc:
        raise NotFound("the file of this document is missing") from exc
    sent = attachment(document, handle)
    sent.headers["Cache-Control"] = "no-store"
    return sent


@bp.get(f"/calls/{KEY}/responses/{RESPONSE}", endpoint="call_response")
def call_response(key: str, response_id: int) -> Any:
    access.require_results_reader(actor())
    form = ReopenForm()
    form.form_token.data = once.new_token()
    return _response_page(key, response_id, form)


def _reopen(response_id: int, reason: str) -> Callable[[], str]:
    from tacase.services.calls import responses

    def work() -> str:
        response = responses.reopen(db(), actor(), clock_fn(), response_id, reason=reason)
        call = db().get(Call, response.call_id)
        return url_for("web.call_response", key=call.key if call else "", response_id=response_id)
    return work


@bp.post(f"/calls/{KEY}/responses/{RESPONSE}/reopen", endpoint="call_response_reopen")
def call_response_reopen(key: str, response_id: int) -> Any:
    access.require_office(actor())
    _response(key, response_id)
    form = ReopenForm()
    valid = form.validate()
    if form.csrf_token.errors or once.token_problem(form.form_token.data):
        return error_page(_("The form could not be sent"), _(
            "The form had expired or did not come from this site. Go back, reload the page and "
            "send it again."), 400)
    if not valid:
        return _response_page(key, response_id, form, status=422)
    try:
        result: WerkzeugResponse = once.run_once(form.form_token.data, "web.call_response_reopen",
                                                 _reopen(response_id, form.reason.data))
    except ValidationFailed as exc:
        form.reason.errors = [*form.reason.errors, *(m for ms in exc.errors.values() for m in ms)]
        return _response_page(key, response_id, form, status=422)
    except Conflict:
        return _response_page(key, response_id, form, problem=_(
            "Only a submitted response can be reopened; this one is a draft already."), status=409)
    flash(_("The response was reopened; the submitted version is kept below."))
    return result
