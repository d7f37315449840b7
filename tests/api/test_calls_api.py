"""The calls API, State side: what each actor sees, drafts, submission, invitations, hostile bodies."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tacase.db.models import CallInvitation, OutboxMessage
from tacase.services.calls import invitations
from tests.api.conftest import PASSWORD
from tests.integration.call_fixtures import COMPLETE, make_call


@pytest.fixture
def call_world(world):
    with world.sessions() as s:
        make_call(s, world.clock)
        s.commit()
    return world


def test_focal_point_answers_through_the_api(call_world, client):
    focal = call_world.account("state_focal_point", state="FJI")
    listed = client.get("/api/v1/calls", headers=focal.auth).get_json()["items"]
    assert [c["key"] for c in listed] == ["test-needs"]
    detail = client.get("/api/v1/calls/test-needs?lang=fr", headers=focal.auth).get_json()
    assert detail["title"] == "Needs on economic rights (fr)" and detail["my_response"] is None
    assert [q["key"] for q in detail["questions"]][:2] == ["has_plan", "plan_year"]
    got = client.get("/api/v1/calls/test-needs/response", headers=focal.auth)
    assert got.status_code == 200 and got.headers["ETag"] == '"v1"'
    bad = client.put("/api/v1/calls/test-needs/response", headers=focal.auth,
                     json={"answers": {"score": "eleven", "unknown": 1}})
    assert bad.status_code == 422 and set(bad.get_json()["errors"]) == {"score", "unknown"}
    saved = client.put("/api/v1/calls/test-needs/response", headers={**focal.auth, "If-Match": '"v1"'},
                       json={"answers": COMPLETE})
    assert saved.status_code == 200, saved.get_json()
    stale = client.put("/api/v1/calls/test-needs/response", headers={**focal.auth, "If-Match": '"v1"'},
                       json={"answers": {"notes": "x"}})
    assert stale.status_code == 412
    done = client.post("/api/v1/calls/test-needs/response/submit", headers=focal.auth,
                       json={"consent_to_publish": True})
    assert done.status_code == 200 and done.get_json()["status"] == "submitted"
    again = client.post("/api/v1/calls/test-needs/response/submit", headers=focal.auth, json={})
    assert again.status_code == 409


@pytest.mark.parametrize("body", [
    [], "x", {"answers": []}, {"answers": "x"}, {"answers": {"notes": {"a": 1}}},
    {"answers": {"score": "1e999"}}, {"answers": {"sectors": [["health"]]}},
    {"answers": {"has_plan": "\u0000"}},
    {"answers": {"x" * 5000: 1}}])
def test_hostile_bodies_get_a_clear_error(call_world, client, body):
    focal = call_world.account("state_focal_point", state="FJI")
    answer = client.put("/api/v1/calls/test-needs/response", headers=focal.auth, json=body)
    assert answer.status_code in (400, 422), answer.get_json()
    assert answer.get_json()["code"]


def test_who_may_reach_a_call(call_world, client):
    outsider = call_world.account("state_focal_point", state="FRA")
    assert client.get("/api/v1/calls", headers=outsider.auth).get_json()["items"] == []
    for method, path in (("get", "/api/v1/calls/test-needs"), ("get", "/api/v1/calls/test-needs/response"),
                         ("get", "/api/v1/calls/test-needs/invitations")):
        assert getattr(client, method)(path, headers=outsider.auth).status_code == 404
    assert client.get("/api/v1/calls/test-needs").status_code == 401
    assert client.put("/api/v1/calls/test-needs/response", json={"answers": {}}).status_code in (401, 403)
    board = call_world.account("board")
    assert client.get("/api/v1/calls/test-needs", headers=board.auth).status_code == 200
    assert client.get("/api/v1/calls/test-needs/response", headers=board.auth).status_code == 403
    assert client.get("/api/v1/calls/no-such-call", headers=board.auth).status_code == 404


def test_invitations_through_the_api(call_world, client):
    focal = call_world.account("state_focal_point", state="KEN")
    bad = client.post("/api/v1/calls/test-needs/invitations", headers=focal.auth,
                      json={"email": "x", "ministry": "", "respondent_type": "ministry"})
    assert bad.status_code == 422
    made = client.post("/api/v1/calls/test-needs/invitations", headers=focal.auth,
                       json={"email": "health@gov.ke", "ministry": "Ministry of Health",
                             "respondent_type": "ministry"})
    assert made.status_code == 201, made.get_json()
    link = made.get_json()["link"]
    assert "/calls/invitations/" in link
    listed = client.get("/api/v1/calls/test-needs/invitations", headers=focal.auth).get_json()["items"]
    assert [i["status"] for i in listed] == ["pending"]
    with call_world.sessions() as s:
        assert s.scalar(select(OutboxMessage).where(OutboxMessage.to_address == "health@gov.ke"))
        invitations.accept(s, call_world.clock, link.rsplit("/", 1)[1], display_name="Ana", password=PASSWORD)
        s.commit()
        assert s.scalar(select(CallInvitation)).accepted_at is not None
    invitee = client.post("/api/v1/auth/login", json={"email": "health@gov.ke", "password": PASSWORD})
    assert invitee.status_code == 200
    csrf = invitee.get_json().get("csrf_token")
    assert [c["key"] for c in client.get("/api/v1/calls").get_json()["items"]] == ["test-needs"]
    saved = client.put("/api/v1/calls/test-needs/response", json={"answers": COMPLETE},
                       headers={"X-CSRFToken": csrf})
    assert saved.status_code == 200 and saved.get_json()["organisation"] == "Ministry of Health"
    refused = client.post("/api/v1/calls/test-needs/response/submit", json={}, headers={"X-CSRFToken": csrf})
    assert refused.status_code == 403
    denied = client.post("/api/v1/calls/test-needs/invitations", headers={"X-CSRFToken": csrf},
                         json={"email": "a@gov.ke", "ministry": "M", "respondent_type": "ministry"})
    assert denied.status_code == 403
