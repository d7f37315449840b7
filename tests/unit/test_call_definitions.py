"""The call files: every problem named with the file and the place, the shipped calls load."""

from __future__ import annotations

import copy
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from tacase.engine.calls import (
    QUESTION_TYPES,
    CallDefinitionError,
    Localised,
    load_dir,
    load_file,
    parse,
    to_raw,
)
from tacase.reference import requesting_states

ROOT = Path(__file__).resolve().parents[2]
L = {"en": "English", "fr": "Français", "es": "Español"}


def opt(value):
    return {"value": value, "label": {"en": value.title(), "fr": value, "es": value}}


def base() -> dict:
    return {
        "key": "test-call", "version": 1, "kind": "questionnaire", "title": dict(L), "introduction": dict(L),
        "audience": "all", "opens_on": date(2026, 11, 2), "closes_on": date(2027, 1, 29),
        "late_responses": "accept", "submitted_by": "focal_point", "stakeholders": False,
        "reminders": [14, 7, 2], "publish_submissions": False,
        "questions": [
            {"key": "has_plan", "type": "yes_no", "label": dict(L), "required": True},
            {"key": "year", "type": "number", "label": dict(L), "min": 1990, "max": 2030,
             "when": {"question": "has_plan", "equals": True}},
            {"key": "area", "type": "choice", "label": dict(L), "options": [opt("health"), opt("food")]},
            {"key": "areas", "type": "choices", "label": dict(L), "options": [opt("health"), opt("food")],
             "max_choices": 2, "when": {"question": "area", "in": ["health", "food"]}},
            {"key": "capacity", "type": "scale", "label": dict(L), "min": 1, "max": 5},
            {"key": "name", "type": "text", "label": dict(L)},
            {"key": "needs", "type": "long_text", "label": dict(L), "max_length": 3000},
            {"key": "reported_on", "type": "date", "label": dict(L)},
            {"key": "plan", "type": "document", "label": dict(L)},
            {"key": "activities", "type": "table", "label": dict(L), "columns": [
                {"key": "activity", "type": "text", "label": dict(L)},
                {"key": "year", "type": "number", "label": dict(L)},
                {"key": "lead", "type": "choice", "label": dict(L),
                 "options": [opt("health"), opt("justice")]},
            ]},
        ],
    }


def problems(raw, source="test-call.yaml", expected_key="test-call") -> list[str]:
    with pytest.raises(CallDefinitionError) as info:
        parse(raw, source, expected_key=expected_key)
    for problem in info.value.problems:
        assert problem.startswith(f"{source}: "), problem
        assert problem.count(": ") >= 2, f"no place named: {problem}"
    return info.value.problems


def has(problems_: list[str], *fragments: str) -> bool:
    return any(all(f in p for f in fragments) for p in problems_)


def question(raw, key):
    return next(q for q in raw["questions"] if q["key"] == key)


# --- the valid call ---------------------------------------------------------------------------

def test_a_valid_call_parses_with_every_type():
    d = parse(base(), "test-call.yaml", expected_key="test-call")
    assert {q.type for q in d.questions} == set(QUESTION_TYPES)
    assert d.audience is None and d.reminders == (14, 7, 2)
    assert d.question("year").minimum == Decimal(1990) and d.question("year").when.values == (True,)
    assert d.question("areas").when.values == ("health", "food")
    assert d.question("name").max_length == 500 and d.question("needs").max_length == 3000
    assert d.question("activities").max_rows == 20
    assert d.question("missing") is None
    assert len(d.sha256) == 64


def test_round_trip_through_json_keeps_the_definition_and_its_hash():
    d = parse(base(), "test-call.yaml")
    again = parse(json.loads(json.dumps(to_raw(d))), "stored")
    assert again == d and again.sha256 == d.sha256


def test_the_hash_changes_with_the_content_not_with_defaults_spelled_out():
    raw = base()
    d = parse(raw, "x")
    raw["questions"][5]["max_length"] = 500
    raw["questions"][0]["required"] = True
    assert parse(raw, "x").sha256 == d.sha256
    raw["title"]["en"] = "Another title"
    assert parse(raw, "x").sha256 != d.sha256


