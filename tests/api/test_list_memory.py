"""What the case lists keep in memory: totals counted once, and where deep pages start, while the audit
log's head stays; found again as soon as any change is recorded; kept apart by who may see what."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from tests.api.conftest import app_on

API = "/api/v1"
FOCAL = "state_focal_point"


@pytest.fixture
def app(fresh_db, api_clock) -> Iterator[Flask]:
    with app_on(fresh_db, api_clock, TACASE_LIST_MEMORY_ENTRIES="100") as app:
        yield app


@pytest.fixture
def people(world):
    return {"fiji": world.account(FOCAL, state="FJI"), "samoa": world.account(FOCAL, state="WSM"),
            "reviewer": world.account("reviewer")}


@pytest.fixture
def sent(app) -> Iterator[list[str]]:
    """The statements the lists send."""
    seen: list[str] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        if "FROM cases" in sql:
            seen.append(sql)

    engine = app.extensions["tacase"]["engine"]
    event.listen(engine, "before_cursor_execute", statement)
    yield seen
    event.remove(engine, "before_cursor_execute", statement)


def counts(sent: list[str]) -> int:
    """How many of the statements sent count cases."""
    return sum("count(" in sql.lower() for sql in sent)


def draft(client, person) -> str:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", "title": "Legal aid"}, headers=person.auth)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["reference"]


def total(client, person, query: str = "") -> int:
    r = client.get(f"{API}/cases?per_page=1{query}", headers=person.auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["total"]


def test_a_total_is_counted_once_until_a_change_is_recorded(client, people, sent):
    fiji = people["fiji"]
    draft(client, fiji)
    assert total(client, fiji) == 1
    assert total(client, fiji) == 1
    assert counts(sent) == 1
    draft(client, fiji)
    assert total(client, fiji) == 2
    assert counts(sent) == 2


def test_totals_are_kept_apart_by_who_may_see_what(client, people):
    draft(client, people["fiji"])
    draft(client, people["fiji"])
    draft(client, people["samoa"])
    assert total(client, people["reviewer"]) == 3
    assert total(client, people["fiji"]) == 2
    assert total(client, people["samoa"]) == 1
    assert total(client, people["reviewer"], "&assignee=me") == 0
    assert total(client, people["reviewer"], "&state=WSM") == 1


def test_being_overdue_depends_on_the_time_and_is_always_counted(client, people, sent):
    draft(client, people["fiji"])
    total(client, people["reviewer"], "&overdue=false")
    total(client, people["reviewer"], "&overdue=false")
    assert counts(sent) == 2



def references(client, person, query: str) -> list[str]:
    r = client.get(f"{API}/cases?{query}", headers=person.auth)
    assert r.status_code == 200, r.get_json()
    return [item["reference"] for item in r.get_json()["items"]]


def walks(sent: list[str]) -> int:
    """Deep pages read by walking: their keys come from a subquery that skips the rows before them."""
    return sum("IN (SELECT" in " ".join(sql.upper().split()) for sql in sent)


@pytest.mark.parametrize("sort", ["-updated_at", "reference", "due_at", "-status"])
def test_a_deep_page_is_walked_to_once_then_found_by_seeking(client, people, sent, world, sort):
    fiji = people["fiji"]
    for _ in range(9):
        draft(client, fiji)
    query = f"per_page=2&sort={sort}"
    everything = references(client, fiji, f"per_page=100&sort={sort}")
    third = references(client, fiji, f"{query}&page=3")
    assert third == everything[4:6]
    sent.clear()
    assert references(client, fiji, f"{query}&page=3") == third
    assert references(client, fiji, f"{query}&page=4") == everything[6:8]  # started where page 3 ended
    assert walks(sent) == 0
    draft(client, fiji)  # a change: what was kept may no longer hold
    everything = references(client, fiji, f"per_page=100&sort={sort}")
    sent.clear()
    assert references(client, fiji, f"{query}&page=3") == everything[4:6]
    assert walks(sent) == 1


def test_a_page_past_the_end_is_empty_and_keeps_nothing_wrong(client, people):
    fiji = people["fiji"]
    for _ in range(3):
        draft(client, fiji)
    assert references(client, fiji, "per_page=2&page=5") == []
    assert references(client, fiji, "per_page=2&page=2") == references(client, fiji, "per_page=100")[2:]
