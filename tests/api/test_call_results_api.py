"""The office's calls API: follow-up, results, files, reminders, reopening; who may call each, and
bodies that are not what the operation takes."""

from __future__ import annotations

import csv
import io

import pytest

from tests import calls_seed as seed

API = "/api/v1"
BASE = f"{API}/calls/{seed.KEY}"


@pytest.fixture
def call(world, api_clock):
    with world.sessions() as s:
        call = seed.make_call(s, api_clock())
        first = seed.submit(s, call, api_clock(), seed.FULL, state="FJI")
        seed.submit(s, call, api_clock(), {"has_plan": False, "sector": "labour"}, state="KEN",
                    respondent_type="ministry", organisation="Ministry of Labour")
        s.commit()
        return {"first": first.id}


@pytest.fixture
def office(world):
    return world.account("reviewer")


def test_followup_for_the_office(client, office, call):
    r = client.get(f"{BASE}/followup", headers=office.auth)
    assert r.status_code == 200
    body = r.get_json()
    assert body["totals"]["states"] == 4 and body["totals"]["submitted"] == 2
    assert {s["state"] for s in body["states"]} == {"FJI", "KEN", "PER", "FRA"}
    only = client.get(f"{BASE}/followup?status=not_started", headers=office.auth).get_json()
    assert {s["state"] for s in only["states"]} == {"PER", "FRA"}
    assert client.get(f"{BASE}/followup?status=lost", headers=office.auth).status_code == 422
    assert client.get(f"{BASE}/followup?region=Atlantis", headers=office.auth).status_code == 422
    assert client.get(f"{API}/calls/no-such-call/followup", headers=office.auth).status_code == 404


def test_results_for_the_office_and_the_board(client, world, office, call):
    board = world.account("board")
    for who in (office, board):
        r = client.get(f"{BASE}/results?language=fr", headers=who.auth)
        assert r.status_code == 200
        body = r.get_json()
        assert body["responses"] == 2
        sector = next(q for q in body["questions"] if q["key"] == "sector")
        assert sector["label"] == "Main sector (fr)"
        assert [o["count"] for o in sector["options"]] == [1, 0, 1]
    ministries = client.get(f"{BASE}/results?respondent_type=ministry", headers=office.auth).get_json()
    assert ministries["responses"] == 1
    for bad in ("respondent_type=king", "language=de", "region=Atlantis"):
        assert client.get(f"{BASE}/results?{bad}", headers=office.auth).status_code == 422, bad


def test_files(client, office, call):
    r = client.get(f"{BASE}/export.csv", headers=office.auth)
    assert r.status_code == 200 and r.mimetype == "text/csv"
    assert len(list(csv.DictReader(io.StringIO(r.data.decode("utf-8-sig"))))) == 2
    x = client.get(f"{BASE}/export.xlsx", headers=office.auth)
    assert x.status_code == 200 and x.data[:2] == b"PK"


def test_reminders(client, world, office, call):
    world.account("state_focal_point", state="PER")
    r = client.post(f"{BASE}/reminders", json={"states": ["PER", "FJI"]}, headers=office.auth)
    assert r.status_code == 200, r.get_json()
    assert r.get_json() == {"call": seed.KEY, "reminded": ["PER"], "already_submitted": ["FJI"], "mails": 1}


@pytest.mark.parametrize("body", [{}, {"states": []}, {"states": "PER"}, {"states": ["per"]}, {"states": [1]},
                                  {"states": ["XXX"]}, {"states": ["PER"] * 300}, [], "PER", None])
def test_reminders_refuse_bad_bodies(client, office, call, body):
    r = client.post(f"{BASE}/reminders", json=body, headers=office.auth)
    assert r.status_code in (400, 422), r.get_json()
    assert "errors" in r.get_json() or "message" in r.get_json()


def test_who_may_do_what(client, world, call):
    focal = world.account("state_focal_point", state="FJI")
    board = world.account("board")
    for method, path, body in (("get", "followup", None), ("get", "results", None),
                               ("get", "export.csv", None), ("get", "export.xlsx", None),
                               ("post", "reminders", {"states": ["PER"]}),
                               ("post", f"responses/{call['first']}/reopen", {"reason": "asked"})):
        r = getattr(client, method)(f"{BASE}/{path}", json=body, headers=focal.auth)
        assert r.status_code == 403, path
        anonymous = getattr(client, method)(f"{BASE}/{path}", json=body)
        assert anonymous.status_code == 401, path
    assert client.post(f"{BASE}/reminders", json={"states": ["PER"]}, headers=board.auth).status_code == 403
    assert client.get(f"{BASE}/results", headers=board.auth).status_code == 200
    assert client.get(f"{BASE}/followup", headers=board.auth).status_code == 403


def test_reopen(client, office, call):
    pytest.importorskip("tacase.services.calls.responses")
    path = f"{BASE}/responses/{call['first']}/reopen"
    assert client.post(path, json={"reason": ""}, headers=office.auth).status_code == 422
    assert client.post(path, json={}, headers=office.auth).status_code == 422
    r = client.post(path, json={"reason": "The ministry asked to correct it."}, headers=office.auth)
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "draft"
    assert client.post(path, json={"reason": "again"}, headers=office.auth).status_code == 409
    assert client.post(f"{BASE}/responses/999999/reopen", json={"reason": "x"},
                       headers=office.auth).status_code == 404
    assert client.get(f"{BASE}/results", headers=office.auth).get_json()["responses"] == 1