def test_defaults_for_optional_settings():
    raw = base()
    for name in ("late_responses", "submitted_by", "stakeholders", "reminders", "publish_submissions"):
        del raw[name]
    d = parse(raw, "x")
    assert (d.late_responses, d.submitted_by, d.stakeholders, d.reminders, d.publish_submissions) == (
        "accept", "focal_point", False, (), False)


def test_audience_list_and_states():
    raw = base()
    raw["audience"] = ["KEN", "FJI"]
    d = parse(raw, "x")
    assert d.audience == ("FJI", "KEN") and d.audience_states() == ("FJI", "KEN")
    assert set(parse(base(), "x").audience_states()) == set(requesting_states())


def test_localised_falls_back_to_english():
    text = Localised(en="Yes", fr="Oui", es="Sí")
    assert text.text("fr") == "Oui" and text.text("ru") == "Yes" and text.text("") == "Yes"


def test_option_label():
    d = parse(base(), "x")
    assert d.question("area").option_label("health", "en") == "Health"
    assert d.question("area").option_label("gone", "en") == "gone"
    assert d.question("activities").columns[2].option_label("justice", "en") == "Justice"


def test_dates_as_iso_strings():
    raw = base()
    raw["opens_on"], raw["closes_on"] = "2026-11-02", "2027-01-29"
    assert parse(raw, "x").closes_on == date(2027, 1, 29)


# --- the problems, each named with its place --------------------------------------------------

def test_not_a_mapping():
    assert problems([1, 2]) == ["test-call.yaml: top level: expected a mapping (key: ..., title: ..., ...)"]


def test_unknown_and_missing_top_keys():
    raw = base()
    raw["colour"] = "blue"
    del raw["title"]
    found = problems(raw)
    assert has(found, "top level", "unknown keys ['colour']")
    assert has(found, "top level", "'title' is missing")


@pytest.mark.parametrize("key", ["Bad", "ab", "-abc", "a" * 65, 12, None, "abc_def"])
def test_bad_key(key):
    raw = base()
    raw["key"] = key
    assert has(problems(raw), "test-call.yaml: key: must be 3 to 64")


def test_a_key_that_names_a_page_is_refused():
    raw = base()
    raw["key"] = "new"
    assert has(problems(raw, "the call", expected_key=None), "the call: key: 'new' is kept for the page")


def test_key_must_match_the_file_name():
    assert has(problems(base(), "other.yaml", expected_key="other"),
               "other.yaml: key: is 'test-call' but the file is named other.yaml")
    with pytest.raises(CallDefinitionError, match=r"file is named other\.yaml"):
        parse(base(), "other.yaml")
    assert parse(base(), "call test-call, version 1 in the database").key == "test-call"


@pytest.mark.parametrize("version", [0, -1, "1", 1.5, True, None])
def test_bad_version(version):
    raw = base()
    raw["version"] = version
    assert has(problems(raw), "version: must be a whole number")


@pytest.mark.parametrize(("name", "value", "fragment"), [
    ("kind", "survey", "kind: must be one of questionnaire, submissions"),
    ("late_responses", "maybe", "late_responses: must be one of accept, refuse"),
    ("submitted_by", "anyone", "submitted_by: must be one of focal_point, each"),
    ("stakeholders", "yes", "stakeholders: must be true or false"),
    ("publish_submissions", 1, "publish_submissions: must be true or false"),
])
def test_bad_settings(name, value, fragment):
    raw = base()
    raw[name] = value
    assert has(problems(raw), fragment)


def test_missing_languages():
    raw = base()
    raw["title"] = {"en": "Only English"}
    assert has(problems(raw), "title: missing languages ['fr', 'es']")


def test_unknown_language_and_empty_text():
    raw = base()
    raw["introduction"] = {"en": "x", "fr": " ", "es": "y", "de": "z"}
    found = problems(raw)
    assert has(found, "introduction: unknown keys ['de']")
    assert has(found, "introduction.fr: must be a non-empty text")


