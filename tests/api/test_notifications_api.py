"""GET /notifications, POST /notifications/{id}/read and GET/PUT /me/preferences over HTTP."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tacase.db.models import OutboxMessage
from tests.api.conftest import complete_fields

API = "/api/v1"


@pytest.fixture
def people(world):
    return {"fji": world.account("state_focal_point", state="FJI"),
            "fji2": world.account("state_focal_point", state="FJI"),
            "reviewer": world.account("reviewer")}


def submit_case(client, focal) -> str:
    r = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=focal.auth)
    assert r.status_code == 201, r.get_json()
    reference = r.get_json()["reference"]
    r = client.post(f"{API}/cases/{reference}/transitions", json={"trigger": "submit"}, headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    return reference


def test_each_user_sees_and_marks_only_their_own(client, people, api_clock):
    reference = submit_case(client, people["fji"])
    r = client.get(f"{API}/notifications", headers=people["fji2"].auth)
    assert r.status_code == 200
    [item] = r.get_json()["items"]
    assert r.get_json()["next_before"] is None
    assert item["case"] == reference and item["kind"] == "status_change" and item["read_at"] is None
    assert item["title"] == f"{reference}: Under review" and f"/cases/{reference}" in item["body"]
    for other in ("fji", "reviewer"):
        assert client.get(f"{API}/notifications", headers=people[other].auth).get_json()["items"] == []
        r = client.post(f"{API}/notifications/{item['id']}/read", headers=people[other].auth)
        assert r.status_code == 404 and r.get_json()["code"] == "not_found"
    api_clock.advance(minutes=3)
    r = client.post(f"{API}/notifications/{item['id']}/read", headers=people["fji2"].auth)
    assert r.status_code == 200 and r.get_json()["read_at"] is not None
    read_at = r.get_json()["read_at"]
    api_clock.advance(minutes=3)
    again = client.post(f"{API}/notifications/{item['id']}/read", headers=people["fji2"].auth)
    assert again.get_json()["read_at"] == read_at
    unread = client.get(f"{API}/notifications?unread=true", headers=people["fji2"].auth)
    assert unread.get_json()["items"] == []
    assert client.post(f"{API}/notifications/999999/read", headers=people["fji2"].auth).status_code == 404


def test_pages_go_newest_first_by_id(client, people):
    references = [submit_case(client, people["fji"]) for _ in range(3)]
    auth = people["fji2"].auth
    first = client.get(f"{API}/notifications?limit=2", headers=auth).get_json()
    assert [i["case"] for i in first["items"]] == references[::-1][:2]
    rest = client.get(f"{API}/notifications?limit=2&before={first['next_before']}", headers=auth).get_json()
    assert [i["case"] for i in rest["items"]] == references[:1] and rest["next_before"] is None


@pytest.mark.parametrize("query", ["limit=0", "limit=101", "before=0", "before=99999999999",
                                   "unread=perhaps"])
def test_bad_list_arguments_are_422(client, people, query):
    r = client.get(f"{API}/notifications?{query}", headers=people["fji2"].auth)
    assert r.status_code == 422 and r.get_json()["code"] == "validation_failed"


def test_nobody_signed_in_gets_401(client):
    assert client.get(f"{API}/notifications").status_code == 401
    assert client.post(f"{API}/notifications/1/read").status_code == 401
    assert client.get(f"{API}/me/preferences").status_code == 401


def test_the_daily_digest_preference(client, people, world):
    auth = people["fji2"].auth
    assert client.get(f"{API}/me/preferences", headers=auth).get_json() == {"daily_digest": False}
    r = client.put(f"{API}/me/preferences", json={"daily_digest": True}, headers=auth)
    assert r.status_code == 200 and r.get_json() == {"daily_digest": True}
    assert client.get(f"{API}/me/preferences", headers=auth).get_json() == {"daily_digest": True}
    submit_case(client, people["fji"])
    with world.sessions() as s:
        statuses = s.scalars(select(OutboxMessage.status)
                             .where(OutboxMessage.recipient_id == people["fji2"].id)).all()
    assert statuses == ["digest"]
    # The in-app notification does not wait for the digest.
    assert len(client.get(f"{API}/notifications", headers=auth).get_json()["items"]) == 1


@pytest.mark.parametrize("body", [{}, {"daily_digest": "sometimes"}, {"daily_digest": None},
                                  {"daily_digest": True, "locale": "fr"}])
def test_bad_preferences_are_422(client, people, body):
    r = client.put(f"{API}/me/preferences", json=body, headers=people["fji2"].auth)
    assert r.status_code == 422 and r.get_json()["code"] == "validation_failed"
