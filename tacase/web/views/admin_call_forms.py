"""The form of a call's details, read into the mapping of the call's format and filled from it
(tacase.services.calls.builder makes the edits), and what the call's forms share: the three languages' boxes
and the errors' summary. A question's form is in admin_call_question_form."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    HiddenField,
    RadioField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tacase.engine.call_model import (
    CALL_KEY,
    MAX_REMINDER_DAYS,
    MAX_TEXT,
    RESERVED_CALL_KEYS,
)
from tacase.reference import requesting_states
from tacase.services.calls import builder
from tacase.web.i18n import state_name
from tacase.web.views.admin import CheckboxesField
from tacase.web.views.forms import OnceForm

LANGS = ("en", "fr", "es")
RESERVED_KEYS = RESERVED_CALL_KEYS  # /admin/calls/new is the page for a new call


def three(name: str, max_length: int, *, area: bool = False, required: Any = None,
           labels: tuple[Any, Any, Any] = (_l("English"), _l("French"), _l("Spanish"))) -> list[Any]:
    """The fields of one text in English, French and Spanish: English first (required if said),
    French and Spanish optional (the English text is used when they are left empty)."""
    kind = TextAreaField if area else StringField
    too_long = Length(max=max_length, message=_l("Use at most %(max)d characters.", max=max_length))
    english = [DataRequired(required)] if required else [Optional()]
    return [kind(labels[0], validators=[*english, too_long], render_kw={"maxlength": max_length}),
            kind(labels[1], validators=[Optional(), too_long], render_kw={"maxlength": max_length}),
            kind(labels[2], validators=[Optional(), too_long], render_kw={"maxlength": max_length})]


def texts(form: Any, name: str) -> dict[str, str] | None:
    return builder.localised(*(form[f"{name}_{lang}"].data for lang in LANGS))


def fill_texts(form: Any, name: str, value: dict[str, str] | None) -> None:
    for lang, text in builder.shown(value).items():
        form[f"{name}_{lang}"].data = text


def english_with_translations(form: Any, name: str) -> bool:
    """A translation without the English text: an error on the English field."""
    if not (form[f"{name}_en"].data or "").strip() and any(
            (form[f"{name}_{lang}"].data or "").strip() for lang in ("fr", "es")):
        form[f"{name}_en"].errors.append(_("Enter the text in English too, or leave the translations empty."))
        return False
    return True


# --- the details ------------------------------------------------------------------------------------

class DetailsForm(OnceForm):
    version = HiddenField()  # the call's version the page showed: a change made since is not overwritten
    kind = RadioField(_l("Kind of call"), choices=[
        SelectChoice("questionnaire", _l("Questionnaire")),
        SelectChoice("submissions", _l("Call for submissions"))],
        validators=[DataRequired(_l("Choose the kind of call."))])
    title_en, title_fr, title_es = three("title", MAX_TEXT["title"],
                                          required=_l("Enter the title of the call in English."))
    intro_en, intro_fr, intro_es = three("introduction", MAX_TEXT["introduction"], area=True,
                                          required=_l("Enter the introduction in English."))
    audience = RadioField(_l("Who is asked"), choices=[
        SelectChoice("all", _l("Every Member and observer State")),
        SelectChoice("some", _l("The States chosen below"))], default="all",
        validators=[DataRequired(_l("Choose who is asked."))])
    states = CheckboxesField(_l("States asked"), choices=[])
    opens_day, opens_month, opens_year = (StringField(_l("Day")), StringField(_l("Month")),
                                          StringField(_l("Year")))
    closes_day, closes_month, closes_year = (StringField(_l("Day")), StringField(_l("Month")),
                                             StringField(_l("Year")))
    late_responses = RadioField(_l("Answers after the closing date"), choices=[
        SelectChoice("accept", _l("Accept them, marked late")),
        SelectChoice("refuse", _l("Refuse them"))], default="accept",
        validators=[DataRequired(_l("Choose whether late answers are accepted."))])
    submitted_by = RadioField(_l("Who submits"), choices=[
        SelectChoice("focal_point", _l("The State's focal point, once for the State")),
        SelectChoice("each", _l("Each invited ministry, its own response"))], default="focal_point",
        validators=[DataRequired(_l("Choose who submits."))])
    stakeholders = BooleanField(_l("National human rights institutions, civil society and academia may "
                                   "answer through an open link"))
    reminders = StringField(_l("Reminders (optional)"), validators=[Length(max=100)], description=_l(
        "Days before the closing date when States that have not submitted are reminded, separated by "
        "commas, such as 14, 7, 2. Leave it empty for no reminder."))
    publish_submissions = BooleanField(_l("List the responses whose authors consent on the call's public "
                                          "page"))
    report_en, report_fr, report_es = three("report", MAX_TEXT["report"])

    def prepare(self) -> DetailsForm:
        states = sorted(requesting_states().values(), key=lambda s: state_name(s).casefold())
        self.states.choices = [SelectChoice(s.iso3, state_name(s)) for s in states]
        return self

    def details(self) -> dict[str, Any] | None:
        """The details as the format's mapping, or None with the errors beside the fields."""
        ok = english_with_translations(self, "report")
        opens = _date(self, "opens", _("Enter the opening date as a day, month and year, such as "
                                       "4 1 2027."))
        closes = _date(self, "closes", _("Enter the closing date as a day, month and year, such as "
                                         "31 3 2027."))
        if opens and closes and closes < opens:
            self.closes_day.errors.append(_("The closing date must be on or after the opening date."))
            closes = None
        audience: Any = "all"
        if self.audience.data == "some":
            audience = [code for code in self.states.data or [] if code in requesting_states()]
            if not audience:
                self.states.errors.append(_("Choose at least one State, or ask every State."))
        reminders = _reminders(self.reminders)
        if has_errors(self, DETAIL_FIELDS) or not ok or opens is None or closes is None or reminders is None:
            return None
        return {"kind": self.kind.data, "title": texts(self, "title"), "introduction": texts(self, "intro"),
                "audience": audience, "opens_on": opens.isoformat(), "closes_on": closes.isoformat(),
                "late_responses": self.late_responses.data, "submitted_by": self.submitted_by.data,
                "stakeholders": bool(self.stakeholders.data), "reminders": reminders,
                "publish_submissions": bool(self.publish_submissions.data), "report": texts(self, "report")}

    def fill(self, raw: dict[str, Any]) -> None:
        self.kind.data = raw["kind"]
        fill_texts(self, "title", raw["title"])
        fill_texts(self, "intro", raw["introduction"])
        fill_texts(self, "report", raw.get("report"))
        self.audience.data = "all" if raw["audience"] == "all" else "some"
        self.states.data = [] if raw["audience"] == "all" else list(raw["audience"])
        for name in ("opens", "closes"):
            day = date.fromisoformat(raw[f"{name}_on"])
            self[f"{name}_day"].data, self[f"{name}_month"].data, self[f"{name}_year"].data = (
                str(day.day), str(day.month), str(day.year))
        self.late_responses.data, self.submitted_by.data = raw["late_responses"], raw["submitted_by"]
        self.stakeholders.data = raw["stakeholders"]
        self.publish_submissions.data = raw["publish_submissions"]
        self.reminders.data = ", ".join(str(d) for d in raw.get("reminders", []))


