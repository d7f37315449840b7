"""/admin/calls/new and /admin/calls/<key>: a call written with forms. The details and the first question
make the call (a call has at least one question); then each question is added, changed, moved or removed
on its own page. Every save is the call's next version, checked as a file's text is (see
tacase.services.calls.builder); a call defined by a file is shown, and changed in its file."""

from __future__ import annotations

import re
from typing import Any

from flask import abort, make_response, render_template, url_for
from flask_babel import gettext as _
from wtforms import HiddenField

from tacase.engine import calls as call_defs
from tacase.engine.roles import ADMIN
from tacase.services.calls import builder
from tacase.services.errors import Conflict, ValidationFailed
from tacase.web.context import actor, clock_fn, db, runtime
from tacase.web.views import once
from tacase.web.views.admin import _refusal, _send
from tacase.web.views.admin_call_conditions import condition_words
from tacase.web.views.admin_call_forms import DetailsForm as _DetailsForm
from tacase.web.views.admin_call_forms import NewCallDetails, error_pairs
from tacase.web.views.admin_call_question_form import TYPE_NAMES, QuestionForm
from tacase.web.views.blueprint import bp, error_page, require_role
from tacase.web.views.forms import OnceForm, showing_form


class NewCallForm(NewCallDetails, QuestionForm):
    """The details of a new call and its first question, on one page."""


class MoveForm(OnceForm):
    direction = HiddenField()


class RemoveForm(OnceForm):
    """No fields: the tokens alone."""


# --- reading the call -------------------------------------------------------------------------------

def _call(key: str, *, changing: bool = True) -> tuple[Any, dict[str, Any]]:
    """The call and the mapping of its current definition; a call defined by a file cannot be changed
    here (409, a page saying so)."""
    call, definition = builder.current(db(), actor(), key)
    if changing and builder.is_file(call):
        abort(_file_page(call))
    return call, call_defs.to_raw(definition)


def _file_page(call: Any) -> Any:
    return make_response(error_page(_("This call is changed in its file"), _(
        "This call is defined by a file in the questionnaires folder: it is changed in that file, not in "
        "these pages."), 409))


def _question(raw: dict[str, Any], qkey: str) -> dict[str, Any]:
    for q in raw["questions"]:
        if q["key"] == qkey:
            return q
    abort(404)


# --- errors of the format, beside their fields --------------------------------------------------

_DETAIL_PLACES = {"key": "key", "kind": "kind", "title": "title_en", "introduction": "intro_en",
                  "report": "report_en", "audience": "states", "opens_on": "opens_day",
                  "closes_on": "closes_day", "reminders": "reminders", "late_responses": "late_responses",
                  "submitted_by": "submitted_by", "stakeholders": "stakeholders",
                  "publish_submissions": "publish_submissions"}
_QUESTION_PLACES = {"label": "label_en", "help": "help_en", "section": "section_en", "unit": "unit_en",
                    "min_label": "min_label_en", "max_label": "max_label_en", "options": "options_en",
                    "max_choices": "max_choices", "when": "condition", "required": "required"}


def _field_for(form: Any, where: str, qtype: str | None) -> Any:
    """The field a place of the format names ("title.fr", "options 'health'", "min"), or None."""
    head = where.split(".")[0].split("[")[0].split(" ")[0]
    language = where.split(".")[1][:2] if "." in where else "en"
    if qtype is None:
        name = _DETAIL_PLACES.get(head)
        if name and name.endswith("_en") and language in ("fr", "es"):
            name = name[:-3] + "_" + language
        return form[name] if name and name in form else None
    if head in ("min", "max"):
        name = ("scale_" if qtype == "scale" else "number_") + head
    elif head == "columns":
        return form.columns[0].form.label_en if len(form.columns) else None
    else:
        name = _QUESTION_PLACES.get(head)
        if name and name.endswith("_en") and language in ("fr", "es"):
            name = name[:-3] + "_" + language
    return form[name] if name and name in form else None


def _said(what: str) -> str:
    """A problem of the format in the page's words, for those the forms do not prevent themselves."""
    what = re.sub(r"^(?:[a-z_]+(?:\.[a-z]{2})?: )+", "", what)  # a place within the place: "label.en: "
    if found := re.fullmatch(r"is \d+ characters long; at most (\d+)", what):
        return _("Use at most %(max)s characters.", max=found.group(1))
    if found := re.fullmatch(r"(\d+) days before closes_on is before the call opens on (\S+)", what):
        return _("A reminder %(days)s days before the closing date would come before the call opens.",
                 days=found.group(1))
    if what == "must be a non-empty text":
        return _("Enter the text.")
    return what[:1].upper() + what[1:]


