"""The form of one question of a call written with forms: its kind of answer, wording, options, bounds,
columns and condition, read into the mapping of the call's format and filled from it."""

from __future__ import annotations

import json
import re
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
from wtforms.validators import DataRequired

from tacase.engine.call_model import (
    MAX_COLUMNS,
    MAX_OPTIONS,
    MAX_SCALE_STEPS,
    MAX_TEXT,
    MIN_OPTIONS,
    OPTION_VALUE,
    QUESTION_KEY,
)
from tacase.services.calls import builder
from tacase.web.views.admin_call_conditions import condition_choices, condition_value
from tacase.web.views.admin_call_forms import (
    LANGS,
    declared,
    english_with_translations,
    fill_texts,
    has_errors,
    texts,
    three,
)
from tacase.web.views.forms import OnceForm

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


# --- a question -------------------------------------------------------------------------------------

class ColumnForm(Form):
    key = HiddenField()
    label_en, label_fr, label_es = three("column", MAX_TEXT["label"], labels=(
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
    label_en, label_fr, label_es = three("label", MAX_TEXT["label"], area=True,
                                          required=_l("Enter the wording of the question in English."))
    help_en, help_fr, help_es = three("help", MAX_TEXT["help"], area=True)
    required = BooleanField(_l("An answer is required before the response is submitted"))
    section_en, section_fr, section_es = three("section", MAX_TEXT["section"])
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
    unit_en, unit_fr, unit_es = three("unit", MAX_TEXT["unit"])
    scale_min = StringField(_l("Lowest point"), default="1")
    scale_max = StringField(_l("Highest point"), default="5")
    min_label_en, min_label_fr, min_label_es = three("min_label", MAX_TEXT["min_label"])
    max_label_en, max_label_fr, max_label_es = three("max_label", MAX_TEXT["max_label"])
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
            english_with_translations(self, name)
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



QUESTION_FIELDS = declared(QuestionForm)
