"""Answers to a call: which questions are asked, and each answer checked against its question.

Whatever a form or a JSON body sends (wrong types, huge texts, NaN, nested junk, 2026-02-30) ends as
a plain sentence beside the question, never an exception. Messages are marked with N_ for extraction
and translated by the `gettext` the caller passes (the pages pass flask_babel's; the API keeps English).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from tacase.engine.call_model import (
    COLUMN_TEXT_MAX_LENGTH,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    CallDefinition,
    Column,
    Question,
)


def N_(message: str) -> str:  # babel extracts N_: marked here, translated by `gettext`
    return message


Gettext = Callable[[str], str]
ANSWERS = "answers"  # the errors' key for a body that is not a mapping at all
MAX_UNKNOWN_REPORTED = 20
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_PLAIN_NUMBER = re.compile(r"[+-]?\d+(\.\d+)?")
_GROUPED_NUMBER = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d+)?")
_SPACES = re.compile(r"[\s\u00a0\u202f_']")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
MIN_YEAR, MAX_YEAR = 1900, 2100
_YES = {"yes", "true", "oui", "si", "sí"}
_NO = {"no", "false", "non"}
MAX_ID = 2**63 - 1


class InvalidAnswer(Exception):
    """One answer is wrong: the message, already translated."""


def is_blank(value: Any) -> bool:
    """Nothing was answered: no value, blank text, no choice, no row."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | dict):
        return not value
    return False


def asked(definition: CallDefinition, answers: dict) -> tuple[Question, ...]:
    """The questions whose condition is met by `answers` (cleaned values), in the call's order; a
    question that depends on one not asked is not asked either."""
    answers = answers if isinstance(answers, dict) else {}
    shown: set[str] = set()
    result: list[Question] = []
    for q in definition.questions:
        if _condition_met(definition, q, shown, answers):
            shown.add(q.key)
            result.append(q)
    return tuple(result)


def _condition_met(definition: CallDefinition, q: Question, shown: set[str], answers: dict) -> bool:
    if q.when is None:
        return True
    parent = q.when.question
    return parent in shown and _met(definition.question(parent), answers.get(parent), q.when.values)


def _met(parent: Question | None, answer: Any, values: tuple[Any, ...]) -> bool:
    if parent is None or is_blank(answer):
        return False
    given = answer if isinstance(answer, list) else [answer]
    return any(_same(a, v) for a in given for v in values)


def _same(answer: Any, value: Any) -> bool:
    # bool is an int in Python: True must not meet a scale's 1, nor "1" a yes.
    if isinstance(value, bool) or isinstance(answer, bool):
        return isinstance(value, bool) and isinstance(answer, bool) and answer is value
    if isinstance(value, str) and isinstance(answer, str):
        return answer == value
    try:
        return Decimal(str(answer)) == Decimal(str(value))
    except (InvalidOperation, ValueError):
        return False


def clean_answers(definition: CallDefinition, raw: dict[str, Any], *, complete: bool, language: str = "en",
                  gettext: Gettext = lambda s: s) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """Check `raw` (question key -> value as a form or a JSON body gives it) against the call.

    Returns the cleaned answers (JSON-able, in the call's order, blank ones left out, those to
    questions not asked dropped) and the errors by question key. `complete` (a submission) also
    requires every required question that is asked."""
    if not isinstance(raw, dict):
        return {}, {ANSWERS: [gettext(N_("The answers must be sent as a mapping of questions to answers."))]}
    errors: dict[str, list[str]] = {}
    known = {q.key for q in definition.questions}
    unknown = [k for k in raw if k not in known]
    for key in unknown[:MAX_UNKNOWN_REPORTED]:
        errors[str(key)[:100]] = [gettext(N_("This question is not in the call."))]
    if len(unknown) > MAX_UNKNOWN_REPORTED:
        errors[ANSWERS] = [gettext(N_("%(count)s answers are to questions that are not in the call."))
                           % {"count": len(unknown)}]

    cleaned: dict[str, Any] = {}
    shown: set[str] = set()
    for q in definition.questions:
        if not _condition_met(definition, q, shown, cleaned):
            continue  # not asked: an answer left from before the condition changed is dropped
        shown.add(q.key)
        value = raw.get(q.key)
        if is_blank(value):
            if complete and q.required:
                errors[q.key] = [gettext(N_("Answer this question."))]
            continue
        try:
            result = clean_answer(q, value, language=language, gettext=gettext)
        except InvalidAnswer as exc:
            errors[q.key] = [str(exc)]
            continue
        if is_blank(result):  # e.g. a table whose rows were all blank
            if complete and q.required:
                errors[q.key] = [gettext(N_("Answer this question."))]
            continue
        cleaned[q.key] = result
    return cleaned, errors