def test_text_not_a_mapping():
    raw = base()
    raw["title"] = "Just a string"
    assert has(problems(raw), "title: must be a mapping of texts by language")


def test_too_long_text():
    raw = base()
    raw["title"]["fr"] = "x" * 5000
    assert has(problems(raw), "title.fr: is 5000 characters long")


@pytest.mark.parametrize("value", ["2026-02-30", "02/11/2026", 20261102, None, "2026-1-2"])
def test_bad_dates(value):
    raw = base()
    raw["opens_on"] = value
    assert has(problems(raw), "opens_on: must be a date written as YYYY-MM-DD")


def test_dates_in_the_wrong_order():
    raw = base()
    raw["closes_on"] = date(2026, 10, 1)
    found = problems(raw)
    assert has(found, "closes_on: 2026-10-01 is before opens_on 2026-11-02")


@pytest.mark.parametrize(("audience", "fragment"), [
    (["XXX"], "audience[1]: 'XXX' is not the ISO alpha-3 code"),
    (["FJI", "FJI"], "audience[2]: FJI is listed twice"),
    (["fji"], "audience[1]: 'fji' is not the ISO alpha-3 code"),
    ([], "audience: must be 'all' or a list of 1 to"),
    ("some", "audience: must be 'all' or a list of 1 to"),
    (["FJI"] * 1000, "audience: must be 'all' or a list of 1 to"),
    ([["FJI"]], "audience[1]:"),
])
def test_bad_audience(audience, fragment):
    raw = base()
    raw["audience"] = audience
    assert has(problems(raw), fragment)


@pytest.mark.parametrize(("reminders", "fragment"), [
    ([0], "reminders[1]: must be a whole number of days from 1 to 365"),
    ([7, 7], "reminders[2]: 7 is listed twice"),
    ([True], "reminders[1]: must be a whole number"),
    ("7", "reminders: must be a list"),
    (list(range(1, 12)), "reminders: must be a list of at most 10 days"),
    ([100], "reminders[1]: 100 days before closes_on is before the call opens"),
])
def test_bad_reminders(reminders, fragment):
    raw = base()
    raw["reminders"] = reminders
    assert has(problems(raw), fragment)


def test_questions_must_be_a_non_empty_list():
    raw = base()
    raw["questions"] = []
    assert has(problems(raw), "questions: must be a list of 1 to 200 questions")


def test_duplicate_question_keys():
    raw = base()
    raw["questions"].append({"key": "name", "type": "text", "label": dict(L)})
    assert has(problems(raw), "question 11: key 'name' is used by an earlier question")


@pytest.mark.parametrize("key", ["Has", "1a", "a-b", "", None, "x" * 64])
def test_bad_question_key(key):
    raw = base()
    raw["questions"][5]["key"] = key
    assert has(problems(raw), "question 6: key must be a lower-case identifier")


def test_unknown_question_type():
    raw = base()
    raw["questions"][5]["type"] = "essay"
    assert has(problems(raw), "question 6 (name): type must be one of text, long_text")


def test_unknown_and_misplaced_question_keys():
    raw = base()
    raw["questions"][5]["colour"] = "red"
    raw["questions"][5]["options"] = [opt("a"), opt("b")]
    found = problems(raw)
    assert has(found, "question 6 (name): unknown keys ['colour']")
    assert has(found, "question 6 (name): ['options'] do not apply to a text question")


def test_question_label_missing_language():
    raw = base()
    question(raw, "name")["label"] = {"en": "Name", "fr": "Nom"}
    assert has(problems(raw), "question 6 (name): label: missing languages ['es']")


def test_question_required_must_be_boolean():
    raw = base()
    question(raw, "name")["required"] = "yes"
    assert has(problems(raw), "question 6 (name): required: must be true or false")


def test_optional_texts_checked():
    raw = base()
    question(raw, "name")["help"] = {"en": "Help"}
    question(raw, "year")["unit"] = {"en": "USD", "fr": "USD", "es": ""}
    found = problems(raw)
    assert has(found, "question 6 (name): help: missing languages")
    assert has(found, "question 2 (year): unit.es: must be a non-empty text")


