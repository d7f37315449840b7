"""The forms of a call written with forms: its details and its questions, read into the mapping of the
call's format and filled from it (tacase.services.calls.builder makes the edits)."""

from __future__ import annotations

import json
import re
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, Regexp

from tacase.engine.call_model import (
    CALL_KEY,
    MAX_COLUMNS,
    MAX_OPTIONS,
    MAX_REMINDER_DAYS,
    MAX_SCALE_STEPS,
    MAX_TEXT,
    MIN_OPTIONS,
    OPTION_VALUE,
    QUESTION_KEY,
    RESERVED_CALL_KEYS,
)
from tacase.reference import requesting_states
from tacase.services.calls import builder
from tacase.web.i18n import state_name
from tacase.web.views.admin import CheckboxesField
from tacase.web.views.admin_call_conditions import condition_choices, condition_value
from tacase.web.views.forms import OnceForm

LANGS = ("en", "fr", "es")
RESERVED_KEYS = RESERVED_CALL_KEYS  # /admin/calls/new is the page for a new call
TYPE_NAMES = {
    "text": (_l("Short text"), _l("One line, such as the name of a ministry.")),
    "long_text": (_l("Long text"), _l("Several lines or paragraphs.")),
    "choice": (_l("One choice"), _l("One option from a list you give.")),
    "choices": (_l("Several choices"), _l("Any of the options from a list you give.")),
    "number": (_l("Number"), _l("A number, with decimals if needed, such as an amount or a year.")),
    "date": (_l("Date"), _l("A day, month and year.")),
    "scale": (_l("Scale"), _l("A whole number on a scale, such as 1 (very limited) to 5 (very strong).")),
    "yes_no": (_l("Yes or no"), None),
    "table": (_l("Table of rows"), _l("Rows with the columns you set, such as activity, year and lead "
                                      "ministry.")),
    "document": (_l("Document"), _l("An uploaded file, such as a national plan.")),
}
COLUMN_SLOTS = 3  # empty columns offered beyond those a table has