def clean_answer(question: Question, value: Any, *, language: str = "en",
                 gettext: Gettext = lambda s: s) -> Any:
    """One answer cleaned, or InvalidAnswer with the message; `value` is not blank."""
    cleaner = _CLEANERS[question.type]
    return cleaner(question, value, language, gettext)


def _fail(gettext: Gettext, message: str, **params: Any) -> InvalidAnswer:
    text = gettext(message)
    return InvalidAnswer(text % params if params else text)


def _clean_text(question: Question, value: Any, language: str, gettext: Gettext) -> str:
    limit = question.max_length or 500
    return _text(value, limit, multiline=question.type == "long_text", gettext=gettext)


def _text(value: Any, limit: int, *, multiline: bool, gettext: Gettext) -> str:
    if not isinstance(value, str):
        raise _fail(gettext, N_("Enter the answer as text."))
    if len(value) > limit * 2:  # checked before any work on a huge text
        raise _fail(gettext, N_("Enter at most %(max)s characters."), max=limit)
    text = value.replace("\r\n", "\n").replace("\r", "\n").strip()
    if _CONTROL.search(text):
        raise _fail(gettext, N_("Remove the special characters that cannot be shown."))
    if not multiline and "\n" in text:
        raise _fail(gettext, N_("Enter the answer on one line."))
    if len(text) > limit:
        raise _fail(gettext, N_("Enter at most %(max)s characters."), max=limit)
    return text


def _clean_choice(question: Question, value: Any, language: str, gettext: Gettext) -> str:
    if not isinstance(value, str) or value not in question.option_values():
        raise _fail(gettext, N_("Choose one of the options."))
    return value


def _clean_choices(question: Question, value: Any, language: str, gettext: Gettext) -> list[str]:
    values = [value] if isinstance(value, str) else value
    if not isinstance(values, list | tuple) or len(values) > 10 * len(question.options):
        raise _fail(gettext, N_("Choose from the options."))
    options = question.option_values()
    chosen = set()
    for item in values:
        if is_blank(item):
            continue
        if not isinstance(item, str) or item not in options:
            raise _fail(gettext, N_("Choose from the options."))
        chosen.add(item)
    if question.max_choices is not None and len(chosen) > question.max_choices:
        raise _fail(gettext, N_("Choose at most %(max)s of the options."), max=question.max_choices)
    return [o for o in options if o in chosen]


def _clean_number(question: Question, value: Any, language: str, gettext: Gettext) -> str:
    number = _decimal(value, gettext)
    if question.minimum is not None and number < question.minimum:
        raise _fail(gettext, N_("Enter a number of at least %(min)s."), min=_show(question.minimum))
    if question.maximum is not None and number > question.maximum:
        raise _fail(gettext, N_("Enter a number of at most %(max)s."), max=_show(question.maximum))
    return _show(number)


def _show(number: Decimal) -> str:
    text = format(number.normalize(), "f")
    return "0" if text in ("0", "-0") else text


def _decimal(value: Any, gettext: Gettext) -> Decimal:
    wrong = _fail(gettext, N_("Enter a number, such as 1500 or 1500.5."))
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise wrong
    if isinstance(value, float):
        if not math.isfinite(value):
            raise wrong
        text = repr(value)
    elif isinstance(value, int):
        if abs(value) >= 10**MAX_INTEGER_DIGITS:
            raise _fail(gettext, N_("Enter a smaller number."))
        text = str(value)
    else:
        if len(value) > 64:
            raise wrong
        text = _SPACES.sub("", value)
        if _GROUPED_NUMBER.fullmatch(text):
            text = text.replace(",", "")
        if not _PLAIN_NUMBER.fullmatch(text):
            raise wrong
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise wrong from None
    if not number.is_finite():
        raise wrong
    _sign, digits, exponent = number.normalize().as_tuple()
    if len(digits) + exponent > MAX_INTEGER_DIGITS:
        raise _fail(gettext, N_("Enter a smaller number."))
    if -exponent > MAX_FRACTION_DIGITS:
        raise _fail(gettext, N_("Enter at most %(max)s digits after the decimal point."),
                    max=MAX_FRACTION_DIGITS)
    return number