@pytest.mark.parametrize(("options", "fragment"), [
    ([opt("a")], "options: must be a list of 2 to 50 options"),
    ([opt(f"o{i}") for i in range(51)], "options: must be a list of 2 to 50 options"),
    ("health", "options: must be a list"),
    ([opt("a"), opt("a")], "options[2]: value 'a' is given twice"),
    ([opt("a"), {"value": "Bad Value", "label": L}], "options[2]: value must be 1 to 64 lower-case"),
    ([opt("a"), "b"], "options[2]: must be a mapping"),
    ([opt("a"), {"value": "b", "label": {"en": "B"}}], "options 'b': label: missing languages"),
    ([opt("a"), {"value": "b", "label": L, "extra": 1}], "options[2]: unknown keys ['extra']"),
])
def test_bad_options(options, fragment):
    raw = base()
    question(raw, "area")["options"] = options
    assert has(problems(raw), "question 3 (area): ", fragment)


@pytest.mark.parametrize("value", [0, 3, "2", True])
def test_bad_max_choices(value):
    raw = base()
    question(raw, "areas")["max_choices"] = value
    assert has(problems(raw), "question 4 (areas): max_choices: must be a whole number from 1 to 2")


@pytest.mark.parametrize(("low", "high", "fragment"), [
    (10, 5, "min (10) must be less than max (5)"),
    (5, 5, "min (5) must be less than max (5)"),
    (float("nan"), 5, "min: must be a finite number"),
    (float("inf"), None, "min: must be a finite number"),
    ("ten", None, "min: must be a number"),
    (True, None, "min: must be a number"),
    (10**20, None, "min: must be a finite number with at most 15 digits"),
    (0.0000001, None, "min: must be a finite number with at most 15 digits"),
])
def test_bad_number_bounds(low, high, fragment):
    raw = base()
    q = question(raw, "year")
    q["min"] = low
    if high is None:
        del q["max"]
    else:
        q["max"] = high
    assert has(problems(raw), "question 2 (year): ", fragment)


def test_decimal_number_bounds():
    raw = base()
    question(raw, "year")["min"], question(raw, "year")["max"] = 0.5, "123456789012345.123456"
    d = parse(raw, "x")
    q = d.question("year")
    assert (q.minimum, q.maximum) == (Decimal("0.5"), Decimal("123456789012345.123456"))
    assert parse(json.loads(json.dumps(to_raw(d))), "stored") == d


def test_a_condition_on_a_number_survives_the_round_trip():
    raw = base()
    question(raw, "reported_on")["when"] = {"question": "year", "equals": 2000.5}
    d = parse(raw, "x")
    assert d.question("reported_on").when.values == ("2000.5",)
    assert parse(json.loads(json.dumps(to_raw(d))), "stored") == d


@pytest.mark.parametrize(("low", "high", "fragment"), [
    (1, 1, "max - min must be from 1 to 10"),
    (0, 11, "max - min must be from 1 to 10"),
    (5, 1, "max - min must be from 1 to 10"),
    (1.5, 5, "min: must be a whole number"),
    (None, 5, "min: must be a whole number"),
    (1, True, "max: must be a whole number"),
])
def test_bad_scale(low, high, fragment):
    raw = base()
    q = question(raw, "capacity")
    q["min"], q["max"] = low, high
    assert has(problems(raw), "question 5 (capacity): ", fragment)


@pytest.mark.parametrize(("qkey", "value", "fragment"), [
    ("name", 2001, "max_length: must be a whole number from 1 to 2000"),
    ("name", 0, "max_length: must be a whole number from 1 to 2000"),
    ("needs", 100001, "max_length: must be a whole number from 1 to 100000"),
])
def test_bad_max_length(qkey, value, fragment):
    raw = base()
    question(raw, qkey)["max_length"] = value
    assert has(problems(raw), f"({qkey}): {fragment}")


