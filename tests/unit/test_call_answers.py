"""Answers checked against their questions: hostile values end as errors, never as exceptions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from tacase.engine.call_answers import ANSWERS, asked, clean_answers
from tacase.engine.calls import load_file, parse

from .test_call_definitions import base

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def call():
    raw = base()
    raw["questions"][5]["max_length"] = 20  # name
    raw["questions"][6]["max_length"] = 50  # needs
    raw["questions"][9]["max_rows"] = 3  # activities
    raw["questions"][3]["max_choices"] = 1  # areas
    return parse(raw, "x")


def clean(call, raw, complete=False, **kw):
    return clean_answers(call, raw, complete=complete, **kw)


def ok(call, key, value, **context):
    cleaned, errors = clean(call, {**context, key: value})
    assert errors == {}, errors
    return cleaned[key]


def error(call, key, value, **context):
    cleaned, errors = clean(call, {**context, key: value})
    assert key not in cleaned
    assert list(errors) == [key], errors
    return errors[key][0]


# --- which questions are asked ----------------------------------------------------------------

def test_asked_follows_the_conditions(call):
    keys = [q.key for q in asked(call, {})]
    assert "year" not in keys and "areas" not in keys and "has_plan" in keys
    keys = [q.key for q in asked(call, {"has_plan": True, "area": "food"})]
    assert "year" in keys and "areas" in keys
    assert "year" not in [q.key for q in asked(call, {"has_plan": False})]


def test_asked_does_not_take_one_for_true(call):
    assert "year" not in [q.key for q in asked(call, {"has_plan": 1})]
    assert "year" not in [q.key for q in asked(call, {"has_plan": "yes"})]


def test_asked_chained_conditions():
    raw = base()
    raw["questions"].insert(2, {"key": "plan_choice", "type": "choices", "label": raw["title"],
                                "options": [{"value": "a", "label": raw["title"]},
                                            {"value": "b", "label": raw["title"]}],
                                "when": {"question": "has_plan", "equals": True}})
    raw["questions"].insert(3, {"key": "plan_b", "type": "text", "label": raw["title"],
                                "when": {"question": "plan_choice", "equals": "b"}})
    call = parse(raw, "x")
    assert "plan_b" in [q.key for q in asked(call, {"has_plan": True, "plan_choice": ["a", "b"]})]
    # plan_choice is not asked when has_plan is no, so neither is what depends on it
    assert "plan_b" not in [q.key for q in asked(call, {"has_plan": False, "plan_choice": ["b"]})]
    answers = {"has_plan": False, "plan_choice": ["b"], "plan_b": "x"}
    cleaned, errors = clean_answers(call, answers, complete=True)
    assert errors == {} and cleaned == {"has_plan": False}


def test_asked_with_junk(call):
    assert asked(call, None) == asked(call, {})
    assert "year" not in [q.key for q in asked(call, {"has_plan": [{"x": 1}]})]


def test_scale_and_number_conditions():
    raw = base()
    raw["questions"].append({"key": "low", "type": "text", "label": raw["title"],
                             "when": {"question": "capacity", "equals": 1}})
    raw["questions"].append({"key": "y2000", "type": "text", "label": raw["title"],
                             "when": {"question": "year", "equals": 2000}})
    call = parse(raw, "x")
    cleaned, errors = clean_answers(call, {"capacity": "1", "low": "x", "has_plan": "yes", "year": "2000.0",
                                           "y2000": "y"}, complete=False)
    assert errors == {} and cleaned["low"] == "x" and cleaned["y2000"] == "y"
    assert "low" not in [q.key for q in asked(call, {"capacity": True})]


# --- the whole body ---------------------------------------------------------------------------

@pytest.mark.parametrize("raw", [None, [], "answers", 3, [("a", 1)]])
def test_not_a_mapping(call, raw):
    cleaned, errors = clean(call, raw)
    assert cleaned == {} and list(errors) == [ANSWERS]


def test_unknown_question(call):
    cleaned, errors = clean(call, {"nope": "x", "name": "Ann"})
    assert errors == {"nope": ["This question is not in the call."]} and cleaned == {"name": "Ann"}


def test_many_unknown_questions_are_summed_up(call):
    _cleaned, errors = clean(call, {f"q{i}": 1 for i in range(1000)})
    assert len(errors) == 21 and "1000 answers" in errors[ANSWERS][0]


def test_answers_to_questions_not_asked_are_dropped(call):
    cleaned, errors = clean(call, {"has_plan": False, "year": "not even a number"})
    assert errors == {} and cleaned == {"has_plan": False}


def test_draft_checks_only_what_is_given(call):
    assert clean(call, {}) == ({}, {})
    assert clean(call, {"name": "  ", "area": None, "areas": [], "activities": []}) == ({}, {})


def test_complete_requires_the_required_questions_asked(call):
    _cleaned, errors = clean(call, {}, complete=True)
    assert errors == {"has_plan": ["Answer this question."]}
    raw = base()
    raw["questions"][1]["required"] = True  # year, asked only when has_plan is yes
    raw["questions"][9]["required"] = True  # activities
    strict = parse(raw, "x")
    assert set(clean_answers(strict, {"has_plan": False}, complete=True)[1]) == {"activities"}
    assert set(clean_answers(strict, {"has_plan": True, "activities": [{}, {"activity": " "}]},
                             complete=True)[1]) == {"year", "activities"}


def test_cleaned_answers_are_in_the_call_order_and_json(call):
    answers = {"name": "Ann", "has_plan": "yes", "year": "2001", "capacity": 3}
    cleaned, errors = clean(call, answers, complete=True)
    assert errors == {} and list(cleaned) == ["has_plan", "year", "capacity", "name"]
    json.dumps(cleaned)


def test_messages_are_translated(call):
    fr = {"Enter a number, such as 1500 or 1500.5.": "Saisissez un nombre, par exemple 1500 ou 1500,5.",
          "Enter at most %(max)s characters.": "Saisissez au plus %(max)s caractères."}
    _, errors = clean(call, {"has_plan": True, "year": "x", "name": "y" * 21}, gettext=lambda s: fr.get(s, s))
    assert errors == {"year": ["Saisissez un nombre, par exemple 1500 ou 1500,5."],
                      "name": ["Saisissez au plus 20 caractères."]}


# --- text -------------------------------------------------------------------------------------

def test_text(call):
    assert ok(call, "name", "  Ann Smith \n") == "Ann Smith"
    assert ok(call, "name", "x" * 20) == "x" * 20
    assert ok(call, "needs", "line one\r\nline two\tend") == "line one\nline two\tend"


@pytest.mark.parametrize(("key", "value", "message"), [
    ("name", "x" * 21, "Enter at most 20 characters."),
    ("name", "x" * 10_000_000, "Enter at most 20 characters."),
    ("name", "two\nlines", "Enter the answer on one line."),
    ("name", "nul\x00byte", "Remove the special characters that cannot be shown."),
    ("needs", "bell\x07", "Remove the special characters that cannot be shown."),
    ("name", 42, "Enter the answer as text."),
    ("name", ["a"], "Enter the answer as text."),
    ("name", {"en": "a"}, "Enter the answer as text."),
    ("name", True, "Enter the answer as text."),
    ("needs", "y" * 51, "Enter at most 50 characters."),
])
def test_bad_text(call, key, value, message):
    assert error(call, key, value) == message


# --- choices ----------------------------------------------------------------------------------

def test_choice(call):
    assert ok(call, "area", "food") == "food"


@pytest.mark.parametrize("value", ["water", "Food", 1, True, ["food"], {"food": 1}, "food " * 10000])
def test_bad_choice(call, value):
    assert error(call, "area", value) == "Choose one of the options."


def test_choices(call):
    raw = base()
    del raw["questions"][3]["when"]
    many = parse(raw, "x")
    assert ok(many, "areas", ["food", "health", "food"]) == ["health", "food"]
    assert ok(many, "areas", "food") == ["food"]
    assert ok(many, "areas", ["", "food"]) == ["food"]


@pytest.mark.parametrize(("value", "message"), [
    (["water"], "Choose from the options."),
    ([1], "Choose from the options."),
    ([["food"]], "Choose from the options."),
    ({"food": True}, "Choose from the options."),
    (["food"] * 100, "Choose from the options."),
    (42, "Choose from the options."),
    (["food", "health"], "Choose at most 1 of the options."),
])
def test_bad_choices(call, value, message):
    assert error(call, "areas", value, area="food") == message


# --- numbers ----------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (2000, "2000"), ("2000", "2000"), (" 2,001 ", "2001"), ("2 002", "2002"), (2003.0, "2003"),
    ("2004.50", "2004.5"), ("+2005", "2005"), ("1990", "1990"), ("2030.000", "2030"),
])
def test_number(call, value, expected):
    assert ok(call, "year", value, has_plan=True) == expected


@pytest.mark.parametrize(("value", "message"), [
    ("nan", "Enter a number, such as 1500 or 1500.5."),
    ("NaN", "Enter a number, such as 1500 or 1500.5."),
    ("Infinity", "Enter a number, such as 1500 or 1500.5."),
    (math.nan, "Enter a number, such as 1500 or 1500.5."),
    (math.inf, "Enter a number, such as 1500 or 1500.5."),
    ("1e3", "Enter a number, such as 1500 or 1500.5."),
    ("2,00", "Enter a number, such as 1500 or 1500.5."),
    ("0x10", "Enter a number, such as 1500 or 1500.5."),
    ("", None),
    (True, "Enter a number, such as 1500 or 1500.5."),
    ([2000], "Enter a number, such as 1500 or 1500.5."),
    ({"v": 1}, "Enter a number, such as 1500 or 1500.5."),
    ("9" * 100, "Enter a number, such as 1500 or 1500.5."),
    (10**400, "Enter a smaller number."),
    (1e300, "Enter a smaller number."),
    ("1989", "Enter a number of at least 1990."),
    (2030.5, "Enter a number of at most 2030."),
    ("2000.1234567", "Enter at most 6 digits after the decimal point."),
])
def test_bad_number(call, value, message):
    if message is None:
        assert clean(call, {"has_plan": True, "year": value}) == ({"has_plan": True}, {})
    else:
        assert error(call, "year", value, has_plan=True) == message


def test_number_bounds_are_shown_plainly():
    raw = base()
    raw["questions"][1]["min"], raw["questions"][1]["max"] = 0.5, 1000
    call = parse(raw, "x")
    assert error(call, "year", "0.25", has_plan=True) == "Enter a number of at least 0.5."
    assert error(call, "year", "1001", has_plan=True) == "Enter a number of at most 1000."


# --- dates ------------------------------------------------------------------------------------

def test_date(call):
    assert ok(call, "reported_on", "2024-02-29") == "2024-02-29"
    assert ok(call, "reported_on", {"year": "2024", "month": "3", "day": "7"}) == "2024-03-07"
    assert ok(call, "reported_on", {"year": 2024, "month": 3, "day": 7}) == "2024-03-07"


@pytest.mark.parametrize("value", [
    "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "27/03/2026", "2026-3-7", "20260307",
    "2026-03-07T10:00", 20260307, True, ["2026-03-07"], {"year": "2026", "month": "2", "day": "30"},
    {"year": "2026", "month": "x", "day": "1"}, {"year": "2026", "month": "2"},
    {"year": "2026", "month": "2", "day": "1", "hour": "3"}, {"year": True, "month": 1, "day": 1},
    {"year": "99999", "month": "1", "day": "1"}, {"year": 10**30, "month": 1, "day": 1},
])
def test_bad_date(call, value):
    assert error(call, "reported_on", value) == "Enter a real date, such as 2026-03-27."


def test_date_out_of_range(call):
    assert error(call, "reported_on", "1899-12-31") == "Enter a date between 1900 and 2100."
    assert error(call, "reported_on", "0001-01-01") == "Enter a date between 1900 and 2100."


# --- scales and yes/no ------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [(1, 1), ("5", 5), (" 3 ", 3), (4.0, 4)])
def test_scale(call, value, expected):
    assert ok(call, "capacity", value) == expected


@pytest.mark.parametrize("value", [0, 6, "6", 2.5, True, False, "three", math.nan, math.inf, [3], {"v": 3},
                                   "3" * 1000, -1])
def test_bad_scale(call, value):
    assert error(call, "capacity", value) == "Choose a value from 1 to 5."


@pytest.mark.parametrize(("value", "expected"), [(True, True), (False, False), ("yes", True), ("No", False),
                                                 ("true", True), ("false", False)])
def test_yes_no(call, value, expected):
    assert ok(call, "has_plan", value) is expected


@pytest.mark.parametrize("value", [1, 0, "y", "maybe", [True], {"yes": True}, 1.0, "yes" * 1000])
def test_bad_yes_no(call, value):
    assert error(call, "has_plan", value) == "Choose yes or no."


# --- tables -----------------------------------------------------------------------------------

def test_table(call):
    rows = ok(call, "activities", [
        {"activity": " Training of judges ", "year": "2027", "lead": "justice"},
        {"activity": "", "year": "", "lead": ""},
        None,
        {"activity": "Survey", "year": 2028},
    ])
    assert rows == [{"activity": "Training of judges", "year": "2027", "lead": "justice"},
                    {"activity": "Survey", "year": "2028"}]


def test_a_table_of_blank_rows_is_no_answer(call):
    assert clean(call, {"activities": [{}, {"activity": " "}]}) == ({}, {})


@pytest.mark.parametrize(("value", "message"), [
    ("rows", "Enter the table as a list of rows."),
    ({"activity": "x"}, "Enter the table as a list of rows."),
    (["x"], "Row 1 is not a row of the table."),
    ([{"activity": "a"}, [1, 2]], "Row 2 is not a row of the table."),
    ([{"colour": "red"}], "Row 1 has a column that is not in the table."),
    ([{"year": "soon"}], "Row 1, English: Enter a number, such as 1500 or 1500.5."),
    ([{"lead": "finance"}], "Row 1, English: Choose one of the options."),
    ([{"activity": {"nested": ["junk"]}}], "Row 1, English: Enter the answer as text."),
    ([{"activity": "x" * 501}], "Row 1, English: Enter at most 500 characters."),
    ([{"activity": "a"}] * 4, "Enter at most 3 rows."),
    ([{"activity": "a"}] * 100_000, "Enter at most 3 rows."),
])
def test_bad_table(call, value, message):
    assert error(call, "activities", value) == message


def test_table_errors_name_the_column_in_the_language(call):
    raw = base()
    raw["questions"][9]["columns"][1]["label"] = {"en": "Year", "fr": "Année", "es": "Año"}
    call = parse(raw, "x")
    _, errors = clean_answers(call, {"activities": [{"year": "x"}]}, complete=False, language="fr")
    assert errors["activities"][0].startswith("Row 1, Année: ")


# --- documents --------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [(12, 12), ("12", 12)])
def test_document(call, value, expected):
    assert ok(call, "plan", value) == expected


@pytest.mark.parametrize("value", [0, -3, True, 1.5, "abc", 2**64, "9" * 30, [1], {"id": 1}])
def test_bad_document(call, value):
    assert error(call, "plan", value) == "Upload the document again."


# --- the shipped questionnaire ----------------------------------------------------------------

def test_a_complete_answer_to_the_escr_questionnaire():
    call = load_file(ROOT / "questionnaires" / "escr-needs-2026.yaml")
    answers = {
        "contact": "Ms. A. Diallo, Director of Human Rights, a.diallo@example.org",
        "contributing_ministries": ["health", "foreign_affairs", "education"],
        "has_action_plan": "yes", "action_plan_year": "2019", "action_plan_document": 7,
        "last_cescr_report": "2023-06-30", "priority_areas": ["water_sanitation", "health"],
        "main_obstacle": "other", "main_obstacle_other": "Frequent natural disasters",
        "data_capacity": "2", "training_budget": "15,000.50",
        "assistance_needs": "Support to collect data disaggregated by sex and disability.",
        "planned_activities": [{"activity": "Training of labour inspectors", "year": "2027",
                                "lead_ministry": "labour"}],
    }
    cleaned, errors = clean_answers(call, answers, complete=True)
    assert errors == {}
    assert cleaned["contributing_ministries"] == ["foreign_affairs", "health", "education"]
    assert cleaned["training_budget"] == "15000.5" and cleaned["data_capacity"] == 2
    _, errors = clean_answers(call, {"has_action_plan": True, "main_obstacle": "other"}, complete=True)
    assert {"action_plan_year", "main_obstacle_other", "contact"} <= set(errors)


HOSTILE = [None, True, False, 0, -1, 2**70, 1.5, math.nan, math.inf, -math.inf, "", " ", "x" * 200_000,
           "\x00", "2026-02-30", "yes", "NaN", "1e999", [], [None], [[[]]], [{"a": {"b": [1]}}], {},
           {"year": "2026"}, {"x": [1, {"y": None}]}, ["health"] * 5000, [{"activity": "a"}] * 1000]


def test_no_hostile_value_raises():
    call = load_file(ROOT / "questionnaires" / "escr-needs-2026.yaml")
    context = {"has_action_plan": True, "main_obstacle": "other"}
    for q in call.questions:
        for value in HOSTILE:
            for complete in (False, True):
                cleaned, errors = clean_answers(call, {**context, q.key: value}, complete=complete)
                json.dumps(cleaned)
                assert all(isinstance(m, str) for ms in errors.values() for m in ms)
                assert q.key in cleaned or q.key in errors or not (complete and q.required)
