"""The marks of the questions a submitted response answered (`call_answered`): written at submission
by the State's side and by stakeholders, removed at reopening, and what the results count and list
from them, filtered and in the order the responses were submitted."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, select

from tacase.db.models import CallAnswered
from tacase.reference import requesting_state
from tacase.services.calls import aggregation, responses, stakeholders
from tests import calls_seed as seed
from tests.integration.call_fixtures import COMPLETE, make_call

BASE = "https://tacase.example.org"


def marks(session, response_id):
    return session.scalars(select(CallAnswered).where(CallAnswered.response_id == response_id)).all()


def by_key(result):
    return {q["key"]: q for q in result["questions"]}


def test_submitting_marks_every_question_answered_and_reopening_removes_them(session, clock, make):
    call = make_call(session, clock)
    focal = make.focal("FJI")
    responses.save_draft(session, focal, clock, "test-needs", COMPLETE)
    submitted = responses.submit(session, focal, clock, "test-needs")
    rows = marks(session, submitted.id)
    # Of every type (a yes or no, a number, several choices, a choice, a scale, a long text), each once.
    assert sorted(r.question for r in rows) == sorted(COMPLETE)
    assert {(r.call_id, r.submitted_at, r.region, r.respondent_type) for r in rows} == {
        (call.id, clock(), requesting_state("FJI").region, "state")}

    responses.reopen(session, make.user("reviewer"), clock, submitted.id, reason="The ministry asked")
    assert marks(session, submitted.id) == []
    # Submitted again without the plan: the question no longer asked is not marked, and the time is new.
    responses.save_draft(session, focal, clock, "test-needs", {"has_plan": False, "notes": "  "})
    later = clock.advance(hours=2)
    again = responses.submit(session, focal, clock, "test-needs")
    rows = marks(session, again.id)
    assert sorted(r.question for r in rows) == ["has_plan", "priority", "score", "sectors"]
    assert {r.submitted_at for r in rows} == {later}


def test_a_stakeholders_contribution_is_marked_with_its_type_and_region(session, clock):
    make_call(session, clock, kind="submissions", stakeholders=True, submitted_by="each")
    _response, link = stakeholders.start(
        session, clock, "test-needs", base_url=BASE, name="Ana Civil", organisation="Rights Watch Fiji",
        respondent_type="civil_society", email="ana@example.org", country="FJI")
    token = link.rsplit("/", 1)[1]
    stakeholders.save_draft(session, clock, token, {**COMPLETE, "notes": "We saw progress."})
    done = stakeholders.submit(session, clock, token, consent_to_publish=True)
    rows = marks(session, done.id)
    assert sorted(r.question for r in rows) == sorted(COMPLETE)
    assert {(r.region, r.respondent_type) for r in rows} == {
        (requesting_state("FJI").region, "civil_society")}


@pytest.fixture
def call(session, clock):
    return seed.make_call(session, clock.now)


def submit_at(session, call, at, answers, **kw):
    return seed.submit(session, call, at, answers, **kw)


def test_results_list_answers_in_the_order_they_were_submitted_not_made(session, clock, call):
    start = clock.now
    # Made first, submitted last; a draft and a blank text are neither counted nor listed.
    last = submit_at(session, call, start + dt.timedelta(days=3), {"summary": "Third"}, state="FJI")
    first = submit_at(session, call, start + dt.timedelta(days=1), {"summary": "First"}, state="KEN",
                      respondent_type="ministry", organisation="Ministry of Labour")
    second = submit_at(session, call, start + dt.timedelta(days=2), {"summary": "Second", "details": " "},
                       state="PER")
    submit_at(session, call, start, {"summary": "Draft"}, state="FRA", status="draft")
    summary = by_key(aggregation.results(session, call, seed.definition()))["summary"]
    assert summary["answered"] == 3 and summary["listed"] == 3
    assert [(a["response"], a["value"]) for a in summary["answers"]] == [
        (first.id, "First"), (second.id, "Second"), (last.id, "Third")]
    assert summary["answers"][0] == {"response": first.id, "state": "KEN", "respondent_type": "ministry",
                                     "organisation": "Ministry of Labour", "value": "First"}
    assert by_key(aggregation.results(session, call, seed.definition()))["details"]["answered"] == 0
    # The first of them only, the count of all beside them.
    limited = by_key(aggregation.results(session, call, seed.definition(), listed_limit=2))["summary"]
    assert limited["answered"] == 3 and [a["value"] for a in limited["answers"]] == ["First", "Second"]


def test_results_count_and_list_the_marks_of_the_region_and_type_chosen(session, clock, call):
    fiji = requesting_state("FJI").region
    assert requesting_state("KEN").region != fiji
    seed.submit(session, call, clock.now, {"summary": "Fiji's State", "areas": ["water"],
                                           "staff": [{"ministry": "Health", "people": "3"}]}, state="FJI")
    seed.submit(session, call, clock.advance(hours=1),
                {"summary": "Fiji's ministry", "areas": ["food", "water"]}, state="FJI",
                respondent_type="ministry", organisation="Ministry of Health")
    seed.submit(session, call, clock.advance(hours=1),
                {"summary": "Kenya's ministry", "plan_date": "2025-01-01"}, state="KEN",
                respondent_type="ministry", organisation="Ministry of Health")
    seed.submit(session, call, clock.advance(hours=1), {"summary": "A stakeholder"}, state=None,
                respondent_type="civil_society", organisation="Rights Watch")

    def listed(**filters):
        q = by_key(aggregation.results(session, call, seed.definition(), **filters))
        return {key: (q[key]["answered"], [a["value"] for a in q[key].get("answers", [])])
                for key in ("summary", "areas", "staff", "plan_date")}

    assert listed() == {
        "summary": (4, ["Fiji's State", "Fiji's ministry", "Kenya's ministry", "A stakeholder"]),
        "areas": (2, []), "staff": (1, [[{"ministry": "Health", "people": "3"}]]),
        "plan_date": (1, ["2025-01-01"])}
    assert listed(region=fiji) == {
        "summary": (2, ["Fiji's State", "Fiji's ministry"]), "areas": (2, []),
        "staff": (1, [[{"ministry": "Health", "people": "3"}]]), "plan_date": (0, [])}
    assert listed(respondent_type="ministry") == {
        "summary": (2, ["Fiji's ministry", "Kenya's ministry"]), "areas": (1, []), "staff": (0, []),
        "plan_date": (1, ["2025-01-01"])}
    assert listed(region=fiji, respondent_type="ministry") == {
        "summary": (1, ["Fiji's ministry"]), "areas": (1, []), "staff": (0, []), "plan_date": (0, [])}
    assert listed(respondent_type="civil_society")["summary"] == (1, ["A stakeholder"])


def test_results_read_only_the_listed_responses_answers(session, engine, clock, call):
    for n in range(5):
        seed.submit(session, call, clock.advance(minutes=1), {**seed.FULL, "summary": f"Text {n}"},
                    state="FJI")
    statements: list[str] = []

    def keep(_conn, _cursor, statement, *_args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", keep)
    try:
        result = aggregation.results(session, call, seed.definition(), listed_limit=2)
    finally:
        event.remove(engine, "before_cursor_execute", keep)
    assert by_key(result)["summary"]["answered"] == 5
    assert [a["value"] for a in by_key(result)["summary"]["answers"]] == ["Text 0", "Text 1"]
    reading = [s for s in statements if "call_responses.answers" in s]
    # One statement reads answers, each question's through its first marks, never the whole table.
    assert len(reading) == 1 and "LIMIT" in reading[0] and "call_answered" in reading[0]