@pytest.mark.parametrize(("columns", "fragment"), [
    ([], "columns: must be a list of 1 to 10 columns"),
    ([{"key": f"c{i}", "type": "text", "label": L} for i in range(11)], "columns: must be a list of 1 to 10"),
    ([{"key": "a", "type": "text", "label": L}, {"key": "a", "type": "text", "label": L}],
     "columns[2]: key 'a' is used by an earlier column"),
    ([{"key": "a", "type": "date", "label": L}], "columns 'a': type must be one of text, number, choice"),
    ([{"key": "a", "type": "choice", "label": L}], "columns 'a': options: must be a list"),
    ([{"key": "a", "type": "text", "label": L, "options": [opt("x"), opt("y")]}],
     "columns 'a': options apply only to a choice column"),
    ([{"key": "a", "type": "text", "label": {"en": "A"}}], "columns 'a': label: missing languages"),
    ([{"key": "a", "type": "text", "label": L, "width": 3}], "columns 'a': unknown keys ['width']"),
    (["a"], "columns[1]: must be a mapping"),
])
def test_bad_table_columns(columns, fragment):
    raw = base()
    question(raw, "activities")["columns"] = columns
    assert has(problems(raw), "question 10 (activities): ", fragment)


@pytest.mark.parametrize("value", [0, 201, "20"])
def test_bad_max_rows(value):
    raw = base()
    question(raw, "activities")["max_rows"] = value
    assert has(problems(raw), "(activities): max_rows: must be a whole number from 1 to 200")


@pytest.mark.parametrize(("when", "fragment"), [
    ({"question": "nowhere", "equals": True}, "names unknown question 'nowhere'"),
    ({"question": "plan", "equals": 3}, "question 'plan' comes later"),
    ({"question": "has_plan", "equals": "yes"},
     "'has_plan' cannot take the value 'yes' (expected true or false)"),
    ({"question": "area", "equals": "water"},
     "'area' cannot take the value 'water' (expected one of health, food)"),
    ({"question": "area", "in": []}, "in must be a non-empty list"),
    ({"question": "area", "in": ["health", "health"]}, "the value 'health' is given twice"),
    ({"question": "has_plan", "in": [True]}, "in applies to choice and choices questions"),
    ({"question": "name", "equals": "x"}, "'name' is a text question; a condition depends on"),
    ({"question": "has_plan"}, "must be {question: <an earlier question>, equals: <a value>}"),
    ({"question": "has_plan", "equals": True, "in": [True]}, "must be {question:"),
    ("has_plan", "must be {question:"),
])
def test_bad_conditions(when, fragment):
    raw = base()
    question(raw, "reported_on")["when"] = when
    assert has(problems(raw), "question 8 (reported_on): when: ", fragment)


def test_condition_on_a_scale_or_number_checks_the_range():
    raw = base()
    question(raw, "reported_on")["when"] = {"question": "capacity", "equals": 9}
    assert has(problems(raw), "(reported_on): when: 'capacity' cannot take the value 9")
    question(raw, "reported_on")["when"] = {"question": "year", "equals": 2000}
    assert parse(raw, "x").question("reported_on").when.values == ("2000",)


def test_a_condition_on_itself_is_refused():
    raw = base()
    question(raw, "name")["when"] = {"question": "name", "equals": "x"}
    assert has(problems(raw), "(name): when: a question cannot depend on itself")


def test_a_condition_on_a_broken_question_says_so():
    raw = base()
    question(raw, "has_plan")["label"] = {"en": "Plan?"}
    found = problems(raw)
    assert has(found, "question 1 (has_plan): label: missing languages")
    assert has(found, "question 2 (year): when: question 'has_plan' has problems of its own (see above)")


def test_all_problems_are_reported_at_once():
    raw = base()
    raw["kind"] = "x"
    raw["audience"] = ["XXX"]
    question(raw, "name")["max_length"] = 0
    assert len(problems(raw)) >= 3


# --- files and directories --------------------------------------------------------------------

def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


def test_load_file_names_the_file(tmp_path):
    import yaml

    raw = base()
    raw["key"] = "wrong-name"
    path = write(tmp_path, "my-call.yaml", yaml.safe_dump(raw, allow_unicode=True))
    with pytest.raises(CallDefinitionError) as info:
        load_file(path)
    assert info.value.problems == ["my-call.yaml: key: is 'wrong-name' but the file is named my-call.yaml"]