def _place(form: Any, errors: list[str], number: int | None, qtype: str | None) -> list[str]:
    """Each problem beside its field: the call's own places, and those of question `number` (of type
    `qtype`); the others are returned for the summary."""
    rest = []
    for problem in errors:
        n, where, what = builder.placed(problem)
        text = _said(what or where)
        f = None
        if n is None and where:
            f = _field_for(form, where, None)
        elif n is not None and n == number and where:
            f = _field_for(form, where, qtype)
        if f is not None:
            f.errors = [*f.errors, text]
        elif n is not None and n != number and where == "when":
            rest.append(_("Question %(number)d is asked depending on the answer to this one, and its "
                          "condition would no longer fit: change that question's condition first.", number=n))
        elif n is not None:
            rest.append(_("Question %(number)d: %(problem)s", number=n, problem=text))
        else:
            rest.append(text)
    return rest


def _stale(form: Any, call: Any) -> list[str]:
    """A problem when the call changed since the page was read: the change is not made over it."""
    if (form.version.data or "") == str(call.version):
        return []
    return [_("The call was changed since you opened this page; it is now version %(version)s. Go back to "
              "the call to see the change, then make yours again.", version=call.version)]


def _conflict(message: str) -> str:
    if "exists already" in message:
        return _("A call with this short name exists already: choose another.")
    return _("This call is defined by a file in the questionnaires folder; change the file instead.")


def _save(form: Any, endpoint: str, raw: dict[str, Any], key: str | None, page: Any, *,
          number: int | None = None, qtype: str | None = None) -> Any:
    """Save the mapping as the call's next version (or the new call) and go to the call's page; the
    format's problems beside the fields of `page` (a function of the summary's problems)."""
    def work() -> str:
        call, _outcome = builder.save(db(), actor(), clock_fn(), raw, timezone=runtime().timezone, key=key)
        return url_for("web.admin_call", key=call.key)

    try:
        response = _send(form, endpoint, work, _("The call was saved. Its responses keep the version they "
                                                 "answered."))
    except ValidationFailed as exc:
        return page(_place(form, exc.errors.get("definition", []), number, qtype), 422)
    except Conflict as exc:
        if key is None and "exists already" in str(exc) and "key" in form:
            form.key.errors = [*form.key.errors, _conflict(str(exc))]
            return page([], 409)
        return page([_conflict(str(exc))], 409)
    return response


# --- the pages ----------------------------------------------------------------------------------

def _types() -> dict[str, tuple[str, str | None]]:
    return {k: (str(name), str(hint) if hint else None) for k, (name, hint) in TYPE_NAMES.items()}


@bp.route("/admin/calls/new", methods=["GET", "POST"])
def admin_call_new() -> Any:
    require_role({ADMIN})
    form = NewCallForm().prepare()
    QuestionForm.prepare(form, [])

    def page(problems: list[str], status: int = 200) -> Any:
        return render_template("web/admin_call_new.html", form=form, types=_types(), problems=problems,
                               errors=error_pairs(form) if status != 200 else []), status

    if showing_form():
        form.form_token.data = once.new_token()
        return page([])
    if (refused := _refusal(form)) is not None:
        return refused
    details, question = form.details(), form.question(set())
    if details is None or question is None:
        return page([], 422)
    raw = builder.new_call(form.key.data, details, question)
    return _save(form, "web.admin_call_new", raw, None, page, number=1, qtype=question["type"])


@bp.get("/admin/calls/<key>")
def admin_call(key: str) -> Any:
    require_role({ADMIN})
    return _call_page(key)


def _call_page(key: str, problem: str | None = None, status: int = 200) -> Any:
    call, raw = _call(key, changing=False)
    questions = raw["questions"]
    rows = []
    for n, q in enumerate(questions):
        rows.append({"number": n + 1, "key": q["key"], "label": q["label"]["en"],
                     "type": str(TYPE_NAMES[q["type"]][0]), "required": bool(q.get("required")),
                     "condition": condition_words(q.get("when"), questions[:n]),
                     "section": (q.get("section") or {}).get("en")})
    moves = {}
    if not builder.is_file(call):
        for row in rows:
            moves[row["key"]] = {d: MoveForm(direction=d, form_token=once.new_token())
                                 for d in ("up", "down")}
    return render_template("web/admin_call.html", call=call, raw=raw, rows=rows, moves=moves,
                           file=builder.is_file(call), problem=problem,
                           states=len(raw["audience"]) if raw["audience"] != "all" else None), status


