"""The IATI activity file's mapping and rules, without a database: from what the public record
shows of a case to an activity, the rules that leave one out, and the XML the schema accepts."""

from __future__ import annotations

import copy
import datetime as dt
from decimal import Decimal

import pytest

from config import ConfigError, load_config
from tacase.engine.definitions import WorkflowError, load_dir, parse
from tacase.exports import iati
from tests.conftest import WORKFLOWS
from tests.iati_schema import assert_valid
from tests.unit.test_definitions import raw_of

PUBLISHER = iati.Publisher("XM-DAC-41313", "Office of the United Nations High Commissioner for Human Rights")
TODAY = dt.date(2026, 3, 2)
UPDATED = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)


def view(**changes) -> dict:
    """What public_record.public_view answers for an evaluated request."""
    base = {
        "reference": "TC-2025-0007", "type": "tc_project", "type_title": "Technical cooperation project",
        "state": {"code": "FJI", "name": "Fiji"}, "status": "evaluated", "status_label": "Completed",
        "submitted_on": dt.date(2025, 1, 10), "closed_on": dt.date(2026, 2, 1),
        "stages": [{"status": "approved", "label": "Approved", "entered_on": dt.date(2025, 2, 3)}],
        "fields": {
            "title": "Access to justice", "objectives": "Fairer courts", "activities": "Two workshops",
            "expected_results": [{"result": "Judges apply the standards", "indicators": ["Judges trained"]},
                                 {"result": "A plan is adopted", "indicators": []}],
            "recipient_institutions": ["Ministry of Justice"], "funding_source": "vftc",
            "planned_start": dt.date(2025, 3, 1), "planned_end": dt.date(2026, 8, 31),
        },
        "records": [
            {"step": "approve", "label": "Approved", "on": dt.date(2025, 2, 3),
             "values": {"approved_amount": {"amount": Decimal("100000.00"), "currency": "USD"}}},
            {"step": "deliver", "label": "Delivered", "on": dt.date(2026, 1, 5),
             "values": {"start_date": dt.date(2025, 3, 10), "end_date": dt.date(2025, 12, 20)}},
            {"step": "evaluate", "label": "Completed", "on": dt.date(2026, 2, 1),
             "values": {"public_summary": "The courts now apply it."}},
        ],
        "documents": [],
    }
    for key, value in changes.items():
        if key in base["fields"] or key in ("channel_reference",):
            base["fields"][key] = value
        else:
            base[key] = value
    return base


def activity(v: dict | None = None, **kwargs) -> iati.Activity:
    args = {"status": "4", "last_updated": UPDATED, "country_iso2": "FJ", **kwargs}
    return iati.activity_of(v or view(), PUBLISHER, **args)


def xml(*activities: iati.Activity) -> bytes:
    return b"".join(iati.document_chunks(activities, PUBLISHER, dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC)))


# --- the mapping --------------------------------------------------------------------------------

def test_the_mapping_reads_like_the_readme():
    a = activity()
    assert a.identifier == "XM-DAC-41313-TC-2025-0007"
    assert (a.title, a.general, a.objectives) == ("Access to justice", "Two workshops", "Fairer courts")
    assert a.funder == iati.FUND_NAMES["vftc"] and a.implementers == ("Ministry of Justice",)
    assert (a.planned_start, a.planned_end) == (dt.date(2025, 3, 1), dt.date(2026, 8, 31))
    assert (a.actual_start, a.actual_end) == (dt.date(2025, 3, 10), dt.date(2025, 12, 20))
    assert a.countries == (("FJ", Decimal(100)),) and a.sectors == (("15160", Decimal(100)),)
    assert a.commitment == iati.Money(Decimal("100000.00"), "USD") and a.committed_on == dt.date(2025, 2, 3)
    assert [r.title for r in a.results] == ["Judges apply the standards", "A plan is adopted"]
    assert a.results[1].indicators == ("A plan is adopted",)  # a result without indicators measures itself
    assert all(r.description == "The courts now apply it." for r in a.results)
    assert a.note_verbale is None  # not public in this view
    assert iati.problems(a, TODAY) == []


