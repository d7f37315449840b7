"""What a call for input is once its file is read: the limits of the format and the frozen
definition, its questions, options, columns and conditions (tacase.engine.calls loads them)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from tacase.reference import requesting_states

LANGUAGES = ("en", "fr", "es")
QUESTION_TYPES = ("text", "long_text", "choice", "choices", "number", "date", "scale", "yes_no", "table",
                  "document")
KINDS = ("questionnaire", "submissions")
LATE_RESPONSES = ("accept", "refuse")
SUBMITTED_BY = ("focal_point", "each")
COLUMN_TYPES = ("text", "number", "choice")
# Questions a condition may depend on: those whose answer is one of a few known values.
CONDITION_TYPES = ("yes_no", "choice", "choices", "scale", "number")

CALL_KEY = re.compile(r"^[a-z0-9][a-z0-9-]{2,63}$")
# Keys that name pages of their own (/admin/calls/new), not a call.
RESERVED_CALL_KEYS = frozenset({"new"})
QUESTION_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
OPTION_VALUE = re.compile(r"^[a-z0-9_]{1,64}$")
_NUMBER_TEXT = re.compile(r"[+-]?\d{1,15}(\.\d{1,6})?")

MAX_LENGTH_DEFAULTS = {"text": 500, "long_text": 20000}
MAX_LENGTH_LIMITS = {"text": 2000, "long_text": 100000}
COLUMN_TEXT_MAX_LENGTH = 500
MIN_OPTIONS, MAX_OPTIONS = 2, 50
MAX_COLUMNS = 10
MAX_ROWS_DEFAULT, MAX_ROWS_LIMIT = 20, 200
MAX_QUESTIONS = 200
MAX_SCALE_STEPS = 10
MAX_REMINDER_DAYS = 365
MAX_REMINDERS = 10
# Texts are shown on pages and in e-mails: long enough for an introduction, not for a book.
MAX_TEXT = {"title": 300, "label": 1000, "introduction": 20000, "help": 5000, "report": 300, "section": 300,
            "unit": 40, "min_label": 100, "max_label": 100, "option": 300}
# Numbers in answers and bounds: what the database's NUMERIC keeps exactly.
MAX_INTEGER_DIGITS, MAX_FRACTION_DIGITS = 15, 6

_TOP_REQUIRED = ("key", "version", "kind", "title", "introduction", "audience", "opens_on", "closes_on",
                 "questions")
_TOP_KEYS = set(_TOP_REQUIRED) | {"late_responses", "submitted_by", "stakeholders", "reminders",
                                  "publish_submissions", "report"}
_COMMON_QUESTION_KEYS = {"key", "type", "label", "help", "required", "section", "when"}
_TYPE_KEYS: dict[str, set[str]] = {
    "text": {"max_length"},
    "long_text": {"max_length"},
    "choice": {"options"},
    "choices": {"options", "max_choices"},
    "number": {"min", "max", "unit"},
    "date": set(),
    "scale": {"min", "max", "min_label", "max_label"},
    "yes_no": set(),
    "table": {"columns", "max_rows"},
    "document": set(),
}
_COLUMN_KEYS = {"key", "type", "label", "options"}
_OPTION_KEYS = {"value", "label"}


class CallDefinitionError(ValueError):
    """A call file is invalid; `problems` lists each problem as "<file>: <where>: <what>"."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


@dataclass(frozen=True)
class Localised:
    en: str
    fr: str
    es: str

    def text(self, language: str) -> str:
        """The text in `language`, or in English for any other language."""
        value = getattr(self, language, None) if language in LANGUAGES else None
        return value or self.en


@dataclass(frozen=True)
class Option:
    value: str
    label: Localised


@dataclass(frozen=True)
class Condition:
    question: str
    values: tuple[Any, ...]  # met when the answer is (or, for `choices`, contains) one of these


@dataclass(frozen=True)
class Column:
    key: str
    type: str
    label: Localised
    options: tuple[Option, ...] = ()

    def option_label(self, value: Any, language: str) -> str:
        return _option_label(self.options, value, language)


@dataclass(frozen=True)
class Question:
    key: str
    type: str
    label: Localised
    required: bool = False
    help: Localised | None = None
    section: Localised | None = None
    when: Condition | None = None
    options: tuple[Option, ...] = ()
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    unit: Localised | None = None
    min_label: Localised | None = None
    max_label: Localised | None = None
    max_length: int | None = None  # text and long_text: always set (the default when the file says none)
    max_choices: int | None = None
    columns: tuple[Column, ...] = ()
    max_rows: int | None = None  # table: always set

    def option_label(self, value: Any, language: str) -> str:
        """The label of an option in `language`; the value itself if it is no option (an old answer)."""
        return _option_label(self.options, value, language)

    def option_values(self) -> tuple[str, ...]:
        return tuple(o.value for o in self.options)


def _option_label(options: tuple[Option, ...], value: Any, language: str) -> str:
    for option in options:
        if option.value == value:
            return option.label.text(language)
    return "" if value is None else str(value)


@dataclass(frozen=True)
class CallDefinition:
    key: str
    version: int
    kind: str
    title: Localised
    introduction: Localised
    audience: tuple[str, ...] | None  # None: every Member and observer State
    opens_on: date
    closes_on: date
    late_responses: str
    submitted_by: str
    stakeholders: bool
    reminders: tuple[int, ...]  # days before closes_on, largest first
    publish_submissions: bool
    report: Localised | None
    questions: tuple[Question, ...]
    sha256: str

    def __hash__(self) -> int:
        return hash(self.sha256)

    def question(self, key: str) -> Question | None:
        for q in self.questions:
            if q.key == key:
                return q
        return None

    def audience_states(self) -> tuple[str, ...]:
        """The ISO alpha-3 codes of the States the call is addressed to."""
        if self.audience is None:
            return tuple(sorted(requesting_states()))
        return self.audience