@bp.route("/admin/calls/<key>/details", methods=["GET", "POST"])
def admin_call_details(key: str) -> Any:
    require_role({ADMIN})
    call, raw = _call(key)
    form = _DetailsForm().prepare()

    def page(problems: list[str], status: int = 200) -> Any:
        return render_template("web/admin_call_details.html", form=form, call=call, problems=problems,
                               errors=error_pairs(form) if status != 200 else []), status

    if showing_form():
        form.form_token.data, form.version.data = once.new_token(), str(call.version)
        form.fill(raw)
        return page([])
    if (refused := _refusal(form)) is not None:
        return refused
    if stale := _stale(form, call):
        return page(stale, 409)
    details = form.details()
    if details is None:
        return page([], 422)
    return _save(form, "web.admin_call_details", builder.with_details(raw, details), key, page)


def _question_page(key: str, qkey: str | None) -> Any:
    call, raw = _call(key)
    existing = _question(raw, qkey) if qkey else None
    earlier = builder.earlier(raw, qkey)
    form = QuestionForm().prepare(earlier, existing)
    number = len(earlier) + 1
    endpoint = "web.admin_call_question_edit" if qkey else "web.admin_call_question_new"

    def page(problems: list[str], status: int = 200) -> Any:
        return render_template("web/admin_call_question.html", form=form, call=call, existing=existing,
                               number=number, types=_types(), problems=problems, earlier=earlier,
                               errors=error_pairs(form) if status != 200 else []), status

    if showing_form():
        form.form_token.data, form.version.data = once.new_token(), str(call.version)
        if existing:
            form.fill(existing)
        return page([])
    if (refused := _refusal(form)) is not None:
        return refused
    if stale := _stale(form, call):
        return page(stale, 409)
    question = form.question(set(builder.question_keys(raw)), existing)
    if question is None:
        return page([], 422)
    changed = (builder.replace_question(raw, qkey, question) if qkey else builder.add_question(raw, question))
    return _save(form, endpoint, changed, key, page, number=number, qtype=question["type"])


@bp.route("/admin/calls/<key>/questions/new", methods=["GET", "POST"])
def admin_call_question_new(key: str) -> Any:
    require_role({ADMIN})
    return _question_page(key, None)


@bp.route("/admin/calls/<key>/questions/<qkey>/edit", methods=["GET", "POST"])
def admin_call_question_edit(key: str, qkey: str) -> Any:
    require_role({ADMIN})
    return _question_page(key, qkey)


def _refused_edit(exc: builder.EditRefused, raw: dict[str, Any]) -> str:
    other = next((q["label"]["en"] for q in raw["questions"] if q["key"] == exc.other), "")
    if exc.reason == "last":
        return _("A call needs at least one question: add another before removing this one.")
    if exc.reason == "depended":
        return _("The question “%(other)s” is asked only depending on the answer to this one: change or "
                 "remove that question's condition first.", other=other)
    return _("The question “%(other)s” is asked depending on the answer to the other one, which must come "
             "before it: change that question's condition first.", other=other)


@bp.route("/admin/calls/<key>/questions/<qkey>/remove", methods=["GET", "POST"])
def admin_call_question_remove(key: str, qkey: str) -> Any:
    require_role({ADMIN})
    call, raw = _call(key)
    question = _question(raw, qkey)
    form = RemoveForm()

    def page(problems: list[str], status: int = 200) -> Any:
        return render_template("web/admin_call_remove.html", form=form, call=call, question=question,
                               problems=problems), status

    if showing_form():
        form.form_token.data = once.new_token()
        return page([])
    if (refused := _refusal(form)) is not None:
        return refused
    try:
        changed = builder.remove_question(raw, qkey)
    except builder.EditRefused as exc:
        return page([_refused_edit(exc, raw)], 409)
    return _save(form, "web.admin_call_question_remove", changed, key, page)


@bp.post("/admin/calls/<key>/questions/<qkey>/move")
def admin_call_question_move(key: str, qkey: str) -> Any:
    require_role({ADMIN})
    _call_row, raw = _call(key)
    _question(raw, qkey)
    form = MoveForm()
    if (refused := _refusal(form)) is not None:
        return refused
    step = {"up": -1, "down": 1}.get(form.direction.data or "")
    if step is None:
        return error_page(_("The question was not moved"), _("Go back to the call and use its buttons."), 400)

    def page(problems: list[str], status: int = 200) -> Any:
        return _call_page(key, " ".join(problems), status)

    try:
        changed = builder.move_question(raw, qkey, step)
    except builder.EditRefused as exc:
        return page([_refused_edit(exc, raw)], 409)
    return _save(form, "web.admin_call_question_move", changed, key, page)
