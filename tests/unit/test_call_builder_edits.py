"""The edits of a call written with forms, on plain mappings: keys made from the English wording, texts
left empty in French or Spanish, and the moves and removals a condition forbids."""

from __future__ import annotations

import copy

import pytest

from tacase.engine import calls as call_defs
from tacase.services.calls import builder
from tests.integration.call_fixtures import RAW


def test_a_key_is_made_from_the_english_wording_and_is_unique():
    assert builder.slug("Does your State have a plan?") == "does_your_state_have_a_plan"
    assert builder.slug("Année d'adoption") == "annee_d_adoption"
    assert builder.slug("2027 budget") == "question_2027_budget"
    assert builder.slug("日本") == "question"
    assert builder.slug("Has a plan", {"has_a_plan", "has_a_plan_2"}) == "has_a_plan_3"
    assert len(builder.slug("word " * 40)) <= builder.SLUG_LENGTH


def test_translations_left_empty_take_the_english_text_and_show_empty_again():
    texts = builder.localised(" Title ", "", "Título")
    assert texts == {"en": "Title", "fr": "Title", "es": "Título"}
    assert builder.shown(texts) == {"en": "Title", "fr": "", "es": "Título"}
    assert builder.localised("", "Titre", "") is None


def test_options_are_made_from_lines():
    options = builder.options(["Data", "Capacity", "Data 2"], [], ["Datos", "Capacidad", "Datos 2"], [])
    assert [o["value"] for o in options] == ["data", "capacity", "data_2"]
    assert options[1]["label"] == {"en": "Capacity", "fr": "Capacity", "es": "Capacidad"}
    given = builder.options(["Yes, fully", "No"], [], [], ["full", "none"])
    assert [o["value"] for o in given] == ["full", "none"]


def test_a_question_is_added_changed_moved_and_removed_and_the_call_stays_valid():
    raw = copy.deepcopy(RAW)
    added = builder.add_question(raw, {"key": "extra", "type": "text", "label": builder.localised("Extra")})
    assert builder.question_keys(added)[-1] == "extra" and builder.question_keys(raw)[-1] != "extra"
    changed = builder.replace_question(added, "extra", {"key": "ignored", "type": "date",
                                                        "label": builder.localised("When")})
    assert changed["questions"][-1]["key"] == "extra" and changed["questions"][-1]["type"] == "date"
    moved = builder.move_question(changed, "extra", -1)
    assert builder.question_keys(moved)[-2:] == ["extra", "plan_file"]
    assert builder.move_question(moved, "has_plan", -1) == moved  # the first stays first
    removed = builder.remove_question(moved, "extra")
    assert builder.question_keys(removed) == builder.question_keys(RAW)
    for mapping in (added, changed, moved, removed):
        call_defs.parse(mapping, source="test")


def test_a_condition_forbids_the_moves_and_the_removal_that_would_break_it():
    raw = copy.deepcopy(RAW)  # plan_year is asked only if has_plan is yes
    with pytest.raises(builder.EditRefused) as refused:
        builder.move_question(raw, "plan_year", -1)
    assert refused.value.reason == "order" and refused.value.other == "plan_year"
    with pytest.raises(builder.EditRefused) as refused:
        builder.move_question(raw, "has_plan", 1)
    assert refused.value.reason == "order" and refused.value.other == "plan_year"
    with pytest.raises(builder.EditRefused) as refused:
        builder.remove_question(raw, "has_plan")
    assert refused.value.reason == "depended" and refused.value.other == "plan_year"
    one = {**raw, "questions": raw["questions"][:1]}
    with pytest.raises(builder.EditRefused) as refused:
        builder.remove_question(one, "has_plan")
    assert refused.value.reason == "last"
    with pytest.raises(KeyError):
        builder.remove_question(raw, "no_such_question")


def test_the_details_replace_those_of_the_call_and_keep_its_questions():
    raw = copy.deepcopy(RAW)
    details = {k: raw[k] for k in builder.DETAIL_KEYS if k in raw}
    details.update(audience="all", report=None, closes_on="2026-04-30")
    changed = builder.with_details(raw, details)
    assert changed["audience"] == "all" and "report" not in changed and changed["closes_on"] == "2026-04-30"
    assert changed["questions"] == raw["questions"] and changed["key"] == raw["key"]
    with pytest.raises(ValueError):
        builder.with_details(raw, {"questions": []})


@pytest.mark.parametrize(("problem", "expected"), [
    ("title.fr: must be a non-empty text", (None, "title.fr", "must be a non-empty text")),
    ("question 2 (has_plan): label.en: must be a non-empty text",
     (2, "label.en", "must be a non-empty text")),
    ("question 3 (score): max - min must be from 1 to 10 (the scale runs 5 to 1)",
     (3, "", "max - min must be from 1 to 10 (the scale runs 5 to 1)")),
    ("reminders[2]: 9 days before closes_on is before the call opens on 2026-03-01",
     (None, "reminders[2]", "9 days before closes_on is before the call opens on 2026-03-01")),
])
def test_a_parsers_problem_is_placed(problem, expected):
    assert builder.placed(problem) == expected


def test_a_condition_is_said_in_words():
    from flask import Flask
    from flask_babel import Babel

    from tacase.web.views.admin_call_conditions import condition_words

    app = Flask(__name__)
    Babel(app)
    questions = copy.deepcopy(RAW)["questions"]
    with app.test_request_context():
        assert condition_words({"question": "has_plan", "equals": True}, questions) == "“Has a plan?” is Yes"
        assert condition_words({"question": "sectors", "in": ["health", "labour"]}, questions) == (
            "“Sectors” is Health or Labour")
        assert condition_words({"question": "gone", "equals": 1}, questions) == ""