def test_invalid_yaml_and_duplicate_yaml_keys(tmp_path):
    write(tmp_path, "broken.yaml", "key: [unclosed\n")
    write(tmp_path, "twice.yaml", "key: twice\nkey: again\n")
    write(tmp_path, "binary.yaml", "")
    (tmp_path / "latin.yaml").write_bytes(b"key: caf\xe9\n")
    with pytest.raises(CallDefinitionError) as info:
        load_dir(tmp_path)
    found = info.value.problems
    assert has(found, "broken.yaml: not valid YAML")
    assert has(found, "twice.yaml: not valid YAML", "the key 'key' is given twice", "line 2")
    assert has(found, "binary.yaml: top level: expected a mapping")
    assert has(found, "latin.yaml: not UTF-8 text")


def test_load_dir_collects_every_file_and_refuses_yml(tmp_path):
    import yaml

    good = base()
    good["key"] = "good-call"
    write(tmp_path, "good-call.yaml", yaml.safe_dump(good, allow_unicode=True))
    bad = copy.deepcopy(good)
    bad["key"], bad["kind"] = "bad-call", "survey"
    write(tmp_path, "bad-call.yaml", yaml.safe_dump(bad, allow_unicode=True))
    write(tmp_path, "old.yml", "key: old\n")
    with pytest.raises(CallDefinitionError) as info:
        load_dir(tmp_path)
    assert info.value.problems == ["old.yml: call files end in .yaml",
                                   "bad-call.yaml: kind: must be one of questionnaire, submissions"]
    (tmp_path / "bad-call.yaml").unlink()
    (tmp_path / "old.yml").unlink()
    assert list(load_dir(tmp_path)) == ["good-call"]


def test_load_dir_empty_and_missing(tmp_path):
    assert load_dir(tmp_path) == {}
    with pytest.raises(CallDefinitionError) as info:
        load_dir(tmp_path / "nowhere")
    assert info.value.problems == [f"{tmp_path / 'nowhere'}: not a directory"]


# --- the shipped calls ------------------------------------------------------------------------

def test_the_shipped_calls_load():
    calls = load_dir(ROOT / "questionnaires")
    assert set(calls) >= {"escr-needs-2026", "hra-programme-2027"}
    escr = calls["escr-needs-2026"]
    assert escr.kind == "questionnaire" and escr.audience is None
    assert (escr.opens_on, escr.closes_on) == (date(2026, 11, 2), date(2027, 1, 29))
    assert (escr.late_responses, escr.submitted_by, escr.reminders) == ("accept", "focal_point", (14, 7, 2))
    assert {q.type for q in escr.questions} == set(QUESTION_TYPES)
    hra = calls["hra-programme-2027"]
    assert hra.kind == "submissions" and hra.stakeholders and hra.publish_submissions
    assert (hra.late_responses, hra.submitted_by) == ("refuse", "each")
    for call in calls.values():
        assert parse(json.loads(json.dumps(to_raw(call))), "stored") == call


JUNK = [None, True, 0, -5, 1.5, float("nan"), "", "x" * 100_000, [], [None], [[[]]], {}, {"a": {"b": [1]}},
        date(2026, 1, 1), ["FJI"], {"en": "a"}]


def test_junk_anywhere_gives_problems_never_exceptions():
    template = base()
    places = [(template, name) for name in template]
    for q in template["questions"]:
        places += [(q, name) for name in (*q, "options", "columns", "when", "min", "max")]
    for index in range(len(places)):
        for junk in JUNK:
            raw = copy.deepcopy(template)
            # find the same place in the copy
            container, name = places[index]
            target = raw if container is template else next(
                q for q in raw["questions"] if q["key"] == container["key"])
            target[name] = junk
            try:
                parse(raw, "test-call.yaml")
            except CallDefinitionError as exc:
                assert all(p.startswith("test-call.yaml: ") for p in exc.problems)