def test_the_budget_is_the_approved_amount_in_periods_of_a_year_at_most():
    budgets = activity().budgets
    assert [(b.start, b.end) for b in budgets] == [(dt.date(2025, 3, 1), dt.date(2026, 2, 28)),
                                                  (dt.date(2026, 3, 1), dt.date(2026, 8, 31))]
    assert sum(b.value.amount for b in budgets) == Decimal("100000.00")
    assert all(b.value.currency == "USD" and b.value_date == b.start for b in budgets)
    assert budgets[0].value.amount == Decimal("66484.51")  # 365 of 549 days, rounded down


def test_budget_periods_round_in_the_currencys_own_units():
    periods = iati.budget_periods(dt.date(2024, 2, 29), dt.date(2026, 3, 1), iati.Money(Decimal(1000), "JPY"))
    assert [(p.start, p.end) for p in periods] == [
        (dt.date(2024, 2, 29), dt.date(2025, 2, 27)), (dt.date(2025, 2, 28), dt.date(2026, 2, 27)),
        (dt.date(2026, 2, 28), dt.date(2026, 3, 1))]
    assert all(p.value.amount == p.value.amount.to_integral_value() for p in periods)
    assert sum(p.value.amount for p in periods) == 1000


def test_an_approved_request_without_a_delivery_has_planned_dates_only():
    v = view(status="approved", records=view()["records"][:1])
    a = activity(v, status="2")
    assert (a.actual_start, a.actual_end, a.results[0].description) == (None, None, None)
    assert iati.problems(a, TODAY) == []


def test_no_money_made_public_means_no_budget_and_no_commitment():
    v = view(records=[])
    a = activity(v)
    assert (a.budgets, a.commitment) == ((), None)
    assert iati.problems(a, TODAY) == []


def test_only_the_approval_step_is_the_commitment():
    records = [{"step": "deliver", "label": "Delivered", "on": dt.date(2026, 1, 5),
                "values": {"amount": {"amount": "5.00", "currency": "EUR"}}}]
    assert activity(view(records=records)).commitment is None


def test_the_note_verbale_where_public():
    a = activity(view(channel_reference="NV/2025/118"))
    assert a.note_verbale == "NV/2025/118"
    document = assert_valid(xml(a))
    other = document.find("iati-activity/other-identifier")
    assert other.get("ref") == "NV/2025/118" and other.get("type") == "B9"
    assert other.findtext("owner-org/narrative") == "Fiji"


# --- the rules ------------------------------------------------------------------------------------

def broken(**changes) -> list[str]:
    kwargs = {k: changes.pop(k) for k in ("country_iso2", "status") if k in changes}
    return iati.problems(activity(view(**changes), **kwargs), TODAY)


@pytest.mark.parametrize(("changes", "reason"), [
    ({"reference": "TC/2025&7"}, "identifier contains one of / & | ?"),
    ({"planned_start": None}, None),  # the actual start is enough
    ({"planned_end": dt.date(2025, 1, 1)}, "planned end is before its planned start"),
    ({"title": "  "}, "no public title"),
    ({"objectives": None, "activities": None}, "no public description"),
    ({"funding_source": None, "recipient_institutions": []}, "no participating organisation"),
    ({"country_iso2": None}, "no two-letter ISO 3166-1 code"),
    ({"status": "9"}, "not an IATI activity status"),
])
def test_each_rule_names_what_is_wrong(changes, reason):
    found = broken(**changes)
    if reason is None:
        assert found == []
    else:
        assert any(reason in r for r in found), found


def test_a_start_date_is_needed():
    v = view(planned_start=None)
    v["records"] = v["records"][:1]
    assert any("no start date" in r for r in iati.problems(activity(v), TODAY))


def test_actual_dates_in_order_and_not_in_the_future():
    v = view()
    v["records"][1]["values"] = {"start_date": dt.date(2026, 3, 3), "end_date": dt.date(2026, 3, 1)}
    found = iati.problems(activity(v), TODAY)
    assert any("actual end is before its actual start" in r for r in found)
    assert any("actual start (2026-03-03) is in the future" in r for r in found)


