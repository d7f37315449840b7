"""The business calendar over HTTP: closures recorded by administrators, the calendar in force, and
the due dates counted on it. Runs on every configured database (the `world` fixture's)."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.api.conftest import complete_fields

API = "/api/v1"
CLOSURES = f"{API}/calendar/closures"
CLOSED_DAY = "2026-03-10"  # a Tuesday inside the 15 working days that follow 2 March 2026


@pytest.fixture
def admin(world):
    return world.account("admin")


@pytest.fixture
def focal(world):
    return world.account("state_focal_point", state="FJI")


def close(client, admin, day: str = CLOSED_DAY, reason: str = "Staff retreat"):
    return client.post(CLOSURES, json={"day": day, "reason": reason}, headers=admin.auth)


def non_working(client, account, **query) -> dict[str, list[dict]]:
    r = client.get(f"{API}/calendar", query_string=query, headers=account.auth)
    assert r.status_code == 200, r.get_json()
    return {d["date"]: d["reasons"] for d in r.get_json()["non_working_days"]}


def submitted_due_at(client, focal) -> tuple[dt.datetime, str]:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=focal.auth)
    assert r.status_code == 201, r.get_json()
    reference = r.get_json()["reference"]
    r = client.post(f"{API}/cases/{reference}/transitions", json={"trigger": "submit"}, headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    return dt.datetime.fromisoformat(r.get_json()["due_at"]), reference


def errors_of(response, status: int = 422) -> dict[str, list[str]]:
    assert response.status_code == status, response.get_json()
    return response.get_json()["errors"]


def test_a_closure_shows_in_the_calendar_with_its_reason(client, admin, focal):
    r = close(client, admin)
    assert r.status_code == 201, r.get_json()
    closure = r.get_json()
    assert (closure["day"], closure["reason"], closure["station"]) == (CLOSED_DAY, "Staff retreat", "CH-GE")
    assert closure["created_by_id"] == admin.id

    r = client.get(f"{API}/calendar", query_string={"from": "2026-03-09", "to": "2026-03-15"},
                   headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["duty_station"], body["timezone"]) == ("CH-GE", "Europe/Zurich")
    assert body["weekend"] == ["Saturday", "Sunday"]
    assert (body["from"], body["to"]) == ("2026-03-09", "2026-03-15")
    assert "working days" in body["counting"] and "pauses" in body["counting"]
    assert body["non_working_days"] == [
        {"date": CLOSED_DAY, "weekday": "Tuesday",
         "reasons": [{"kind": "closure", "reason": "Staff retreat"}]},
        {"date": "2026-03-14", "weekday": "Saturday", "reasons": [{"kind": "weekend", "name": "Saturday"}]},
        {"date": "2026-03-15", "weekday": "Sunday", "reasons": [{"kind": "weekend", "name": "Sunday"}]},
    ]
    listed = client.get(CLOSURES, headers=focal.auth).get_json()
    assert [c["id"] for c in listed] == [closure["id"]]


def test_by_default_the_calendar_runs_from_today_at_the_duty_station_for_60_days(world, client, focal):
    # 23:30 UTC on 1 March is already 2 March in Geneva.
    world.clock.now = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    r = client.get(f"{API}/calendar", headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    body = r.get_json()
    assert (body["from"], body["to"]) == ("2026-03-02", "2026-05-01")
    days = {d["date"]: d["reasons"] for d in body["non_working_days"]}
    assert days["2026-04-03"] == [{"kind": "holiday", "name": "Good Friday"}]
    assert days["2026-04-06"] == [{"kind": "holiday", "name": "Easter Monday"}]
    assert "2026-03-01" not in days and "2026-05-02" not in days


def test_only_to_in_the_past_gives_the_60_days_up_to_it(client, focal):
    r = client.get(f"{API}/calendar", query_string={"to": "2025-12-31"}, headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    assert (r.get_json()["from"], r.get_json()["to"]) == ("2025-11-01", "2025-12-31")


def test_a_day_that_is_several_things_gives_every_reason(client, focal):
    # Swiss National Day 2026 is a Saturday.
    days = non_working(client, focal, **{"from": "2026-08-01", "to": "2026-08-01"})
    assert days == {"2026-08-01": [{"kind": "weekend", "name": "Saturday"},
                                   {"kind": "holiday", "name": "National Day"}]}


@pytest.mark.parametrize(("query", "field"), [
    ({"from": "2026-02-30"}, "from"),
    ({"to": "yesterday"}, "to"),
])
def test_a_bad_date_is_422_naming_the_field(client, focal, query, field):
    assert field in errors_of(client.get(f"{API}/calendar", query_string=query, headers=focal.auth))


def test_a_range_ending_before_it_starts_is_empty(client, focal):
    query = {"from": "2026-03-10", "to": "2026-03-01"}
    r = client.get(f"{API}/calendar", query_string=query, headers=focal.auth)
    assert r.status_code == 200 and r.get_json()["non_working_days"] == []
    r = client.get(f"{API}/calendar/closures", query_string=query, headers=focal.auth)
    assert r.status_code == 200 and r.get_json() == []


def test_a_range_longer_than_a_year_stops_after_366_days_and_says_where(client, focal):
    r = client.get(f"{API}/calendar", query_string={"from": "2026-01-01", "to": "2030-01-01"},
                   headers=focal.auth)
    assert r.status_code == 200
    assert (r.get_json()["from"], r.get_json()["to"]) == ("2026-01-01", "2027-01-01")


@pytest.mark.parametrize("query", [
    {"from": "2028-01-01", "to": "2028-12-31"},  # a whole leap year: 366 days
    {"from": "0001-01-01"}, {"from": "9999-12-01"}, {"to": "0001-01-01"}, {"from": "9999-12-31"},
])
def test_ranges_at_the_limits_answer(client, focal, query):
    r = client.get(f"{API}/calendar", query_string=query, headers=focal.auth)
    assert r.status_code == 200, r.get_json()


def test_a_step_started_before_a_closure_is_due_a_working_day_later_than_without_it(
        world, client, admin, focal):
    before, first = submitted_due_at(client, focal)
    # 15 working days from Monday 2 March, 10:00 in Geneva: Monday 23 March, 10:00.
    assert before == dt.datetime(2026, 3, 23, 9, 0, tzinfo=dt.UTC)
    assert close(client, admin).status_code == 201

    after, _ = submitted_due_at(client, focal)
    assert after == before + dt.timedelta(days=1)
    # A due date already set is not recomputed.
    r = client.get(f"{API}/cases/{first}", headers=focal.auth)
    assert dt.datetime.fromisoformat(r.get_json()["due_at"]) == before


def test_removing_a_closure_gives_the_day_back(client, admin, focal):
    closure_id = close(client, admin).get_json()["id"]
    assert client.delete(f"{CLOSURES}/{closure_id}", headers=admin.auth).status_code == 204
    assert client.get(CLOSURES, headers=focal.auth).get_json() == []
    assert CLOSED_DAY not in non_working(client, focal, **{"from": CLOSED_DAY, "to": CLOSED_DAY})
    assert client.delete(f"{CLOSURES}/{closure_id}", headers=admin.auth).status_code == 404
    before, _ = submitted_due_at(client, focal)
    assert before == dt.datetime(2026, 3, 23, 9, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize("role", ["state_focal_point", "reviewer", "approver", "board"])
def test_only_administrators_record_or_remove_closures(world, client, admin, role):
    account = world.account(role, state="FJI" if role == "state_focal_point" else None)
    assert close(client, account).status_code == 403
    closure_id = close(client, admin).get_json()["id"]
    assert client.delete(f"{CLOSURES}/{closure_id}", headers=account.auth).status_code == 403
    assert client.get(f"{API}/calendar", headers=account.auth).status_code == 200
    assert [c["id"] for c in client.get(CLOSURES, headers=account.auth).get_json()] == [closure_id]


def test_nobody_signed_in_gets_401(client):
    assert client.get(f"{API}/calendar").status_code == 401
    assert client.get(CLOSURES).status_code == 401


@pytest.mark.parametrize(("day", "reason", "field", "says"), [
    ("2026-03-07", "Retreat", "day", "2026-03-07 is a Saturday, a weekend day already"),
    ("2026-04-03", "Retreat", "day", "2026-04-03 is a public holiday already (Good Friday)"),
    ("2026-03-12", "   ", "reason", "must be text of 1 to 200 characters"),
    ("2026-03-12", "x" * 201, "reason", "Length must be between 1 and 200."),
    ("2026-02-30", "Retreat", "day", "Not a valid date."),
    ("2026-03-12T10:00:00Z", "Retreat", "day", "Not a valid date."),
])
def test_refused_closures_are_422_naming_the_field(client, admin, day, reason, field, says):
    assert errors_of(close(client, admin, day, reason)) == {field: [says]}


def test_a_day_already_closed_is_refused(client, admin):
    assert close(client, admin).status_code == 201
    assert errors_of(close(client, admin, reason="Again")) == {
        "day": [f"{CLOSED_DAY} is already closed (Staff retreat)"]}


def test_missing_fields_are_422(client, admin):
    assert set(errors_of(client.post(CLOSURES, json={}, headers=admin.auth))) == {"day", "reason"}


def test_closures_can_be_listed_by_range(client, admin, focal):
    for day in ("2026-03-10", "2026-03-12", "2026-05-12"):
        assert close(client, admin, day).status_code == 201
    r = client.get(CLOSURES, query_string={"from": "2026-03-11", "to": "2026-04-30"}, headers=focal.auth)
    assert [c["day"] for c in r.get_json()] == ["2026-03-12"]
    r = client.get(CLOSURES, query_string={"from": "2026-03-11"}, headers=focal.auth)
    assert [c["day"] for c in r.get_json()] == ["2026-03-12", "2026-05-12"]
    reversed_range = client.get(CLOSURES, query_string={"from": "2026-03-11", "to": "2026-03-10"},
                                headers=focal.auth)
    assert reversed_range.status_code == 200 and reversed_range.get_json() == []


def test_adding_and_removing_write_audit_events(client, admin):
    closure = close(client, admin).get_json()
    client.delete(f"{CLOSURES}/{closure['id']}", headers=admin.auth)
    r = client.get(f"{API}/audit", query_string={"action": "calendar."}, headers=admin.auth)
    events = r.get_json()["items"]
    expected = {"closure_id": closure["id"], "station": "CH-GE", "day": CLOSED_DAY, "reason": "Staff retreat"}
    assert [(e["action"], e["data"], e["actor"]["id"]) for e in events] == [
        ("calendar.closure_added", expected, admin.id), ("calendar.closure_removed", expected, admin.id)]
    assert client.get(f"{API}/audit/verify", headers=admin.auth).get_json()["ok"] is True


def test_a_refused_closure_writes_nothing(client, admin):
    close(client, admin, "2026-03-07")
    r = client.get(f"{API}/audit", query_string={"action": "calendar."}, headers=admin.auth)
    assert r.get_json()["items"] == []