def _date(form: Any, name: str, message: str) -> date | None:
    parts = [(form[f"{name}_{part}"].data or "").strip() for part in ("year", "month", "day")]
    try:
        if all(p.isascii() and p.isdigit() and len(p) <= 4 for p in parts) and len(parts[0]) == 4:
            return date(*(int(p) for p in parts))
    except ValueError:
        pass
    form[f"{name}_day"].errors.append(message)
    return None


def _reminders(f: StringField) -> list[int] | None:
    days: list[int] = []
    for part in re.split(r"[,\s]+", (f.data or "").strip()):
        if not part:
            continue
        if not (part.isascii() and part.isdigit() and len(part) <= 3 and 1 <= int(part) <= MAX_REMINDER_DAYS):
            f.errors.append(_("Give each reminder as a whole number of days from 1 to %(max)d, such as "
                              "14, 7, 2.", max=MAX_REMINDER_DAYS))
            return None
        if int(part) in days:
            f.errors.append(_("Give each number of days once."))
            return None
        days.append(int(part))
    return days


class NewCallDetails(DetailsForm):
    key = StringField(_l("Short name of the call"), validators=[
        DataRequired(_l("Enter a short name for the call.")),
        Regexp(CALL_KEY, message=_l("Use 3 to 64 lower-case letters, digits and hyphens, starting with a "
                                    "letter or digit, such as escr-needs-2027."))],
        render_kw={"maxlength": 64, "spellcheck": "false", "autocomplete": "off"},
        description=_l("3 to 64 lower-case letters, digits and hyphens (-), starting with a letter or digit, "
                       "such as escr-needs-2027. It is part of the call's address and its exports, and "
                       "cannot be changed later."))

    def details(self) -> dict[str, Any] | None:
        found = super().details()
        if (self.key.data or "") in RESERVED_KEYS:
            self.key.errors.append(_("This name is used by the pages themselves: choose another."))
            return None
        return found


def declared(*classes: type) -> tuple[str, ...]:
    return tuple(name for cls in classes for name, value in vars(cls).items()
                 if hasattr(value, "field_class"))


DETAIL_FIELDS = declared(DetailsForm, NewCallDetails)


def has_errors(form: Any, names: tuple[str, ...]) -> bool:
    for name in names:
        if name not in form:
            continue
        f = form[name]
        if isinstance(f, FieldList):
            if any(sub.errors for entry in f for sub in entry.form):
                return True
        elif f.errors:
            return True
    return False


def error_pairs(form: Any) -> list[tuple[str, str]]:
    """(the id to link to, the message) of every error, in the order of the form, for the summary."""
    out: list[tuple[str, str]] = []
    if "key" in form:  # the first field of a new call's page
        out += [("key", m) for m in form["key"].errors or []]
    for f in form:
        if f.name == "key":
            continue
        if isinstance(f, FieldList):
            out += [(sub.id, m) for entry in f for sub in entry.form for m in sub.errors or []]
        elif f.type not in ("CSRFTokenField", "HiddenField"):
            target = f"{f.id}-0" if f.type == "RadioField" else f.id
            out += [(target, m) for m in f.errors or []]
    return out
