"""/admin/calls: the calls for input, and those the office writes in its pages rather than in files.

A call is written in the format of the files in questionnaires/ (the same checks, each problem named
where it is); saving a changed text makes a new version, and the responses keep the one they answered."""

from __future__ import annotations

from typing import Any

from flask import render_template, url_for
from flask_babel import format_number
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import TextAreaField
from wtforms.validators import DataRequired

from tacase.engine.calls import MAX_CALL_TEXT
from tacase.engine.roles import ADMIN
from tacase.services.calls import authoring, registry
from tacase.services.errors import Conflict, ValidationFailed
from tacase.web.context import actor, clock_fn, db, runtime
from tacase.web.views import once
from tacase.web.views.admin import _refusal, _send
from tacase.web.views.blueprint import bp, require_role
from tacase.web.views.calls_office import text_language
from tacase.web.views.forms import OnceForm, showing_form

# A call to start from: every required key, one question, in the three languages.
STARTER = """\
key: my-call-2027
version: 1
kind: questionnaire
title:
  en: Title of the call
  fr: Titre de l'appel
  es: Título de la convocatoria
introduction:
  en: What the call is for and how the answers will be used.
  fr: L'objet de l'appel et l'usage qui sera fait des réponses.
  es: El objeto de la convocatoria y el uso que se hará de las respuestas.
audience: all
opens_on: 2027-01-04
closes_on: 2027-03-31
late_responses: accept
submitted_by: focal_point
reminders: [14, 7, 2]
questions:
  - key: has_plan
    type: yes_no
    required: true
    label:
      en: Does your State have a national plan on this subject?
      fr: Votre État a-t-il un plan national sur ce sujet ?
      es: ¿Tiene su Estado un plan nacional sobre este tema?
"""


class CallTextForm(OnceForm):
    definition = TextAreaField(
        _l("The call"), validators=[DataRequired(message=_l("Enter the text of the call."))],
        description=_l("In the format of the call files: the key, the titles and introductions in English, "
                       "French and Spanish, the audience, the dates and the questions."))


def _page(form: CallTextForm, *, call: Any = None, status: int = 200) -> Any:
    return render_template("web/admin_call_form.html", form=form, call=call, max_length=MAX_CALL_TEXT,
                           max_length_text=format_number(MAX_CALL_TEXT)), status


def _write(form: CallTextForm, endpoint: str, key: str | None, call: Any = None) -> Any:
    if (refused := _refusal(form)) is not None:
        return refused
    if form.errors:
        return _page(form, call=call, status=422)

    def work() -> str:
        call, _outcome = authoring.write_call(db(), actor(), clock_fn(), form.definition.data or "",
                                              timezone=runtime().timezone, key=key)
        return url_for("web.admin_call", key=call.key)

    try:
        return _send(form, endpoint, work, _("The call was saved. Its responses keep the version they "
                                             "answered."))
    except ValidationFailed as exc:
        form.definition.errors = [*form.definition.errors, *exc.errors.get(authoring.FIELD, [])]
        return _page(form, call=call, status=422)
    except Conflict as exc:
        form.definition.errors = [*form.definition.errors, _conflict(str(exc))]
        return _page(form, call=call, status=409)


def _conflict(message: str) -> str:
    if "is defined by the file" in message:
        return _("This call is defined by a file in the questionnaires folder; change the file instead.")
    return _("A call with this key exists already: choose another key, or change that call.")


@bp.get("/admin/calls")
def admin_calls() -> Any:
    require_role({ADMIN})
    calls = registry.list_calls(db())
    language = text_language()
    titles = {call.id: registry.definition_of(db(), call).title.text(language) for call in calls}
    return render_template("web/admin_calls.html", calls=calls, titles=titles)


@bp.route("/admin/calls/new/text", methods=["GET", "POST"])
def admin_call_new_text() -> Any:
    require_role({ADMIN})
    form = CallTextForm()
    if showing_form():
        form.form_token.data = once.new_token()
        form.definition.data = STARTER
        return _page(form)
    return _write(form, "web.admin_call_new_text", None)


@bp.route("/admin/calls/<key>/edit", methods=["GET", "POST"])
def admin_call_edit(key: str) -> Any:
    require_role({ADMIN})
    call = registry.get_call(db(), key)
    form = CallTextForm()
    if showing_form():
        form.form_token.data = once.new_token()
        form.definition.data = authoring.call_text(db(), actor(), key)
        return _page(form, call=call)
    return _write(form, "web.admin_call_edit", key, call)
