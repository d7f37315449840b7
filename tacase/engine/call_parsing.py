"""Checking a call's mapping and building its definition, with every problem named by the source and
its place in it."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from tacase.engine.call_mapping import _decimal_text, content_hash, to_raw
from tacase.engine.call_model import (
    _COLUMN_KEYS,
    _COMMON_QUESTION_KEYS,
    _NUMBER_TEXT,
    _OPTION_KEYS,
    _TOP_KEYS,
    _TOP_REQUIRED,
    _TYPE_KEYS,
    CALL_KEY,
    COLUMN_TYPES,
    CONDITION_TYPES,
    KINDS,
    LANGUAGES,
    LATE_RESPONSES,
    MAX_COLUMNS,
    MAX_FRACTION_DIGITS,
    MAX_INTEGER_DIGITS,
    MAX_LENGTH_DEFAULTS,
    MAX_LENGTH_LIMITS,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_REMINDER_DAYS,
    MAX_REMINDERS,
    MAX_ROWS_DEFAULT,
    MAX_ROWS_LIMIT,
    MAX_SCALE_STEPS,
    MAX_TEXT,
    MIN_OPTIONS,
    OPTION_VALUE,
    QUESTION_KEY,
    QUESTION_TYPES,
    RESERVED_CALL_KEYS,
    SUBMITTED_BY,
    CallDefinition,
    CallDefinitionError,
    Column,
    Condition,
    Localised,
    Option,
    Question,
)
from tacase.reference import requesting_states

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
    elif key in RESERVED_CALL_KEYS:
        p.add("key", f"{key!r} is kept for the page that writes a new call; choose another key")
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