def _three(name: str, max_length: int, *, area: bool = False, required: Any = None,
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


def _english_with_translations(form: Any, name: str) -> bool:
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
    title_en, title_fr, title_es = _three("title", MAX_TEXT["title"],
                                          required=_l("Enter the title of the call in English."))
    intro_en, intro_fr, intro_es = _three("introduction", MAX_TEXT["introduction"], area=True,
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
    report_en, report_fr, report_es = _three("report", MAX_TEXT["report"])

    def prepare(self) -> DetailsForm:
        states = sorted(requesting_states().values(), key=lambda s: state_name(s).casefold())
        self.states.choices = [SelectChoice(s.iso3, state_name(s)) for s in states]
        return self

    def details(self) -> dict[str, Any] | None:
        """The details as the format's mapping, or None with the errors beside the fields."""
        ok = _english_with_translations(self, "report")
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


# --- a question -------------------------------------------------------------------------------------

class ColumnForm(Form):
    key = HiddenField()
    label_en, label_fr, label_es = _three("column", MAX_TEXT["label"], labels=(
        _l("Heading in English"), _l("Heading in French"), _l("Heading in Spanish")))
    ctype = SelectField(_l("Kind of answer"), choices=[
        SelectChoice("text", _l("Short text")), SelectChoice("number", _l("Number")),
        SelectChoice("choice", _l("One choice"))], default="text")
    options_en = TextAreaField(_l("Options in English, one a line (only for one choice)"))
    options_fr = TextAreaField(_l("Options in French, one a line (optional)"))
    options_es = TextAreaField(_l("Options in Spanish, one a line (optional)"))


class QuestionForm(OnceForm):
    version = HiddenField()
    qtype = RadioField(_l("Kind of answer"), choices=[SelectChoice(k, v[0]) for k, v in TYPE_NAMES.items()],
                       validators=[DataRequired(_l("Choose the kind of answer."))])
    label_en, label_fr, label_es = _three("label", MAX_TEXT["label"], area=True,
                                          required=_l("Enter the wording of the question in English."))
    help_en, help_fr, help_es = _three("help", MAX_TEXT["help"], area=True)
    required = BooleanField(_l("An answer is required before the response is submitted"))
    section_en, section_fr, section_es = _three("section", MAX_TEXT["section"])
    condition = SelectField(_l("When is it asked"), choices=[], default="")
    options_en = TextAreaField(_l("Options in English, one a line"))
    options_fr = TextAreaField(_l("Options in French, one a line (optional)"))
    options_es = TextAreaField(_l("Options in Spanish, one a line (optional)"))
    option_values = TextAreaField(_l("Short names of the options, one a line (optional)"), description=_l(
        "What the exports keep: lower-case letters, digits and underscores. Left empty, they are made from "
        "the English options. Keep them when you change the wording, so that the answers given keep "
        "their meaning."))
    max_choices = StringField(_l("Most options a person may choose (optional)"))
    number_min = StringField(_l("Smallest number accepted (optional)"))
    number_max = StringField(_l("Largest number accepted (optional)"))
    unit_en, unit_fr, unit_es = _three("unit", MAX_TEXT["unit"])
    scale_min = StringField(_l("Lowest point"), default="1")
    scale_max = StringField(_l("Highest point"), default="5")
    min_label_en, min_label_fr, min_label_es = _three("min_label", MAX_TEXT["min_label"])
    max_label_en, max_label_fr, max_label_es = _three("max_label", MAX_TEXT["max_label"])
    columns = FieldList(FormField(ColumnForm), min_entries=COLUMN_SLOTS, max_entries=MAX_COLUMNS)

    def prepare(self, earlier: list[dict[str, Any]], current: dict[str, Any] | None = None) -> QuestionForm:
        """The conditions the question may have: on an earlier yes/no, choice or scale question."""
        self.condition.choices = [SelectChoice("", _("Always")), *condition_choices(earlier, current)]
        return self

    def question(self, taken: set[str], existing: dict[str, Any] | None = None) -> dict[str, Any] | None:
        """The question as the format's mapping (the key made from the English wording, unique among
        `taken`; an existing question keeps its own), or None with the errors beside the fields."""
        qtype = self.qtype.data
        for name in ("help", "section", "unit", "min_label", "max_label"):
            _english_with_translations(self, name)
        if has_errors(self, QUESTION_FIELDS) or qtype not in TYPE_NAMES:
            return None
        label = texts(self, "label")
        key = existing["key"] if existing else builder.slug(label["en"], taken)
        raw: dict[str, Any] = {"key": key, "type": qtype, "label": label}
        if self.required.data:
            raw["required"] = True
        for name in ("help", "section"):
            if (value := texts(self, name)) is not None:
                raw[name] = value
        if self.condition.data:
            question, values = json.loads(self.condition.data)
            raw["when"] = ({"question": question, "equals": values[0]} if len(values) == 1
                           else {"question": question, "in": values})
        ok = {"choice": self._choice, "choices": self._choice, "number": self._number, "scale": self._scale,
              "table": self._table, "text": self._kept, "long_text": self._kept}.get(qtype, self._kept)(
            raw, existing if existing and existing.get("type") == qtype else None)
        return raw if ok and not has_errors(self, QUESTION_FIELDS) else None

    def _kept(self, raw: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        if existing and "max_length" in existing:
            raw["max_length"] = existing["max_length"]
        return True

    def _choice(self, raw: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        found = option_lines(self.options_en, self.options_fr, self.options_es, self.option_values)
        if found is None:
            return False
        raw["options"] = found
        if raw["type"] == "choices" and (self.max_choices.data or "").strip():
            most = _whole(self.max_choices, 1, len(found), _("Give a whole number from 1 to the number of "
                                                              "options, or leave it empty."))
            if most is None:
                return False
            raw["max_choices"] = most
        return True

    def _number(self, raw: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        bounds = {}
        for name, f in (("min", self.number_min), ("max", self.number_max)):
            text = (f.data or "").strip()
            if text:
                bounds[name] = _decimal(f)
                if bounds[name] is None:
                    return False
        if "min" in bounds and "max" in bounds and Decimal(bounds["min"]) >= Decimal(bounds["max"]):
            self.number_max.errors.append(_("The largest number must be more than the smallest."))
            return False
        raw.update(bounds)
        if (unit := texts(self, "unit")) is not None:
            raw["unit"] = unit
        return True

    def _scale(self, raw: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        message = _("Give a whole number from -100 to 100.")
        low, high = _whole(self.scale_min, -100, 100, message), _whole(self.scale_max, -100, 100, message)
        if low is None or high is None:
            return False
        if not 1 <= high - low <= MAX_SCALE_STEPS:
            self.scale_max.errors.append(_("The highest point must be 1 to %(max)d more than the lowest.",
                                           max=MAX_SCALE_STEPS))
            return False
        raw.update({"min": low, "max": high})
        for name in ("min_label", "max_label"):
            if (value := texts(self, name)) is not None:
                raw[name] = value
        return True

    def _table(self, raw: dict[str, Any], existing: dict[str, Any] | None) -> bool:
        columns, taken, ok = [], set(), True
        for entry in self.columns:
            column = entry.form
            label = texts(column, "label")
            if label is None:
                if any((column[f"label_{lang}"].data or "").strip() for lang in ("fr", "es")):
                    column.label_en.errors.append(_("Enter the heading of the column in English."))
                    ok = False
                continue
            key = column.key.data if QUESTION_KEY.match(column.key.data or "") else None
            key = key if key and key not in taken else builder.slug(label["en"], taken, fallback="column")
            taken.add(key)
            item: dict[str, Any] = {"key": key, "type": column.ctype.data, "label": label}
            if column.ctype.data == "choice":
                found = option_lines(column.options_en, column.options_fr, column.options_es, None)
                if found is None:
                    ok = False
                    continue
                item["options"] = found
            columns.append(item)
        if ok and not columns:
            self.columns[0].form.label_en.errors.append(_("Give at least one column."))
            ok = False
        raw["columns"] = columns
        if existing and "max_rows" in existing:
            raw["max_rows"] = existing["max_rows"]
        return ok

    def fill(self, raw: dict[str, Any]) -> None:
        self.qtype.data = raw["type"]
        for name in ("label", "help", "section", "unit", "min_label", "max_label"):
            fill_texts(self, name, raw.get(name))
        self.required.data = bool(raw.get("required"))
        when = raw.get("when")
        self.condition.data = condition_value(when) if when else ""
        if raw.get("options"):
            for lang in LANGS:
                shown = [builder.shown(o["label"])[lang] for o in raw["options"]]
                self[f"options_{lang}"].data = "\n".join(shown) if any(shown) else ""
            self.option_values.data = "\n".join(o["value"] for o in raw["options"])
        self.max_choices.data = str(raw.get("max_choices", ""))
        if raw["type"] == "number":
            self.number_min.data, self.number_max.data = str(raw.get("min", "")), str(raw.get("max", ""))
        if raw["type"] == "scale":
            self.scale_min.data, self.scale_max.data = str(raw["min"]), str(raw["max"])
        columns = raw.get("columns") or []
        while len(self.columns) < min(len(columns) + COLUMN_SLOTS, MAX_COLUMNS):
            self.columns.append_entry()
        for entry, column in zip(self.columns, columns, strict=False):
            entry.form.key.data, entry.form.ctype.data = column["key"], column["type"]
            fill_texts(entry.form, "label", column["label"])
            for lang in LANGS:
                shown = [builder.shown(o["label"])[lang] for o in column.get("options", [])]
                entry.form[f"options_{lang}"].data = "\n".join(shown) if any(shown) else ""


def option_lines(en: Any, fr: Any, es: Any, values: Any) -> list[dict[str, Any]] | None:
    """Options from the text boxes, one a line; None with the error beside the box."""
    english = builder.lines(en.data)
    if not MIN_OPTIONS <= len(english) <= MAX_OPTIONS:
        en.errors.append(_("Give %(min)d to %(max)d options, one a line.", min=MIN_OPTIONS, max=MAX_OPTIONS))
        return None
    if len(set(english)) != len(english):
        en.errors.append(_("Give each option once."))
        return None
    found = {"fr": builder.lines(fr.data), "es": builder.lines(es.data)}
    for lang, f in (("fr", fr), ("es", es)):
        if found[lang] and len(found[lang]) != len(english):
            f.errors.append(_("Give as many options as in English, in the same order, or none."))
            return None
    given = builder.lines(values.data) if values is not None else []
    if given:
        if len(given) != len(english):
            values.errors.append(_("Give as many short names as options, in the same order, or none."))
            return None
        if not all(OPTION_VALUE.match(v) for v in given) or len(set(given)) != len(given):
            values.errors.append(_("Use lower-case letters, digits and underscores, a different name for "
                                   "each option."))
            return None
    return builder.options(english, found["fr"], found["es"], given)


def _whole(f: StringField, low: int, high: int, message: str) -> int | None:
    text = (f.data or "").strip()
    number = int(text) if re.fullmatch(r"-?\d{1,4}", text) else None
    if number is None or not low <= number <= high:
        f.errors.append(message)
        return None
    return number


def _decimal(f: StringField) -> int | str | None:
    text = (f.data or "").strip().replace(",", "")
    try:
        if re.fullmatch(r"[+-]?\d{1,15}(\.\d{1,6})?", text):
            number = Decimal(text)
            return int(number) if number == number.to_integral_value() else str(number)
    except InvalidOperation:
        pass
    f.errors.append(_("Give a number, such as 1990 or 2.5, or leave it empty."))
    return None


def _declared(*classes: type) -> tuple[str, ...]:
    return tuple(name for cls in classes for name, value in vars(cls).items()
                 if hasattr(value, "field_class"))


DETAIL_FIELDS = _declared(DetailsForm, NewCallDetails)
QUESTION_FIELDS = _declared(QuestionForm)


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
