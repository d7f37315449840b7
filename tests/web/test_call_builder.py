"""Writing a call with forms: the details and the first question make the call, then each question is
added, changed, moved or removed on its own page; every save is the call's next version."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from tacase.db.models import Call
from tacase.engine import calls as call_defs
from tacase.services.calls import registry
from tests.integration.call_fixtures import make_call
from tests.web.conftest import sign_in
from tests.web.test_admin import text
from tests.web.test_admin import tokens as _tokens

NEW = "/admin/calls/new"
CALL = "/admin/calls/needs-2027"

DETAILS = {
    "key": "needs-2027", "kind": "questionnaire", "title_en": "Needs on economic rights",
    "title_fr": "Besoins en droits économiques", "title_es": "",
    "intro_en": "Tell us what you need.", "intro_fr": "", "intro_es": "",
    "audience": "some", "states": ["FJI", "KEN"],
    "opens_day": "4", "opens_month": "1", "opens_year": "2027",
    "closes_day": "31", "closes_month": "3", "closes_year": "2027",
    "late_responses": "accept", "submitted_by": "focal_point", "reminders": "14, 7",
}
FIRST = {"qtype": "yes_no", "label_en": "Does your State have a plan?", "label_fr": "", "label_es": "",
         "required": "y", "condition": ""}


@pytest.fixture
def admin(client, seeded, api_clock):
    assert sign_in(client, seeded.admin, totp=seeded.admin.code(api_clock)).status_code == 302
    return client


def tokens(client, path: str) -> dict[str, str]:
    """The form's tokens, and the call's version the page was read at when it has one."""
    found = _tokens(client, path)
    page = client.get(path).get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page)
    return {**found, "version": version.group(1)} if version else found


def definition(app, key: str = "needs-2027") -> call_defs.CallDefinition:
    with app.extensions["tacase"]["sessions"]() as s:
        call = registry.get_call(s, key)
        return registry.definition_of(s, call)


def version(app, key: str = "needs-2027") -> int:
    with app.extensions["tacase"]["sessions"]() as s:
        return s.scalar(select(Call.version).where(Call.key == key))


def create(client, **changes):
    return client.post(NEW, data={**tokens(client, NEW), **DETAILS, **FIRST, **changes})


def add(client, **fields):
    path = f"{CALL}/questions/new"
    return client.post(path, data={**tokens(client, path), **fields})


def test_the_details_and_the_first_question_make_the_call(admin, app):
    page = text(admin.get(NEW))
    assert "A call needs at least one question" in page and 'name="opens_day"' in page
    made = create(admin)
    assert made.status_code == 303 and made.headers["Location"].endswith(CALL)
    d = definition(app)
    assert d.version == 1 and d.audience == ("FJI", "KEN") and d.reminders == (14, 7)
    assert d.title.fr == "Besoins en droits économiques" and d.title.es == "Needs on economic rights"
    assert [(q.key, q.type, q.required) for q in d.questions] == [
        ("does_your_state_have_a_plan", "yes_no", True)]
    shown = text(admin.get(CALL))
    assert "The call was saved." in shown and "Does your State have a plan?" in shown and "Yes or no" in shown
    assert f"{CALL}/edit" in shown  # the text, for those who prefer it
    listed = text(admin.get("/admin/calls"))
    assert CALL in listed


def test_errors_are_shown_beside_their_fields(admin, app):
    bad = create(admin, key="Needs 2027", title_en="", closes_year="2026", options_en="", qtype="",
                 reminders="14, x")
    page = text(bad)
    assert bad.status_code == 422 and "<title>Error:" in page
    for field in ("key", "title_en", "closes_day", "reminders", "qtype"):
        assert f'id="{field}-error"' in page, field
    assert 'href="#qtype-0"' in page and 'href="#title_en"' in page
    assert version(app) is None
    # A choice with one option, a scale running backwards: beside the options and the highest point.
    one = create(admin, qtype="choice", options_en="Only one")
    assert one.status_code == 422 and 'id="options_en-error"' in text(one)
    backwards = create(admin, qtype="scale", scale_min="5", scale_max="1")
    assert backwards.status_code == 422 and 'id="scale_max-error"' in text(backwards)
    # A translation of the report without its English text.
    orphan = create(admin, report_fr="Rapport")
    assert orphan.status_code == 422 and 'id="report_en-error"' in text(orphan)
    assert version(app) is None


def test_a_key_taken_is_said_beside_the_key(admin):
    assert create(admin).status_code == 303
    again = create(admin)
    assert again.status_code == 409 and 'id="key-error"' in text(again)
    assert "exists already" in text(again)


QUESTIONS = [
    {"qtype": "text", "label_en": "Name of the ministry"},
    {"qtype": "long_text", "label_en": "What has been done", "help_en": "A few paragraphs.",
     "section_en": "Progress", "section_fr": "Progrès"},
    {"qtype": "choice", "label_en": "Main obstacle", "options_en": "Data\nCapacity\nFunding",
     "options_fr": "Données\nCapacités\nFinancement"},
    {"qtype": "choices", "label_en": "Sectors", "options_en": "Health\nEducation\nLabour",
     "option_values": "health\nedu\nlabour", "max_choices": "2"},
    {"qtype": "number", "label_en": "Budget", "number_min": "0", "number_max": "1000000.5", "unit_en": "USD"},
    {"qtype": "date", "label_en": "Date adopted"},
    {"qtype": "scale", "label_en": "Capacity", "scale_min": "1", "scale_max": "5",
     "min_label_en": "Very limited", "max_label_en": "Very strong"},
    {"qtype": "table", "label_en": "Planned activities",
     "columns-0-label_en": "Activity", "columns-0-ctype": "text",
     "columns-1-label_en": "Year", "columns-1-ctype": "number",
     "columns-2-label_en": "Lead", "columns-2-ctype": "choice", "columns-2-options_en": "Health\nJustice"},
    {"qtype": "document", "label_en": "The plan"},
]


def test_each_kind_of_question_is_added_as_the_next_version(admin, app):
    assert create(admin).status_code == 303
    for n, fields in enumerate(QUESTIONS, 2):
        added = add(admin, **fields)
        assert added.status_code == 303, (fields["qtype"], text(added)[:3000])
        assert version(app) == n
    d = definition(app)
    by_type = {q.type: q for q in d.questions}
    assert set(by_type) == set(call_defs.QUESTION_TYPES)
    assert by_type["long_text"].section.fr == "Progrès"
    assert by_type["long_text"].help.en == "A few paragraphs."
    assert [o.value for o in by_type["choice"].options] == ["data", "capacity", "funding"]
    assert by_type["choice"].options[0].label.fr == "Données"
    assert [o.value for o in by_type["choices"].options] == ["health", "edu", "labour"]
    assert by_type["choices"].max_choices == 2
    assert str(by_type["number"].maximum) == "1000000.5" and by_type["number"].unit.en == "USD"
    assert by_type["scale"].min_label.en == "Very limited"
    table = by_type["table"]
    assert [(c.key, c.type) for c in table.columns] == [("activity", "text"), ("year", "number"),
                                                          ("lead", "choice")]
    page = text(admin.get(CALL))
    for label in ("Short text", "Long text", "One choice", "Several choices", "Number", "Date", "Scale",
                  "Table of rows", "Document"):
        assert label in page, label


def test_a_question_is_changed_in_its_place_and_keeps_its_key(admin, app):
    assert create(admin).status_code == 303
    assert add(admin, **QUESTIONS[2]).status_code == 303
    edit = f"{CALL}/questions/main_obstacle/edit"
    page = text(admin.get(edit))
    assert "Data\nCapacity\nFunding" in page and "data\ncapacity\nfunding" in page
    changed = admin.post(edit, data={**tokens(admin, edit), **QUESTIONS[2], "label_en": "Main difficulty",
                                     "options_en": "Data\nCapacity\nMoney",
                                     "option_values": "data\ncapacity\nfunding", "required": "y"})
    assert changed.status_code == 303
    d = definition(app)
    q = d.question("main_obstacle")
    assert d.version == 3 and q.label.en == "Main difficulty" and q.required
    assert [o.label.en for o in q.options] == ["Data", "Capacity", "Money"]
    assert [o.value for o in q.options] == ["data", "capacity", "funding"]
    assert [x.key for x in d.questions] == ["does_your_state_have_a_plan", "main_obstacle"]


def test_a_condition_names_an_earlier_question_and_the_order_keeps_it(admin, app):
    assert create(admin).status_code == 303
    path = f"{CALL}/questions/new"
    page = text(admin.get(path))
    assert "Only if “Does your State have a plan?” is Yes" in page
    raw_page = admin.get(path).get_data(as_text=True)
    value = re.search(r'<option value="([^"]+)">Only if (?:“|&#8220;)Does your State have a plan',
                      raw_page).group(1)
    condition = html.unescape(value)
    assert add(admin, qtype="number", label_en="Year adopted", condition=condition).status_code == 303
    d = definition(app)
    assert d.question("year_adopted").when == call_defs.Condition("does_your_state_have_a_plan", (True,))
    shown = text(admin.get(CALL))
    assert "asked only if “Does your State have a plan?” is Yes" in shown
    # Moving the dependent question above the one it depends on is refused, and so is removing that one.
    move = f"{CALL}/questions/year_adopted/move"
    refused = admin.post(move, data={**tokens(admin, CALL), "direction": "up"})
    assert refused.status_code == 409 and "“Year adopted” is asked depending" in text(refused)
    remove = f"{CALL}/questions/does_your_state_have_a_plan/remove"
    kept = admin.post(remove, data={**tokens(admin, remove)})
    assert kept.status_code == 409 and "change or remove that question's condition first" in text(kept)
    assert definition(app).version == 2
    # Changing the question another depends on so that its condition no longer fits is refused.
    edit = f"{CALL}/questions/does_your_state_have_a_plan/edit"
    broken = admin.post(edit, data={**tokens(admin, edit), "qtype": "text", "label_en": "A plan?"})
    assert broken.status_code == 422
    assert "Question 2 is asked depending on the answer to this one" in text(broken)
    # A condition that is not among the choices offered is refused beside the field.
    forged = add(admin, qtype="text", label_en="Other", condition='["year_adopted",["1"]]')
    assert forged.status_code == 422 and 'id="condition-error"' in text(forged)


def _move_token(client, key: str, direction: str) -> dict[str, str]:
    page = client.get(CALL).get_data(as_text=True)
    form = ""
    forms = re.findall(rf'action="{CALL}/questions/{key}/move">(.*?)</form>', page, re.S)
    for body in forms:
        if f'value="{direction}"' in body:
            form = body
    return {name: re.search(rf'name="{name}" type="hidden" value="([^"]*)"', form).group(1)
            for name in ("csrf_token", "form_token")}


def test_questions_are_moved_and_removed(admin, app):
    assert create(admin).status_code == 303
    assert add(admin, qtype="text", label_en="Second").status_code == 303
    assert add(admin, qtype="text", label_en="Third").status_code == 303
    move = f"{CALL}/questions/third/move"
    moved = admin.post(move, data={**_move_token(admin, "third", "up"), "direction": "up"})
    assert moved.status_code == 303
    assert [q.key for q in definition(app).questions] == ["does_your_state_have_a_plan", "third", "second"]
    down = f"{CALL}/questions/does_your_state_have_a_plan/move"
    assert admin.post(down, data={**_move_token(admin, "does_your_state_have_a_plan", "down"),
                                  "direction": "down"}).status_code == 303
    assert [q.key for q in definition(app).questions] == ["third", "does_your_state_have_a_plan", "second"]
    remove = f"{CALL}/questions/second/remove"
    confirm = text(admin.get(remove))
    assert "Remove the question “Second”?" in confirm
    assert admin.post(remove, data=tokens(admin, remove)).status_code == 303
    assert [q.key for q in definition(app).questions] == ["third", "does_your_state_have_a_plan"]
    assert version(app) == 6
    assert admin.get(f"{CALL}/questions/second/edit").status_code == 404


def test_the_last_question_is_not_removed(admin, app):
    assert create(admin).status_code == 303
    remove = f"{CALL}/questions/does_your_state_have_a_plan/remove"
    refused = admin.post(remove, data=tokens(admin, remove))
    assert refused.status_code == 409 and "at least one question" in text(refused)
    assert version(app) == 1


def test_the_details_are_changed_as_the_next_version(admin, app):
    assert create(admin).status_code == 303
    path = f"{CALL}/details"
    page = text(admin.get(path))
    assert 'value="Needs on economic rights"' in page and 'name="opens_day" type="text" value="4"' in page
    # The Spanish title equal to the English one is shown empty: saved again, it stays the same call.
    assert 'name="title_es" type="text" value=""' in page
    same = {k: v for k, v in DETAILS.items() if k != "key"}
    unchanged = admin.post(path, data={**tokens(admin, path), **same})
    assert unchanged.status_code == 303 and version(app) == 1
    changed = admin.post(path, data={**tokens(admin, path), **same, "audience": "all", "closes_day": "30",
                                     "kind": "submissions", "stakeholders": "y"})
    assert changed.status_code == 303
    d = definition(app)
    assert d.version == 2 and d.audience is None and d.closes_on.day == 30 and d.stakeholders
    assert d.kind == "submissions" and len(d.questions) == 1
    # A problem the format finds (a reminder before the call opens) is shown beside its field.
    late = admin.post(path, data={**tokens(admin, path), **same, "reminders": "100"})
    assert late.status_code == 422 and 'id="reminders-error"' in text(late)
    assert "A reminder 100 days before the closing date would come before the call opens." in text(late)


def test_a_problem_the_format_finds_in_a_question_is_shown_beside_its_field(admin, app):
    assert create(admin).status_code == 303
    long_option = "x" * 301
    refused = add(admin, qtype="choice", label_en="Obstacle", options_en=f"Data\n{long_option}")
    page = text(refused)
    assert refused.status_code == 422 and 'id="options_en-error"' in page
    assert "Use at most 300 characters." in page
    assert version(app) == 1


def test_a_change_made_since_the_page_was_read_is_not_overwritten(admin, app):
    assert create(admin).status_code == 303
    path = f"{CALL}/details"
    stale = tokens(admin, path)
    assert add(admin, qtype="date", label_en="Date adopted").status_code == 303
    same = {k: v for k, v in DETAILS.items() if k != "key"}
    refused = admin.post(path, data={**stale, **same, "title_en": "Another title"})
    assert refused.status_code == 409 and "now version 2" in text(refused)
    assert definition(app).title.en == "Needs on economic rights" and version(app) == 2


def test_a_call_defined_by_a_file_is_read_only(admin, app, api_clock):
    with app.extensions["tacase"]["sessions"]() as s:
        make_call(s, api_clock)
        s.commit()
    page = text(admin.get("/admin/calls/test-needs"))
    assert "it is changed in that file" in page and "Has a plan?" in page
    assert "/questions/has_plan/edit" not in page and "Add a question" not in page
    for path in ("/admin/calls/test-needs/details", "/admin/calls/test-needs/questions/new",
                 "/admin/calls/test-needs/questions/has_plan/edit",
                 "/admin/calls/test-needs/questions/has_plan/remove"):
        assert admin.get(path).status_code == 409, path
    assert admin.get("/admin/calls/no-such-call").status_code == 404


@pytest.mark.parametrize("path", [NEW, "/admin/calls/new/text"])
def test_only_administrators_write_calls_with_forms(client, seeded, path):
    assert client.get(path).status_code == 302
    sign_in(client, seeded.fiji)
    assert client.get(path).status_code == 403
    assert client.post(path, data={}).status_code == 403


def test_every_input_is_labelled_and_the_pages_work_without_script(admin):
    assert create(admin).status_code == 303
    for path in (NEW, CALL, f"{CALL}/details", f"{CALL}/questions/new",
                 f"{CALL}/questions/does_your_state_have_a_plan/edit",
                 f"{CALL}/questions/does_your_state_have_a_plan/remove"):
        page = text(admin.get(path))
        assert "<script" not in page and "style=" not in page, path
        inputs = re.findall(r'<(?:input|select|textarea)\b(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', page)
        for input_id in inputs:
            assert f'for="{input_id}"' in page, (path, input_id)
    # The kinds of answer are named in words, each setting under a heading saying when it applies.
    page = text(admin.get(f"{CALL}/questions/new"))
    for heading in ("For one choice or several choices", "For a number", "For a scale",
                    "For a table of rows"):
        assert heading in page
