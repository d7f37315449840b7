"""The case lists' totals kept in memory: counted once while the audit log's head stays, counted
again as soon as any change is recorded, and kept apart by who may see what."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import event

from tests.api.conftest import make_app

API = "/api/v1"
FOCAL = "state_focal_point"


@pytest.fixture
def app(fresh_db, api_clock) -> Iterator[Flask]:
    app = make_app(fresh_db, api_clock, TACASE_LIST_TOTALS_KEPT="100")
    yield app
    app.extensions["tacase"]["engine"].dispose()


@pytest.fixture
def people(world):
    return {"fiji": world.account(FOCAL, state="FJI"), "samoa": world.account(FOCAL, state="WSM"),
            "reviewer": world.account("reviewer")}


@pytest.fixture
def counts(app) -> Iterator[list[str]]:
    """The count statements the lists send."""
    seen: list[str] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        if "count(" in sql.lower() and "FROM cases" in sql:
            seen.append(sql)

    engine = app.extensions["tacase"]["engine"]
    event.listen(engine, "before_cursor_execute", statement)
    yield seen
    event.remove(engine, "before_cursor_execute", statement)


def draft(client, person) -> str:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", "title": "Legal aid"}, headers=person.auth)
    assert r.status_code == 201, r.get_json()
    return r.get_json()["reference"]


def total(client, person, query: str = "") -> int:
    r = client.get(f"{API}/cases?per_page=1{query}", headers=person.auth)
    assert r.status_code == 200, r.get_json()
    return r.get_json()["total"]


def test_a_total_is_counted_once_until_a_change_is_recorded(client, people, counts):
    fiji = people["fiji"]
    draft(client, fiji)
    assert total(client, fiji) == 1
    assert total(client, fiji) == 1
    assert len(counts) == 1
    draft(client, fiji)
    assert total(client, fiji) == 2
    assert len(counts) == 2


def test_totals_are_kept_apart_by_who_may_see_what(client, people):
    draft(client, people["fiji"])
    draft(client, people["fiji"])
    draft(client, people["samoa"])
    assert total(client, people["reviewer"]) == 3
    assert total(client, people["fiji"]) == 2
    assert total(client, people["samoa"]) == 1
    assert total(client, people["reviewer"], "&assignee=me") == 0
    assert total(client, people["reviewer"], "&state=WSM") == 1


def test_being_overdue_depends_on_the_time_and_is_always_counted(client, people, counts):
    draft(client, people["fiji"])
    total(client, people["reviewer"], "&overdue=false")
    total(client, people["reviewer"], "&overdue=false")
    assert len(counts) == 2

