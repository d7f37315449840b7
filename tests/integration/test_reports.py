"""The annual report and the HRA programme report from hand-made histories whose counts are known
(rows of `case_transitions` and `deadline_events` as the services write them), on both databases."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tacase.audit import checkpoints, signing
from tacase.db.models import AuditEvent, CaseTransition, DeadlineEvent
from tacase.engine.calendar import DAY
from tacase.services import annual_report, audit_log, hra_report, timeliness
from tacase.services.actors import SYSTEM

NOW = dt.datetime(2026, 12, 20, 12, 0, tzinfo=dt.UTC)


def at(month: int, day: int, year: int = 2026) -> dt.datetime:
    return dt.datetime(year, month, day, 9, 0, tzinfo=dt.UTC)


def history(session, make, state: str, wtype: str, steps, *, status: str):
    """A case of `state` whose history is `steps`: (trigger, from, to, when, record, working days in from)."""
    case = make.draft(make.focal(state), wtype)
    for trigger, source, dest, when, record, days in steps:
        session.add(CaseTransition(case_id=case.id, trigger=trigger, from_state=source, to_state=dest,
                                   at=when, record=record, seconds_in_state=days * DAY))
        if trigger == "submit" and case.submitted_at is None:
            case.submitted_at = when
    case.status = status
    session.flush()
    return case


def money(amount: str, currency: str = "USD") -> dict:
    return {"amount": amount, "currency": currency}


@pytest.fixture
def year_of_cases(session, make):
    fji = history(session, make, "FJI", "upr_fund", [
        ("submit", "draft", "submitted", at(2, 2), {}, 0),
        ("review", "submitted", "reviewed", at(2, 20), {}, 6),
        ("approve", "reviewed", "approved", at(3, 2), {"approved_amount": money("40000.50")}, 3),
        ("deliver", "approved", "delivered", at(5, 4), {}, 40),
        ("evaluate", "delivered", "evaluated", at(7, 1), {"rating": "satisfactory"}, 20),
    ], status="evaluated")
    ken = history(session, make, "KEN", "advisory", [
        ("submit", "draft", "submitted", at(4, 1), {}, 0),
        ("review", "submitted", "reviewed", at(4, 21), {}, 8),
        ("reject", "reviewed", "rejected", at(5, 4), {"reason": "out of scope"}, 5),
    ], status="rejected")
    history(session, make, "ECU", "tc_project", [
        ("submit", "draft", "submitted", at(12, 1, 2025), {}, 0),
        ("review", "submitted", "reviewed", at(12, 15, 2025), {}, 8),
        ("approve", "reviewed", "approved", at(1, 12), {"approved_amount": money("1000.25", "EUR")}, 9),
    ], status="approved")
    history(session, make, "MNG", "hra_deployment", [
        ("submit", "draft", "submitted", at(6, 1), {}, 0),
        ("withdraw", "submitted", "withdrawn", at(6, 3), {}, 2),
    ], status="withdrawn")
    # Kenya's review was due on 11 April, flagged, escalated, and done on the 21st: 10 days late.
    for kind, when in (("overdue", at(4, 11)), ("escalation", at(4, 14))):
        session.add(DeadlineEvent(case_id=ken.id, step_started_at=at(4, 1), status="submitted", kind=kind,
                                  due_at=at(4, 11), at=when))
    # Fiji's delivery was due on 30 April and recorded on 4 May: 4 days late, never escalated.
    session.add(DeadlineEvent(case_id=fji.id, step_started_at=at(3, 2), status="approved", kind="overdue",
                              due_at=at(4, 30), at=at(4, 30)))
    session.flush()
    audit_log.seal(session)  # the drafts' events join the chain, as at a commit
    timeliness.refresh(session, NOW)


def cells(table, label) -> tuple:
    return next(row[1:] for row in table.rows if row[0] == label)


def test_the_years_requests_by_type_fund_region_and_state(session, year_of_cases):
    report = annual_report.build(session, 2026, NOW)
    t = report.tables
    # Received, approved, rejected, withdrawn, delivered, evaluated.
    assert cells(t["by_type"], "UPR Voluntary Fund grant") == (1, 1, 0, 0, 1, 1)
    assert cells(t["by_type"], "Advisory services") == (1, 0, 1, 0, 0, 0)
    assert cells(t["by_type"], "Technical cooperation project") == (0, 1, 0, 0, 0, 0)  # sent in 2025
    assert cells(t["by_type"], "Total") == (3, 2, 1, 1, 1, 1)
    assert cells(t["by_fund"], "UPR Voluntary Fund") == (3, 2, 1, 1, 1, 1)  # every case says upr_fund
    assert cells(t["by_region"], "Oceania") == (1, 1, 0, 0, 1, 1)
    assert cells(t["by_region"], "Americas") == (0, 1, 0, 0, 0, 0)
    assert cells(t["by_state"], "Kenya") == ("Africa", 1, 0, 1, 0, 0, 0)
    assert cells(t["by_state"], "Total") == ("", 3, 2, 1, 1, 1, 1)


def test_the_amounts_are_added_up_per_currency_and_never_across(session, year_of_cases):
    amounts = annual_report.build(session, 2026, NOW).tables["amounts"]
    # Received, requested, approved, amount approved.
    assert cells(amounts, "USD") == (3, Decimal("150000.00"), 1, Decimal("40000.50"))
    assert cells(amounts, "EUR") == (0, Decimal(0), 1, Decimal("1000.25"))


def test_timeliness_with_the_per_state_figures(session, year_of_cases):
    t = annual_report.build(session, 2026, NOW).tables
    assert cells(t["timeliness_by_state"], "Kenya") == ("Review", 1, 8.0, 8.0, "100%")
    review = cells(t["timeliness"], "Review")
    assert review[:2] == (2, 7.0)  # Fiji 6 and Kenya 8 working days; Ecuador's ended in 2025
    by_type = {(r[0], r[1]): r[2:] for r in t["timeliness_by_type"].rows}
    assert by_type[("Technical cooperation project", "Decision")][:2] == (1, 9.0)


def test_overdue_steps_with_how_long_and_whether_escalated(session, year_of_cases):
    t = annual_report.build(session, 2026, NOW).tables
    assert cells(t["overdue"], "Advisory services") == (1, 1, 10.0, 10.0)
    steps = {row[0][:3]: row for row in t["overdue_steps"].rows}
    assert steps["ADV"][5:] == ("Yes", 10.0, dt.date(2026, 4, 21))
    assert steps["UPR"][5:] == ("No", 4.0, dt.date(2026, 5, 4))


def test_ratings_and_the_audit_chain_head_at_the_end_of_the_year(session, year_of_cases):
    report = annual_report.build(session, 2026, NOW)
    assert cells(report.tables["ratings"], "UPR Voluntary Fund grant") == (0, 1, 0, 0, 1)
    last = session.scalar(select(func.max(AuditEvent.seq)))
    assert report.chain_head is not None and report.chain_head.seq == last
    assert report.chain_head.hash == session.get(AuditEvent, last).hash
    assert report.checkpoint is None  # none was signed
    earlier = annual_report.build(session, 2025, NOW)
    assert earlier.chain_head is None  # every event of these tests is of 2026
    assert cells(earlier.tables["by_type"], "Total") == (1, 0, 0, 0, 0, 0)
    facts = {f.label: f.value for f in report.document().facts}
    assert facts["Its hash (SHA-256)"] == report.chain_head.hash


def test_a_year_without_requests_reports_nothing_rather_than_failing(session, year_of_cases):
    report = annual_report.build(session, 2030, NOW)
    assert all(not table.rows for table in report.tables.values())


# --- the human rights adviser programme ---------------------------------------------------------

SENT = at(3, 2)


def hra(session, make, state, status, *, funding=None, sent=SENT):
    steps = [("submit", "draft", "submitted", sent, {}, 0)]
    if funding is not None or status in ("approved", "delivered", "evaluated"):
        record = {"approved_amount": money("90000.00"), **({"funding_status": funding} if funding else {})}
        steps.append(("approve", "reviewed", "approved", sent + dt.timedelta(days=30), record, 10))
    return history(session, make, state, "hra_deployment", steps, status=status)


@pytest.fixture
def adviser_requests(session, make):
    hra(session, make, "FJI", "delivered", funding="funded")
    hra(session, make, "WSM", "approved", funding="partly_funded")
    hra(session, make, "ECU", "approved", funding="unfunded")
    hra(session, make, "KEN", "rejected")
    hra(session, make, "PSE", "submitted")
    hra(session, make, "MNG", "withdrawn")
    hra(session, make, "KEN", "approved", funding="funded", sent=at(6, 1, 2025))
    history(session, make, "FJI", "upr_fund", [("submit", "draft", "submitted", at(3, 2), {}, 0)],
            status="submitted")  # not an adviser


def test_adviser_requests_where_they_stand_and_their_funding(session, adviser_requests):
    report = hra_report.build(session, 2026, NOW)
    t = report.tables
    # Received, pending, approved, of which deployed, rejected, withdrawn.
    assert cells(t["by_region"], "Oceania") == (2, 0, 2, 1, 0, 0)
    assert cells(t["by_region"], "Total") == (6, 1, 3, 1, 1, 1)
    assert cells(t["by_country"], "Samoa") == ("Oceania", 1, 0, 1, 0, 0, 0)
    # Approved; funded, partly funded, unfunded, not recorded.
    assert cells(t["funding"], "Oceania") == (2, 1, 1, 0, 0)
    assert cells(t["funding"], "Americas") == (1, 0, 0, 1, 0)
    positions = {row[1]: row for row in t["positions"].rows}
    assert positions["Fiji"][3:5] == ("Deployed", "Funded") and positions["Samoa"][4] == "Partly funded"
    assert positions["Fiji"][5] == 24 and positions["Fiji"][6] == "USD 90000.00"
    # Received, rejected, withdrawn, approved unfunded, not met, partly funded, pending.
    assert cells(t["not_met"], "Americas") == (1, 0, 0, 1, 1, 0, 0)
    assert cells(t["not_met"], "Africa") == (1, 1, 0, 0, 1, 0, 0)
    assert report.totals["not_met"] == 3


def test_every_year_when_none_is_given(session, adviser_requests):
    report = hra_report.build(session, None, NOW)
    assert report.totals["received"] == 7 and report.totals["approved"] == 4
    assert cells(report.tables["by_country"], "Kenya") == ("Africa", 2, 0, 1, 0, 1, 0)


def test_the_chain_head_of_a_past_year_is_not_the_chains_head(session, year_of_cases):
    last_of_2026 = session.scalar(select(func.max(AuditEvent.seq)))
    audit_log.record(session, SYSTEM, dt.datetime(2027, 1, 2, 9, 0, tzinfo=dt.UTC), "report.test")
    audit_log.seal(session)
    assert annual_report.build(session, 2026, NOW).chain_head.seq == last_of_2026
    assert annual_report.build(session, 2027, NOW).chain_head.seq == last_of_2026 + 1


def test_the_annual_report_prints_the_years_last_signed_checkpoint(session, year_of_cases, tmp_path):
    key = signing.new_key_file(tmp_path / "key.pem")
    checkpoints.sign_head(session, key, dt.datetime(2026, 12, 1, tzinfo=dt.UTC))
    report = annual_report.build(session, 2026, NOW)
    assert report.checkpoint is not None
    assert report.checkpoint.sequence == session.scalar(select(func.max(AuditEvent.seq)))
    facts = {f.label: f.value for f in report.document().facts}
    assert facts["Checkpoint hash"] == report.checkpoint.hash
    assert facts["Signature"] == report.checkpoint.signature
    assert annual_report.build(session, 2025, NOW).checkpoint is None
