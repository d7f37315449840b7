"""The office's side of a call: results counted per question, the follow-up by State and region,
reminders (the scheduler's and the office's)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import event, func, select

from tacase.db.models import AuditEvent, CallInvitation, CallParticipant, CallReminder, OutboxMessage, User
from tacase.reference import requesting_state
from tacase.services import audit_log
from tacase.services.actors import SYSTEM
from tacase.services.calls import aggregation, followup, reminders
from tacase.services.errors import Forbidden, NotFound, ValidationFailed
from tests import calls_seed as seed


def by_key(result):
    return {q["key"]: q for q in result["questions"]}


@pytest.fixture
def call(session, clock):
    return seed.make_call(session, clock.now)


@pytest.fixture
def answered(session, clock, call):
    seed.submit(session, call, clock.now, seed.FULL, state="FJI")
    seed.submit(session, call, clock.now, {"has_plan": False, "sector": "education", "areas": ["water"],
                                           "budget": 500, "urgency": 2, "summary": "Teachers"},
                state="KEN", respondent_type="ministry", organisation="Ministry of Education")
    seed.submit(session, call, clock.now, {"has_plan": True, "sector": "health", "budget": "1000",
                                           "urgency": 4}, state="PER", late=True)
    seed.submit(session, call, clock.now, {"has_plan": True, "sector": "labour"}, state="FRA", status="draft")
    return call


def test_results_count_every_option_even_at_zero(session, answered):
    result = aggregation.results(session, answered, seed.definition())
    assert result["responses"] == 3
    q = by_key(result)
    assert [(o["value"], o["count"]) for o in q["has_plan"]["options"]] == [("yes", 2), ("no", 1)]
    assert [(o["value"], o["count"]) for o in q["sector"]["options"]] == [
        ("health", 2), ("education", 1), ("labour", 0)]
    assert q["sector"]["options"][0]["share"] == pytest.approx(2 / 3, abs=1e-3)
    # several choices: each option counted, each response once in `answered`
    assert q["areas"]["answered"] == 2
    assert [(o["value"], o["count"]) for o in q["areas"]["options"]] == [
        ("water", 2), ("housing", 0), ("food", 1)]
    assert [o["count"] for o in q["urgency"]["options"]] == [0, 1, 0, 2, 0]
    assert q["urgency"]["options"][0]["label"] == "1 (Low)"


def test_results_sum_and_spread_numbers(session, answered):
    budget = by_key(aggregation.results(session, answered, seed.definition()))["budget"]
    assert budget["count"] == 3
    assert budget["sum"] == "3000.5" and budget["min"] == "500" and budget["max"] == "1500.5"
    assert budget["median"] == "1000"
    assert sum(b["count"] for b in budget["distribution"]) == 3
    assert budget["unit"] == "USD"


def test_results_list_texts_tables_and_documents(session, clock, answered):
    response = seed.submit(session, answered, clock.now, {"has_plan": False}, state="KEN",
                           respondent_type="parliament")
    seed.attach_document(session, answered, response, clock.now)
    q = by_key(aggregation.results(session, answered, seed.definition(), listed_limit=1))
    assert q["summary"]["answered"] == 2 and q["summary"]["listed"] == 1
    assert q["summary"]["answers"][0]["value"] == "We need nurses."
    assert q["summary"]["answers"][0]["state"] == "FJI"
    assert q["staff"]["answers"][0]["value"] == [{"ministry": "Health", "people": "12"}]
    assert q["plan_date"]["answers"][0]["value"] == "2025-06-01"
    assert [f["filename"] for f in q["report"]["files"]] == ["report.pdf"]
    assert q["report"]["answered"] == 1


def test_results_filtered_by_region_and_respondent_type(session, answered):
    region = requesting_state("KEN").region
    result = aggregation.results(session, answered, seed.definition(), region=region)
    expected = sum(1 for code in ("FJI", "KEN", "PER") if requesting_state(code).region == region)
    assert result["responses"] == expected
    ministries = aggregation.results(session, answered, seed.definition(), respondent_type="ministry")
    assert ministries["responses"] == 1
    assert [o["count"] for o in by_key(ministries)["sector"]["options"]] == [0, 1, 0]
    assert by_key(ministries)["summary"]["answered"] == 1


def test_results_use_a_fixed_number_of_queries(session, engine, answered):
    statements = []

    def count(*_args, **_kwargs):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        aggregation.results(session, answered, seed.definition())
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) <= 7


def test_results_of_a_call_without_answers(session, call):
    result = aggregation.results(session, call, seed.definition())
    q = by_key(result)
    assert result["responses"] == 0
    assert q["budget"]["count"] == 0 and q["budget"]["median"] is None
    assert all(o["share"] == 0 for o in q["sector"]["options"])


# --- follow-up ---------------------------------------------------------------------------------------

def test_followup_one_row_per_state_with_totals(session, make, answered):
    office = make.user("reviewer")
    view = followup.followup(session, office, seed.KEY)
    rows = {r.state: r for r in view.rows}
    assert set(rows) == {"FJI", "KEN", "PER", "FRA"}
    assert rows["PER"].status == "submitted" and rows["PER"].late
    assert rows["FRA"].status == "not_started" and rows["FRA"].responses_draft == 1
    assert view.totals["states"] == 4 and view.totals["submitted"] == 3 and view.totals["late"] == 1
    assert sum(r["states"] for r in view.regions) == 4
    only = followup.followup(session, office, seed.KEY, status="not_started")
    assert [r.state for r in only.rows] == ["FRA"]
    region = requesting_state("FJI").region
    assert {r.state for r in followup.followup(session, office, seed.KEY, region=region).rows} >= {"FJI"}
    assert view.as_json()["states"][0]["state"]


def test_followup_refuses_others_and_bad_filters(session, make, call):
    with pytest.raises(Forbidden):
        followup.followup(session, make.focal("FJI"), seed.KEY)
    with pytest.raises(Forbidden):
        followup.followup(session, make.user("board"), seed.KEY)
    with pytest.raises(NotFound):
        followup.followup(session, make.user("reviewer"), "no-such-call")
    with pytest.raises(ValidationFailed) as exc:
        followup.followup(session, make.user("reviewer"), seed.KEY, status="lost", region="Atlantis")
    assert set(exc.value.errors) == {"status", "region"}


def test_office_reminds_chosen_states(session, make, clock, call):
    office = make.user("reviewer")
    focal = make.focal("FRA")
    make.focal("KEN")
    seed.submit(session, call, clock.now, seed.FULL, state="FJI")
    out = followup.remind(session, office, clock, seed.KEY, ["FRA", "FJI"])
    assert out["reminded"] == ["FRA"] and out["already_submitted"] == ["FJI"] and out["mails"] == 1
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.kind == reminders.KIND))
    assert mail.to_address == focal.name and "Needs questionnaire" in mail.subject
    assert "/calls/needs-results" in mail.body_text
    participant = session.get(CallParticipant, (call.id, "FRA"))
    assert participant.reminders_sent == 1 and participant.last_reminded_at == clock.now
    audit_log.seal(session)
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "call.reminder_sent")) == 1


@pytest.mark.parametrize("codes", [[], "FRA", ["XXX"], [1], ["FRA"] * 300])
def test_office_reminder_refuses_bad_lists(session, make, clock, call, codes):
    with pytest.raises(ValidationFailed):
        followup.remind(session, make.user("reviewer"), clock, seed.KEY, codes)


def test_only_the_office_reminds(session, make, clock, call):
    with pytest.raises(Forbidden):
        followup.remind(session, make.user("board"), clock, seed.KEY, ["FRA"])


# --- the scheduler's reminders -------------------------------------------------------------------------

def test_scheduled_reminders_once_per_point_and_state(session, make, clock, call):
    make.focal("FJI")
    make.focal("KEN")
    seed.submit(session, call, clock.now, seed.FULL, state="PER")
    before = dt.datetime(2026, 3, 16, 22, 0, tzinfo=dt.UTC)  # 23:00 in Geneva on the 16th: 15 days left
    assert reminders.send_due_reminders(session, clock, now=before)["states"] == 0
    at = dt.datetime(2026, 3, 17, 8, 0, tzinfo=dt.UTC)  # the 17th: 14 days before the 31st
    first = reminders.send_due_reminders(session, clock, now=at)
    assert first == {"calls": 1, "states": 3, "mails": 2}
    assert reminders.send_due_reminders(session, clock, now=at + dt.timedelta(hours=1))["states"] == 0
    points = set(session.scalars(select(CallReminder.days_before).where(CallReminder.call_id == call.id)))
    assert points == {14}
    # nine days later, the 7-day and 2-day points have both passed: one reminder, for the nearer
    later = reminders.send_due_reminders(session, clock, now=dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC))
    assert later["states"] == 3
    assert set(session.scalars(select(CallReminder.days_before))) == {14, 2}
    assert session.get(CallParticipant, (call.id, "FJI")).reminders_sent == 2
    # a closed call reminds no one
    closed = dt.datetime(2026, 4, 2, tzinfo=dt.UTC)
    assert reminders.send_due_reminders(session, clock, now=closed)["states"] == 0


def test_scheduled_reminder_reaches_invitees_who_have_not_submitted(session, make, clock, call):
    invitee = User(email="colleague@example.org", display_name="Colleague", state_code="FJI", locale="fr",
                   created_at=clock.now, updated_at=clock.now)
    session.add(invitee)
    session.flush()
    session.add(CallInvitation(call_id=call.id, state_code="FJI", email="colleague@example.org",
                               ministry="Ministry of Health", respondent_type="ministry", token_hash="a" * 64,
                               user_id=invitee.id, created_at=clock.now,
                               expires_at=clock.now + dt.timedelta(days=60)))
    session.flush()
    assert [u.id for u in reminders.recipients(session, call, "FJI")] == [invitee.id]
    participant = session.get(CallParticipant, (call.id, "FJI"))
    reminders.remind_state(session, SYSTEM, call, seed.definition(), participant, clock.now)
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "colleague@example.org"))
    assert "Needs questionnaire (fr)" in mail.subject
    submitted = seed.submit(session, call, clock.now, seed.FULL, state="FJI", respondent_type="ministry")
    submitted.invitation_id = session.scalar(select(CallInvitation.id))
    session.flush()
    assert reminders.recipients(session, call, "FJI") == []


def test_the_reminder_job_commits_its_pass(fresh_sessions, clock):
    from config import load_config
    from tacase.jobs import tasks

    with fresh_sessions() as s:
        call = seed.make_call(s, clock.now)
        call_id = call.id
        s.commit()
    clock.now = dt.datetime(2026, 3, 30, 8, tzinfo=dt.UTC)
    tasks.send_call_reminders(tasks.JobContext(config=load_config("testing"), sessions=fresh_sessions,
                                               clock=clock, sender=None, worker="test"))
    with fresh_sessions() as s:
        sent = select(func.count()).select_from(CallReminder).where(CallReminder.call_id == call_id)
        assert s.scalar(sent) == 4


def test_a_distribution_has_round_edges_and_counts_every_answer(session, clock, call):
    for i, budget in enumerate(("10", "1500.5", "700", "700")):
        seed.submit(session, call, clock.now, {"budget": budget}, state=("FJI", "KEN", "PER", "FRA")[i])
    budget = by_key(aggregation.results(session, call, seed.definition()))["budget"]
    bins = budget["distribution"]
    assert [(b["from"], b["to"], b["count"]) for b in bins] == [
        ("0", "250", 1), ("250", "500", 0), ("500", "750", 2), ("750", "1000", 0), ("1000", "1250", 0),
        ("1250", "1500", 0), ("1500", "1750", 1)]
    assert budget["median"] == "700" and budget["mean"] == "727.63"