def _clean_date(question: Question, value: Any, language: str, gettext: Gettext) -> str:
    wrong = _fail(gettext, N_("Enter a real date, such as 2026-03-27."))
    if isinstance(value, dict):  # the three boxes of a date input
        parts = [value.get(name) for name in ("year", "month", "day")]
        if set(value) - {"year", "month", "day"} or not all(_date_part(p) for p in parts):
            raise wrong
        year, month, day = (int(p) for p in parts)
    elif isinstance(value, str) and _ISO_DATE.fullmatch(value.strip()):
        year, month, day = (int(p) for p in value.strip().split("-"))
    else:
        raise wrong
    try:
        result = date(year, month, day)
    except (ValueError, OverflowError):
        raise wrong from None
    if not MIN_YEAR <= result.year <= MAX_YEAR:
        raise _fail(gettext, N_("Enter a date between %(min)s and %(max)s."), min=MIN_YEAR, max=MAX_YEAR)
    return result.isoformat()


def _date_part(part: Any) -> bool:
    if isinstance(part, int) and not isinstance(part, bool):
        return 0 <= part <= 9999
    return isinstance(part, str) and re.fullmatch(r"\d{1,4}", part.strip()) is not None


def _clean_scale(question: Question, value: Any, language: str, gettext: Gettext) -> int:
    low, high = int(question.minimum or 0), int(question.maximum or 0)
    wrong = _fail(gettext, N_("Choose a value from %(min)s to %(max)s."), min=low, max=high)
    if isinstance(value, bool):
        raise wrong
    if isinstance(value, float):
        if not math.isfinite(value) or value != int(value):
            raise wrong
        number = int(value)
    elif isinstance(value, int):
        number = value
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,4}", value.strip()):
        number = int(value.strip())
    else:
        raise wrong
    if not low <= number <= high:
        raise wrong
    return number


def _clean_yes_no(question: Question, value: Any, language: str, gettext: Gettext) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and len(value) <= 10:
        word = value.strip().lower()
        if word in _YES:
            return True
        if word in _NO:
            return False
    raise _fail(gettext, N_("Choose yes or no."))


def _clean_table(question: Question, value: Any, language: str, gettext: Gettext) -> list[dict[str, Any]]:
    limit = question.max_rows or 20
    if not isinstance(value, list | tuple):
        raise _fail(gettext, N_("Enter the table as a list of rows."))
    if len(value) > limit * 5:
        raise _fail(gettext, N_("Enter at most %(max)s rows."), max=limit)
    columns = {c.key: c for c in question.columns}
    rows: list[dict[str, Any]] = []
    for n, row in enumerate(value, 1):
        if is_blank(row):
            continue
        if not isinstance(row, dict):
            raise _fail(gettext, N_("Row %(row)s is not a row of the table."), row=n)
        if any(k not in columns for k in row):
            raise _fail(gettext, N_("Row %(row)s has a column that is not in the table."), row=n)
        cells: dict[str, Any] = {}
        for column in question.columns:
            cell = row.get(column.key)
            if is_blank(cell):
                continue
            try:
                cells[column.key] = _clean_cell(column, cell, gettext)
            except InvalidAnswer as exc:
                raise _fail(gettext, N_("Row %(row)s, %(column)s: %(problem)s"), row=n,
                            column=column.label.text(language), problem=str(exc)) from None
        if cells:
            rows.append(cells)
    if len(rows) > limit:
        raise _fail(gettext, N_("Enter at most %(max)s rows."), max=limit)
    return rows


def _clean_cell(column: Column, value: Any, gettext: Gettext) -> Any:
    if column.type == "number":
        return _show(_decimal(value, gettext))
    if column.type == "choice":
        if not isinstance(value, str) or value not in {o.value for o in column.options}:
            raise _fail(gettext, N_("Choose one of the options."))
        return value
    return _text(value, COLUMN_TEXT_MAX_LENGTH, multiline=False, gettext=gettext)


def _clean_document(question: Question, value: Any, language: str, gettext: Gettext) -> int:
    wrong = _fail(gettext, N_("Upload the document again."))
    if isinstance(value, bool):
        raise wrong
    if isinstance(value, str) and re.fullmatch(r"\d{1,19}", value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or not 1 <= value <= MAX_ID:
        raise wrong
    return value


_CLEANERS: dict[str, Callable[[Question, Any, str, Gettext], Any]] = {
    "text": _clean_text,
    "long_text": _clean_text,
    "choice": _clean_choice,
    "choices": _clean_choices,
    "number": _clean_number,
    "date": _clean_date,
    "scale": _clean_scale,
    "yes_no": _clean_yes_no,
    "table": _clean_table,
    "document": _clean_document,
}