def test_percentages_budget_periods_and_currencies():
    a = activity()
    bad = iati.Activity(**{
        **a.__dict__, "countries": (("FJ", Decimal(60)), ("WS", Decimal(30))),
        "sectors": (("15160", Decimal(100)), ("15150", Decimal(10))),
        "budgets": (iati.Budget(dt.date(2025, 1, 1), dt.date(2026, 1, 1), iati.Money(Decimal(1), "USD"),
                                dt.date(2025, 1, 1)),),
        "commitment": iati.Money(Decimal(1), "")})
    found = iati.problems(bad, TODAY)
    assert any("recipient countries do not add up to 100" in r for r in found)
    assert any("sectors do not add up to 100" in r for r in found)
    assert any("is not a period of one year at most" in r for r in found)
    assert any("a value has no currency" in r for r in found)


# --- the XML ------------------------------------------------------------------------------------

def test_the_file_is_valid_iati_203():
    approved = activity(view(reference="TC-2026-0001", status="approved", records=view()["records"][:1]),
                        status="2")
    document = assert_valid(xml(activity(), approved))
    assert document.get("version") == "2.03" and document.get("generated-datetime") == "2026-03-02T09:00:00Z"
    first = document.find("iati-activity")
    assert first.get("last-updated-datetime") == "2026-03-01T00:00:00Z"
    assert first.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    assert first.findtext("iati-identifier") == "XM-DAC-41313-TC-2025-0007"
    assert first.find("reporting-org").attrib == {"ref": "XM-DAC-41313", "type": "40"}
    assert first.find("activity-status").get("code") == "4"
    assert {d.get("type"): d.get("iso-date") for d in first.findall("activity-date")} == {
        "1": "2025-03-01", "2": "2025-03-10", "3": "2026-08-31", "4": "2025-12-20"}
    assert first.find("recipient-country").attrib == {"code": "FJ", "percentage": "100"}
    assert first.find("sector").attrib == {"vocabulary": "1", "code": "15160", "percentage": "100"}
    assert [p.get("role") for p in first.findall("participating-org")] == ["1", "4"]
    transaction = first.find("transaction")
    assert transaction.find("transaction-type").get("code") == "2"
    assert transaction.find("value").attrib == {"currency": "USD", "value-date": "2025-02-03"}
    assert transaction.findtext("value") == "100000.00"
    assert len(first.findall("budget")) == 2 and len(first.findall("result")) == 2


def test_texts_are_escaped():
    a = activity(view(title='Rights & "duties" <now>'))
    document = assert_valid(xml(a))
    assert document.findtext("iati-activity/title/narrative") == 'Rights & "duties" <now>'


# --- the workflow files and the settings ---------------------------------------------------------

def test_the_workflow_files_put_approved_cases_in_the_file():
    for definition in load_dir(WORKFLOWS).values():
        assert definition.iati_statuses() == {"approved": "2", "delivered": "3", "evaluated": "4"}
        assert definition.iati_entries() == frozenset({"approve"})


@pytest.mark.parametrize("bad", [7, "implementation", True, [2]])
def test_the_loader_refuses_a_status_iati_does_not_have(bad):
    raw = copy.deepcopy(raw_of("advisory"))
    raw["states"]["approved"]["iati_status"] = bad
    with pytest.raises(WorkflowError, match="iati_status must be an IATI activity status code"):
        parse(raw, "advisory.yaml", "advisory")


def test_the_reporting_organisation_is_a_setting():
    config = load_config("testing", environ={})
    assert (config.IATI_ORG_REF, config.IATI_ORG_TYPE) == ("XM-DAC-41313", "40")
    other = load_config("testing", environ={"TACASE_IATI_ORG_REF": "XM-EXAMPLE-1",
                                            "TACASE_IATI_ORG_TYPE": "10"})
    assert (other.IATI_ORG_REF, other.IATI_ORG_TYPE) == ("XM-EXAMPLE-1", "10")
    with pytest.raises(ConfigError, match="TACASE_IATI_ORG_REF"):
        load_config("testing", environ={"TACASE_IATI_ORG_REF": "XM/1"})
