"""Calls for input (questionnaires and calls for submissions): loaded from YAML, validated, frozen.

One file per call in questionnaires/, named after its key. As for the workflows, every problem is
reported with the file and the place in it, so that `tacase calls validate` tells an administrator
exactly what to fix. `to_raw` gives back the normalised mapping: a call created in the pages is stored
as that JSON, and parsing it again gives the same definition and the same sha256.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import yaml

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


# --- loading ------------------------------------------------------------------------------------

class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    loader.flatten_mapping(node)
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key: construct_mapping reports it
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} is given twice", key_node.start_mark)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_UniqueKeyLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_file(path: str | Path) -> CallDefinition:
    path = Path(path)
    try:
        raw = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (a SafeLoader)
    except OSError as exc:
        raise CallDefinitionError([f"{path.name}: cannot be read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise CallDefinitionError([f"{path.name}: not UTF-8 text"]) from None
    except yaml.YAMLError as exc:
        raise CallDefinitionError([f"{path.name}: not valid YAML: {exc}"]) from None
    return parse(raw, source=path.name, expected_key=path.stem)


def load_dir(directory: str | Path) -> dict[str, CallDefinition]:
    """Every call in the directory by key; all problems of all files in one CallDefinitionError.

    A directory without call files is valid: the office need not have any call."""
    directory = Path(directory)
    if not directory.is_dir():
        raise CallDefinitionError([f"{directory}: not a directory"])
    problems: list[str] = []
    definitions: dict[str, CallDefinition] = {}
    for path in sorted(directory.glob("*.yml")):
        problems.append(f"{path.name}: call files end in .yaml")
    for path in sorted(directory.glob("*.yaml")):
        try:
            definition = load_file(path)
        except CallDefinitionError as exc:
            problems.extend(exc.problems)
            continue
        definitions[definition.key] = definition
    if problems:
        raise CallDefinitionError(problems)
    return definitions


def content_hash(raw: dict[str, Any]) -> str:
    text = json.dumps(raw, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# --- parsing ------------------------------------------------------------------------------------

class _Problems:
    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.items.append(f"{self.source}: {where}: {message}")

    def unknown_keys(self, mapping: dict, allowed: set[str], where: str) -> None:
        unknown = sorted(str(k) for k in mapping if k not in allowed)
        if unknown:
            self.add(where, f"unknown keys {unknown} (allowed: {', '.join(sorted(allowed))})")


def parse(raw: Any, source: str, expected_key: str | None = None) -> CallDefinition:
    """Validate a parsed YAML (or stored JSON) mapping and build a definition, or raise
    CallDefinitionError naming `source` and the place of every problem. The key must equal
    `expected_key`, by default the stem of a source that is a file name (`escr-needs-2026.yaml`)."""
    p = _Problems(source)
    if expected_key is None and source.endswith(".yaml"):
        expected_key = Path(source).stem
    if not isinstance(raw, dict):
        raise CallDefinitionError([f"{source}: top level: expected a mapping (key: ..., title: ..., ...)"])
    p.unknown_keys(raw, _TOP_KEYS, "top level")
    for name in _TOP_REQUIRED:
        if name not in raw:
            p.add("top level", f"'{name}' is missing")

    key = raw.get("key")
    if not isinstance(key, str) or not CALL_KEY.match(key):
        if "key" in raw:
            p.add("key", "must be 3 to 64 lower-case letters, digits and hyphens, such as 'escr-needs-2026'")
        key = None
    elif expected_key is not None and key != expected_key:
        p.add("key", f"is {key!r} but the file is named {expected_key}.yaml")
    version = raw.get("version")
    if "version" in raw and (isinstance(version, bool) or not isinstance(version, int) or version < 1):
        p.add("version", "must be a whole number of at least 1")
    kind = raw.get("kind")
    if "kind" in raw and kind not in KINDS:
        p.add("kind", f"must be one of {', '.join(KINDS)}")
    title = _localised(raw.get("title"), "title", p, MAX_TEXT["title"]) if "title" in raw else None
    introduction = (_localised(raw.get("introduction"), "introduction", p, MAX_TEXT["introduction"])
                    if "introduction" in raw else None)
    report = None
    if raw.get("report") is not None:
        report = _localised(raw["report"], "report", p, MAX_TEXT["report"])
    audience = _audience(raw.get("audience"), p) if "audience" in raw else None
    opens_on = _date(raw.get("opens_on"), "opens_on", p) if "opens_on" in raw else None
    closes_on = _date(raw.get("closes_on"), "closes_on", p) if "closes_on" in raw else None
    if opens_on and closes_on and closes_on < opens_on:
        p.add("closes_on", f"{closes_on.isoformat()} is before opens_on {opens_on.isoformat()}")
    late = raw.get("late_responses", "accept")
    if late not in LATE_RESPONSES:
        p.add("late_responses", f"must be one of {', '.join(LATE_RESPONSES)}")
    submitted_by = raw.get("submitted_by", "focal_point")
    if submitted_by not in SUBMITTED_BY:
        p.add("submitted_by", f"must be one of {', '.join(SUBMITTED_BY)}")
    flags = {}
    for name in ("stakeholders", "publish_submissions"):
        flags[name] = raw.get(name, False)
        if not isinstance(flags[name], bool):
            p.add(name, "must be true or false")
    reminders = _reminders(raw.get("reminders", []), opens_on, closes_on, p)
    questions = _questions(raw.get("questions"), p) if "questions" in raw else ()

    if p.items:
        raise CallDefinitionError(p.items)
    definition = CallDefinition(
        key=key, version=version, kind=kind, title=title, introduction=introduction, audience=audience,
        opens_on=opens_on, closes_on=closes_on, late_responses=late, submitted_by=submitted_by,
        stakeholders=flags["stakeholders"], reminders=reminders,
        publish_submissions=flags["publish_submissions"], report=report, questions=questions, sha256="",
    )
    # The hash of the normalised mapping: the same call stored as JSON and parsed again keeps its hash.
    return _replace_sha(definition, content_hash(to_raw(definition)))


def _replace_sha(definition: CallDefinition, sha256: str) -> CallDefinition:
    from dataclasses import replace

    return replace(definition, sha256=sha256)


def _text(value: Any, where: str, p: _Problems, max_length: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        p.add(where, "must be a non-empty text")
        return None
    if len(value) > max_length:
        p.add(where, f"is {len(value)} characters long; at most {max_length}")
        return None
    return value.strip()


def _localised(value: Any, where: str, p: _Problems, max_length: int) -> Localised | None:
    if not isinstance(value, dict):
        p.add(where, "must be a mapping of texts by language: {en: ..., fr: ..., es: ...}")
        return None
    p.unknown_keys(value, set(LANGUAGES), where)
    missing = [lang for lang in LANGUAGES if lang not in value]
    if missing:
        p.add(where, f"missing languages {missing} (English, French and Spanish are all required)")
        return None
    texts = {lang: _text(value[lang], f"{where}.{lang}", p, max_length) for lang in LANGUAGES}
    if any(t is None for t in texts.values()):
        return None
    return Localised(**texts)


def _date(value: Any, where: str, p: _Problems) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    p.add(where, f"must be a date written as YYYY-MM-DD (got {_show(value)})")
    return None


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _audience(value: Any, p: _Problems) -> tuple[str, ...] | None:
    if value == "all":
        return None
    states = requesting_states()
    if not isinstance(value, list) or not 1 <= len(value) <= len(states):
        p.add("audience", f"must be 'all' or a list of 1 to {len(states)} ISO alpha-3 codes "
                          "such as [FJI, KEN]")
        return None
    codes: list[str] = []
    for n, code in enumerate(value, 1):
        if not isinstance(code, str) or code not in states:
            p.add(f"audience[{n}]",
                  f"{_show(code)} is not the ISO alpha-3 code of a Member or observer State")
        elif code in codes:
            p.add(f"audience[{n}]", f"{code} is listed twice")
        else:
            codes.append(code)
    return tuple(sorted(codes))


def _reminders(value: Any, opens_on: date | None, closes_on: date | None, p: _Problems) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) > MAX_REMINDERS:
        p.add("reminders", f"must be a list of at most {MAX_REMINDERS} days before closes_on, "
                           "such as [14, 7, 2]")
        return ()
    days: list[int] = []
    for n, day in enumerate(value, 1):
        where = f"reminders[{n}]"
        if isinstance(day, bool) or not isinstance(day, int) or not 1 <= day <= MAX_REMINDER_DAYS:
            p.add(where, f"must be a whole number of days from 1 to {MAX_REMINDER_DAYS} (got {_show(day)})")
        elif day in days:
            p.add(where, f"{day} is listed twice")
        else:
            days.append(day)
            if opens_on and closes_on and 0 <= (closes_on - opens_on).days < day:
                p.add(where, f"{day} days before closes_on is before the call opens on "
                             f"{opens_on.isoformat()}")
    return tuple(sorted(days, reverse=True))


def _number(value: Any, where: str, p: _Problems) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        p.add(where, f"must be a number (got {_show(value)})")
        return None
    if isinstance(value, float) and not math.isfinite(value):
        p.add(where, "must be a finite number")
        return None
    if isinstance(value, str) and len(value) > 40:
        p.add(where, f"must be a number (got {_show(value)})")
        return None
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        p.add(where, f"must be a number (got {_show(value)})")
        return None
    if not number.is_finite() or not _fits(number):
        p.add(where, f"must be a finite number with at most {MAX_INTEGER_DIGITS} digits before the decimal "
                     f"point and {MAX_FRACTION_DIGITS} after")
        return None
    return Decimal(_decimal_text(number))


def _fits(number: Decimal) -> bool:
    _sign, digits, exponent = number.normalize().as_tuple()
    if not isinstance(exponent, int):
        return False
    integer_digits = max(len(digits) + exponent, 0)
    fraction_digits = max(-exponent, 0)
    return integer_digits <= MAX_INTEGER_DIGITS and fraction_digits <= MAX_FRACTION_DIGITS


def _int(value: Any, where: str, p: _Problems, low: int, high: int) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        p.add(where, f"must be a whole number from {low} to {high} (got {_show(value)})")
        return None
    return value


def _options(value: Any, where: str, p: _Problems) -> tuple[Option, ...]:
    if not isinstance(value, list) or not MIN_OPTIONS <= len(value) <= MAX_OPTIONS:
        p.add(where, f"must be a list of {MIN_OPTIONS} to {MAX_OPTIONS} options, "
                     "each {value: ..., label: {en: ..., fr: ..., es: ...}}")
        return ()
    options: list[Option] = []
    seen: set[str] = set()
    for n, item in enumerate(value, 1):
        place = f"{where}[{n}]"
        if not isinstance(item, dict):
            p.add(place, "must be a mapping {value: ..., label: {en: ..., fr: ..., es: ...}}")
            continue
        p.unknown_keys(item, _OPTION_KEYS, place)
        option_value = item.get("value")
        if not isinstance(option_value, str) or not OPTION_VALUE.match(option_value):
            p.add(place, f"value must be 1 to 64 lower-case letters, digits and underscores (got "
                         f"{_show(option_value)})")
            option_value = None
        elif option_value in seen:
            p.add(place, f"value {option_value!r} is given twice")
            option_value = None
        else:
            seen.add(option_value)
            place = f"{where} {option_value!r}"
        label = _localised(item.get("label"), f"{place}: label", p, MAX_TEXT["option"])
        if option_value is not None and label is not None:
            options.append(Option(value=option_value, label=label))
    return tuple(options)


def _questions(value: Any, p: _Problems) -> tuple[Question, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_QUESTIONS:
        p.add("questions", f"must be a list of 1 to {MAX_QUESTIONS} questions")
        return ()
    questions: list[Question] = []
    earlier: dict[str, Question] = {}
    keys_seen: set[str] = set()
    all_keys = {item.get("key") for item in value
                if isinstance(item, dict) and isinstance(item.get("key"), str)}
    for n, item in enumerate(value, 1):
        where = f"question {n}"
        if not isinstance(item, dict):
            p.add(where, "must be a mapping {key: ..., type: ..., label: ...}")
            continue
        key = item.get("key")
        if not isinstance(key, str) or not QUESTION_KEY.match(key):
            p.add(where, f"key must be a lower-case identifier such as 'has_plan' (got {_show(key)})")
            key = None
        elif key in keys_seen:
            p.add(where, f"key {key!r} is used by an earlier question")
            key = None
        else:
            keys_seen.add(key)
            where = f"question {n} ({key})"
        question = _question(item, key, where, earlier, (all_keys, set(keys_seen) - {key}), p)
        if question is not None:
            questions.append(question)
            earlier[question.key] = question
    return tuple(questions)


def _question(item: dict, key: str | None, where: str, earlier: dict[str, Question],
              keys: tuple[set, set], p: _Problems) -> Question | None:
    before = len(p.items)
    qtype = item.get("type")
    if qtype not in QUESTION_TYPES:
        p.add(where, f"type must be one of {', '.join(QUESTION_TYPES)} (got {_show(qtype)})")
        p.unknown_keys(item, _COMMON_QUESTION_KEYS | set().union(*_TYPE_KEYS.values()), where)
        return None
    allowed = _COMMON_QUESTION_KEYS | _TYPE_KEYS[qtype]
    misplaced = sorted(str(k) for k in item if k not in allowed and k in set().union(*_TYPE_KEYS.values()))
    if misplaced:
        p.add(where, f"{misplaced} do not apply to a {qtype} question")
    p.unknown_keys({k: v for k, v in item.items() if str(k) not in misplaced}, allowed, where)
    label = _localised(item.get("label"), f"{where}: label", p, MAX_TEXT["label"])
    required = item.get("required", False)
    if not isinstance(required, bool):
        p.add(f"{where}: required", "must be true or false")
    optional_texts = {}
    for name in ("help", "section", "unit", "min_label", "max_label"):
        raw_text = item.get(name)
        optional_texts[name] = (_localised(raw_text, f"{where}: {name}", p, MAX_TEXT[name])
                                if raw_text is not None else None)
    when = _condition(item.get("when"), key, f"{where}: when", earlier, keys, p) if "when" in item else None

    fields: dict[str, Any] = {}
    if qtype in ("choice", "choices"):
        fields["options"] = _options(item.get("options"), f"{where}: options", p)
        if qtype == "choices" and item.get("max_choices") is not None:
            count = max(len(fields["options"]), 1)
            fields["max_choices"] = _int(item["max_choices"], f"{where}: max_choices", p, 1, count)
    elif qtype == "number":
        for name, field in (("min", "minimum"), ("max", "maximum")):
            if item.get(name) is not None:
                fields[field] = _number(item[name], f"{where}: {name}", p)
        low, high = fields.get("minimum"), fields.get("maximum")
        if low is not None and high is not None and low >= high:
            p.add(where, f"min ({low}) must be less than max ({high})")
    elif qtype == "scale":
        low = _int(item.get("min"), f"{where}: min", p, -100, 100)
        high = _int(item.get("max"), f"{where}: max", p, -100, 100)
        if low is not None and high is not None and not 1 <= high - low <= MAX_SCALE_STEPS:
            p.add(where, f"max - min must be from 1 to {MAX_SCALE_STEPS} (the scale runs {low} to {high})")
        fields["minimum"] = Decimal(low) if low is not None else None
        fields["maximum"] = Decimal(high) if high is not None else None
    elif qtype in ("text", "long_text"):
        fields["max_length"] = MAX_LENGTH_DEFAULTS[qtype]
        if item.get("max_length") is not None:
            fields["max_length"] = _int(item["max_length"], f"{where}: max_length", p, 1,
                                        MAX_LENGTH_LIMITS[qtype])
    elif qtype == "table":
        fields["columns"] = _columns(item.get("columns"), f"{where}: columns", p)
        fields["max_rows"] = MAX_ROWS_DEFAULT
        if item.get("max_rows") is not None:
            fields["max_rows"] = _int(item["max_rows"], f"{where}: max_rows", p, 1, MAX_ROWS_LIMIT)
    if len(p.items) > before or key is None:
        return None
    for name in ("unit", "min_label", "max_label"):
        if optional_texts[name] is not None:
            fields[name] = optional_texts[name]
    return Question(key=key, type=qtype, label=label, required=required, help=optional_texts["help"],
                    section=optional_texts["section"], when=when, **fields)


def _columns(value: Any, where: str, p: _Problems) -> tuple[Column, ...]:
    if not isinstance(value, list) or not 1 <= len(value) <= MAX_COLUMNS:
        p.add(where, f"must be a list of 1 to {MAX_COLUMNS} columns, each "
                     "{key: ..., type: text|number|choice, label: {en: ..., fr: ..., es: ...}}")
        return ()
    columns: list[Column] = []
    seen: set[str] = set()
    for n, item in enumerate(value, 1):
        place = f"{where}[{n}]"
        if not isinstance(item, dict):
            p.add(place, "must be a mapping {key: ..., type: ..., label: ...}")
            continue
        before = len(p.items)
        key = item.get("key")
        if not isinstance(key, str) or not QUESTION_KEY.match(key):
            p.add(place, f"key must be a lower-case identifier such as 'ministry' (got {_show(key)})")
        elif key in seen:
            p.add(place, f"key {key!r} is used by an earlier column")
        else:
            seen.add(key)
            place = f"{where} {key!r}"
        p.unknown_keys(item, _COLUMN_KEYS, place)
        ctype = item.get("type")
        if ctype not in COLUMN_TYPES:
            p.add(place, f"type must be one of {', '.join(COLUMN_TYPES)} (got {_show(ctype)})")
        label = _localised(item.get("label"), f"{place}: label", p, MAX_TEXT["label"])
        options: tuple[Option, ...] = ()
        if ctype == "choice":
            options = _options(item.get("options"), f"{place}: options", p)
        elif "options" in item:
            p.add(place, "options apply only to a choice column")
        if len(p.items) == before:
            columns.append(Column(key=key, type=ctype, label=label, options=options))
    return tuple(columns)


def _condition(value: Any, own_key: str | None, where: str, earlier: dict[str, Question],
               keys: tuple[set, set], p: _Problems) -> Condition | None:
    """`keys`: every question key in the call, and the keys of the questions before this one."""
    all_keys, before = keys
    if not isinstance(value, dict) or set(value) not in ({"question", "equals"}, {"question", "in"}):
        p.add(where, "must be {question: <an earlier question>, equals: <a value>} or "
                     "{question: ..., in: [<values>]}")
        return None
    target = value["question"]
    parent = earlier.get(target) if isinstance(target, str) else None
    if parent is None:
        if target == own_key:
            p.add(where, "a question cannot depend on itself")
        elif isinstance(target, str) and target in before:
            p.add(where, f"question {target!r} has problems of its own (see above)")
        elif isinstance(target, str) and target in all_keys:
            p.add(where, f"question {target!r} comes later: a condition depends on an earlier question")
        else:
            p.add(where, f"names unknown question {_show(target)}")
        return None
    if parent.type not in CONDITION_TYPES:
        p.add(where, f"question {target!r} is a {parent.type} question; a condition depends on a "
                     f"{', '.join(CONDITION_TYPES)} question")
        return None
    if "in" in value:
        if not isinstance(value["in"], list) or not value["in"]:
            p.add(where, "in must be a non-empty list of values")
            return None
        if parent.type not in ("choice", "choices"):
            p.add(where, f"in applies to choice and choices questions; {target!r} is a {parent.type} "
                         "question (use equals)")
            return None
        values = value["in"]
    else:
        values = [value["equals"]]
    cleaned: list[Any] = []
    for candidate in values:
        ok = _condition_value(parent, candidate)
        if ok is None:
            p.add(where, f"{target!r} cannot take the value {_show(candidate)}{_expected(parent)}")
        elif ok in cleaned:
            p.add(where, f"the value {_show(candidate)} is given twice")
        else:
            cleaned.append(ok)
    if len(cleaned) != len(values):
        return None
    return Condition(question=target, values=tuple(cleaned))


def _expected(parent: Question) -> str:
    if parent.type == "yes_no":
        return " (expected true or false)"
    if parent.type in ("choice", "choices"):
        return f" (expected one of {', '.join(parent.option_values())})"
    if parent.type == "scale":
        return f" (expected a whole number from {parent.minimum} to {parent.maximum})"
    return " (expected a number within its min and max)"


def _condition_value(parent: Question, value: Any) -> Any:
    """The value as the cleaned answer of `parent` would be, or None if the question cannot take it."""
    if parent.type == "yes_no":
        return value if isinstance(value, bool) else None
    if parent.type in ("choice", "choices"):
        return value if isinstance(value, str) and value in parent.option_values() else None
    if isinstance(value, str) and parent.type == "number" and _NUMBER_TEXT.fullmatch(value):
        value = Decimal(value)  # how to_raw gives a number's value back
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    number = Decimal(str(value))
    if (parent.minimum is not None and number < parent.minimum) or (
            parent.maximum is not None and number > parent.maximum):
        return None
    if parent.type == "scale":
        return int(number) if number == number.to_integral_value() else None
    return _decimal_text(number)


def _decimal_text(number: Decimal) -> str:
    """A number as the answers keep it: "1500", "1500.5", never an exponent."""
    text = format(number.normalize(), "f")
    return "0" if text in ("-0", "0") else text


# --- back to a mapping --------------------------------------------------------------------------

def _localised_raw(value: Localised | None) -> dict[str, str] | None:
    return None if value is None else {lang: getattr(value, lang) for lang in LANGUAGES}


def _number_raw(value: Decimal) -> int | str:
    # A decimal as text: a float would round 123456789012345.123456.
    return int(value) if value == value.to_integral_value() else _decimal_text(value)


def _options_raw(options: tuple[Option, ...]) -> list[dict[str, Any]]:
    return [{"value": o.value, "label": _localised_raw(o.label)} for o in options]


def _question_raw(q: Question) -> dict[str, Any]:
    out: dict[str, Any] = {"key": q.key, "type": q.type, "label": _localised_raw(q.label)}
    if q.required:
        out["required"] = True
    for name in ("help", "section"):
        if getattr(q, name) is not None:
            out[name] = _localised_raw(getattr(q, name))
    if q.when is not None:
        if len(q.when.values) == 1:
            out["when"] = {"question": q.when.question, "equals": q.when.values[0]}
        else:
            out["when"] = {"question": q.when.question, "in": list(q.when.values)}
    if q.type in ("choice", "choices"):
        out["options"] = _options_raw(q.options)
        if q.max_choices is not None:
            out["max_choices"] = q.max_choices
    if q.type in ("number", "scale"):
        if q.minimum is not None:
            out["min"] = _number_raw(q.minimum)
        if q.maximum is not None:
            out["max"] = _number_raw(q.maximum)
    for name in ("unit", "min_label", "max_label"):
        if getattr(q, name) is not None:
            out[name] = _localised_raw(getattr(q, name))
    if q.type in ("text", "long_text"):
        out["max_length"] = q.max_length
    if q.type == "table":
        out["columns"] = [
            {"key": c.key, "type": c.type, "label": _localised_raw(c.label),
             **({"options": _options_raw(c.options)} if c.type == "choice" else {})}
            for c in q.columns
        ]
        out["max_rows"] = q.max_rows
    return out


def to_raw(definition: CallDefinition) -> dict[str, Any]:
    """The definition as a JSON-able mapping in the file's format: parse(to_raw(d)) == d."""
    d = definition
    out: dict[str, Any] = {
        "key": d.key, "version": d.version, "kind": d.kind,
        "title": _localised_raw(d.title), "introduction": _localised_raw(d.introduction),
        "audience": "all" if d.audience is None else list(d.audience),
        "opens_on": d.opens_on.isoformat(), "closes_on": d.closes_on.isoformat(),
        "late_responses": d.late_responses, "submitted_by": d.submitted_by,
        "stakeholders": d.stakeholders, "reminders": list(d.reminders),
        "publish_submissions": d.publish_submissions,
    }
    if d.report is not None:
        out["report"] = _localised_raw(d.report)
    out["questions"] = [_question_raw(q) for q in d.questions]
    return out
