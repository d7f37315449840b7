"""Published timeliness from hand-made histories whose medians and percentiles are known.

Histories are written as rows of `case_transitions` with the business seconds of each stay, as the
transition service stores them; one test goes through the services with a moving clock."""

from __future__ import annotations

import datetime as dt

import pytest

from tacase.db.models import CaseTransition
from tacase.engine.calendar import DAY
from tacase.services import timeliness, transitions

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
RECENT = dt.datetime(2026, 6, 10, 10, 0, tzinfo=dt.UTC)
LONG_AGO = dt.datetime(2024, 5, 6, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(make):
    return {"fji": make.focal("FJI"), "reviewer": make.user("reviewer"), "approver": make.user("approver")}


def history(session, make, people, steps, *, wtype="advisory", status=None, start=RECENT):
    """A case whose history is `steps`: (from, to, trigger, working days spent in from)."""
    case = make.draft(people["fji"], wtype)
    at = start
    rows = [("draft", "submitted", "submit", 0.0), *steps]
    for source, dest, trigger, days in rows:
        at += dt.timedelta(days=max(days, 0.01))
        session.add(CaseTransition(case_id=case.id, trigger=trigger, from_state=source, to_state=dest,
                                   actor_id=people["reviewer"].id, at=at, record={},
                                   seconds_in_state=days * DAY))
    case.status = status or rows[-1][1]
    case.submitted_at = start
    case.step_started_at = at
    session.flush()
    return case


def reviewed_in(session, make, people, days, **kw):
    return history(session, make, people, [("submitted", "reviewed", "review", days)], **kw)


def figures(session):
    timeliness.refresh(session, NOW)
    return timeliness.public_figures(session), timeliness.staff_figures(session)


def test_median_and_80th_percentile_of_known_steps(session, make, people):
    for days in (1, 2, 3, 4, 10):
        reviewed_in(session, make, people, days)
    public, _staff = figures(session)
    review = public["by_type"]["advisory"]["rolling"]["review"]
    assert review["completed"] == 5
    assert review["median_days"] == 3.0
    assert review["p80_days"] == 5.2  # rank 3.2 of 0..4: 4 + 0.2 x (10 - 4)
    assert review["within_deadline_share"] == 1.0
    assert public["all"]["rolling"]["review"]["median_days"] == 3.0


def test_an_even_count_takes_the_mean_of_the_middle_two(session, make, people):
    for days in (1, 2, 3, 4, 5, 30):
        reviewed_in(session, make, people, days)
    review = figures(session)[0]["by_type"]["advisory"]["rolling"]["review"]
    assert review["median_days"] == 3.5
    assert review["p80_days"] == 5.0  # rank 4.0 exactly
    assert review["within_deadline_share"] == round(5 / 6, 3)  # 30 > 15 working days


def test_the_states_reply_time_is_left_out_and_the_step_resumes(session, make, people):
    for days in (1, 2, 3, 4):
        reviewed_in(session, make, people, days)
    history(session, make, people, [
        ("submitted", "returned", "return_to_state", 2),
        ("returned", "submitted", "resubmit", 25),  # the State's month: not the office's time
        ("submitted", "reviewed", "review", 3),
    ])
    review = figures(session)[0]["by_type"]["advisory"]["rolling"]["review"]
    assert review["completed"] == 5
    assert review["median_days"] == 3.0  # 1, 2, 3, 4 and 2 + 3 = 5


def test_withdrawals_and_open_steps_are_not_completed_steps(session, make, people):
    for days in (1, 2, 3, 4, 5):
        reviewed_in(session, make, people, days)
    history(session, make, people, [("submitted", "withdrawn", "withdraw", 40)])
    history(session, make, people, [], status="submitted")
    public, staff = figures(session)
    review = public["by_type"]["advisory"]["rolling"]["review"]
    assert review["completed"] == 5 and review["median_days"] == 3.0
    assert staff["open"]["by_type"]["advisory"]["review"]["waiting"] == 1
    assert public["open"]["by_type"]["advisory"]["review"]["waiting"] is None  # fewer than 5


def test_fewer_than_five_shows_no_figure_in_public_but_staff_see_it(session, make, people):
    for days in (2, 4, 6):
        history(session, make, people, [("submitted", "reviewed", "review", 1),
                                         ("reviewed", "approved", "approve", days)])
    public, staff = figures(session)
    decision = public["by_type"]["advisory"]["rolling"]["decision"]
    assert decision == {"completed": None, "fewer_than_5": True, "median_days": None, "p80_days": None,
                        "within_deadline_share": None}
    assert staff["by_type"]["advisory"]["rolling"]["decision"]["median_days"] == 4.0
    assert staff["by_type"]["advisory"]["rolling"][timeliness.END_TO_END]["median_days"] == 5.0
    assert "by_state" not in public and "by_person" not in public
    assert staff["by_state"]["FJI"]["decision"]["completed"] == 3


def test_end_to_end_counts_review_and_decision_without_the_pause(session, make, people):
    for days in (1, 2, 3, 4, 5):
        history(session, make, people, [
            ("submitted", "returned", "return_to_state", 1),
            ("returned", "submitted", "resubmit", 50),
            ("submitted", "reviewed", "review", 1),
            ("reviewed", "rejected", "reject", days),
        ])
    public, _staff = figures(session)
    e2e = public["by_type"]["advisory"]["rolling"][timeliness.END_TO_END]
    assert e2e["completed"] == 5 and e2e["median_days"] == 5.0  # 1 + 1 + 3
    assert public["deadlines"]["advisory"][timeliness.END_TO_END] == 35


def test_years_and_the_rolling_twelve_months(session, make, people):
    for days in (1, 2, 3, 4, 5):
        reviewed_in(session, make, people, days, start=LONG_AGO)
    for days in (6, 7, 8, 9, 10):
        reviewed_in(session, make, people, days)
    public, _staff = figures(session)
    assert public["years"] == [2026, 2024]
    assert public["all"]["2024"]["review"]["median_days"] == 3.0
    assert public["all"]["2026"]["review"]["median_days"] == 8.0
    assert public["all"]["rolling"]["review"]["median_days"] == 8.0
    june = public["monthly"]["2026-06"]["review"]
    assert june["completed"] == 5 and june["within_deadline_share"] == 1.0
    assert "2024-05" not in public["monthly"]


def test_open_steps_by_age_and_overdue(session, make, people):
    for working_days_ago in (1, 2, 6, 7, 20, 40):
        case = history(session, make, people, [], status="submitted")
        case.step_started_at = NOW - dt.timedelta(days=working_days_ago * 7 / 5 + 0.1)
        case.due_at = case.step_started_at + dt.timedelta(days=21)
    session.flush()
    _public, staff = figures(session)
    review = staff["open"]["by_type"]["advisory"]["review"]
    assert review["waiting"] == 6
    assert review["by_age"] == [2, 2, 1, 1]
    assert review["overdue"] == 2  # started more than 21 days ago


def test_through_the_services_the_working_days_are_the_calendars(session, make, people, clock):
    cases = [make.draft(people["fji"], "advisory") for _ in range(5)]
    for case in cases:
        transitions.fire_transition(session, people["fji"], clock, case.reference, "submit")
    clock.advance(days=7)  # Monday to Monday: five working days
    for case in cases:
        transitions.fire_transition(session, people["reviewer"], clock, case.reference, "review",
                                    data={"assessment": "Sound", "recommendation": "approve"})
    timeliness.refresh(session, clock() + dt.timedelta(days=1))
    public = timeliness.public_figures(session)
    review = public["by_type"]["advisory"]["rolling"]["review"]
    assert review["completed"] == 5 and review["median_days"] == 5.0


def test_no_history_gives_empty_figures(session):
    public, staff = figures(session)
    assert public["all"]["rolling"]["review"]["completed"] == 0
    assert staff["by_state"] == {}


def test_a_later_refresh_adds_what_moved_and_counts_nothing_twice(session, make, people):
    from sqlalchemy import func, select

    from tacase.db.models import TimelinessStep

    for days in (1, 2, 3, 4, 5):
        reviewed_in(session, make, people, days)
    moving = history(session, make, people, [], status="submitted", start=NOW - dt.timedelta(days=2))
    timeliness.refresh(session, NOW)
    kept = session.scalar(select(func.count()).select_from(TimelinessStep))
    # Later: one case is reviewed, five new ones go their way; the old steps stay as they were.
    session.add(CaseTransition(case_id=moving.id, trigger="review", from_state="submitted",
                               to_state="reviewed", actor_id=people["reviewer"].id,
                               at=NOW + dt.timedelta(days=1), record={}, seconds_in_state=9 * DAY))
    for days in (6, 7, 8, 9):
        reviewed_in(session, make, people, days, start=NOW + dt.timedelta(days=1))
    later = NOW + dt.timedelta(days=30)
    timeliness.refresh(session, later)
    review = timeliness.public_figures(session)["by_type"]["advisory"]["rolling"]["review"]
    assert review["completed"] == 10 and review["median_days"] == 5.5
    assert session.scalar(select(func.count()).select_from(TimelinessStep)) == kept + 5
    timeliness.refresh(session, later + dt.timedelta(minutes=5))  # nothing moved: nothing changes
    assert session.scalar(select(func.count()).select_from(TimelinessStep)) == kept + 5
