"""Several clients sending the same request at the same instant over HTTP: one wins, the others
are told so, nothing is done twice and the audit chain stays whole.

PostgreSQL only: SQLite takes a database-wide write lock at the start of every transaction
(BEGIN IMMEDIATE), so requests there are serialised and never really race."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from tacase.services import idempotency
from tests.api.conftest import complete_fields

pytestmark = pytest.mark.postgresql

API = "/api/v1"
THREADS = 8
ROUNDS = 3
KEY = "7d7f2b8e-race"

Result = tuple[int, Any, dict[str, str]]


@pytest.fixture(autouse=True)
def _postgresql_only(fresh_db):
    if fresh_db.startswith("sqlite"):
        pytest.skip("races need PostgreSQL: SQLite serialises every write transaction (BEGIN IMMEDIATE)")


def at_once(app, send: Callable[[int, FlaskClient], Any], count: int = THREADS) -> list[Result]:
    """Call send(i, client) in `count` threads, each with a test client of its own, released
    together by a barrier; returns (status, JSON body, headers) for each."""
    clients = [app.test_client() for _ in range(count)]
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            response = send(i, clients[i])
            results[i] = (response.status_code, response.get_json(), dict(response.headers))
        except Exception as exc:  # asserted on below
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a request hung"
    assert not any(isinstance(r, Exception) for r in results), results
    return results


@pytest.fixture
def focal(world):
    return world.account("state_focal_point", state="FJI")


@pytest.fixture
def board(world):
    return world.account("board")


@pytest.fixture
def reviewers(world):
    return [world.account("reviewer") for _ in range(THREADS)]


def case_body() -> dict[str, Any]:
    return {"type": "upr_fund", **complete_fields()}


def submitted_case(client: FlaskClient, focal) -> tuple[str, str]:
    """A submitted case's reference and ETag."""
    r = client.post(f"{API}/cases", json=case_body(), headers=focal.auth)
    assert r.status_code == 201, r.get_json()
    reference = r.get_json()["reference"]
    r = client.post(f"{API}/cases/{reference}/transitions", json={"trigger": "submit"}, headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    return reference, r.headers["ETag"]


def reviewing(reviewers, reference: str, **headers: str) -> Callable[[int, FlaskClient], Any]:
    def send(i: int, client: FlaskClient):
        return client.post(
            f"{API}/cases/{reference}/transitions", headers={**reviewers[i].auth, **headers},
            json={"trigger": "review", "data": {"assessment": f"review {i}", "recommendation": "approve"}})
    return send


def logged_triggers(client: FlaskClient, board, reference: str) -> list[str]:
    r = client.get(f"{API}/audit", query_string={"case": reference, "action": "case.transition"},
                   headers=board.auth)
    assert r.status_code == 200, r.get_json()
    return [e["data"]["trigger"] for e in r.get_json()["items"]]


def assert_chain_whole(client: FlaskClient, board) -> None:
    r = client.get(f"{API}/audit/verify", headers=board.auth)
    assert r.status_code == 200
    assert r.get_json()["ok"] is True, r.get_json()


def statuses(results: list[Result]) -> list[int]:
    return sorted(status for status, _, _ in results)


# --- the same transition at once ----------------------------------------------------------------------

def test_the_same_transition_fired_at_once_succeeds_once(world, client, focal, board, reviewers):
    for _ in range(ROUNDS):
        reference, _ = submitted_case(client, focal)
        results = at_once(world.app, reviewing(reviewers, reference))
        assert statuses(results) == [200] + [409] * (THREADS - 1), results
        for status, body, _ in results:
            if status == 409:
                assert body["code"] in {"conflict", "transition_not_allowed"}, body
        (winner,) = [body for status, body, _ in results if status == 200]
        assert winner["status"] == "reviewed"
        assert logged_triggers(client, board, reference) == ["submit", "review"]
        case = client.get(f"{API}/cases/{reference}", headers=board.auth).get_json()
        assert case["version"] == winner["version"]
    assert_chain_whole(client, board)


def test_the_same_transition_from_the_same_etag_succeeds_once(world, client, focal, board, reviewers):
    for _ in range(ROUNDS):
        reference, etag = submitted_case(client, focal)
        results = at_once(world.app, reviewing(reviewers, reference, **{"If-Match": etag}))
        codes = statuses(results)
        assert codes.count(200) == 1, results
        assert set(codes) <= {200, 409, 412}, results  # 412 for those who checked after the winner
        assert logged_triggers(client, board, reference) == ["submit", "review"]
    assert_chain_whole(client, board)


def test_submitting_a_draft_from_several_browsers_at_once(world, client, focal, board):
    r = client.post(f"{API}/cases", json=case_body(), headers=focal.auth)
    reference = r.get_json()["reference"]
    results = at_once(world.app, lambda i, c: c.post(
        f"{API}/cases/{reference}/transitions", json={"trigger": "submit"}, headers=focal.auth))
    assert statuses(results) == [200] + [409] * (THREADS - 1), results
    assert logged_triggers(client, board, reference) == ["submit"]
    assert_chain_whole(client, board)


# --- one Idempotency-Key at once ------------------------------------------------------------------------

def creating(focal) -> Callable[[int, FlaskClient], Any]:
    def send(_i: int, client: FlaskClient):
        return client.post(f"{API}/cases", json=case_body(), headers={**focal.auth, "Idempotency-Key": KEY})
    return send


def assert_one_case_created(client: FlaskClient, focal, results: list[Result]) -> None:
    assert set(statuses(results)) <= {201, 409}, results
    created = [(body, headers) for status, body, headers in results if status == 201]
    assert created, results
    fresh = [body for body, headers in created if "Idempotent-Replayed" not in headers]
    assert len(fresh) <= 1, results
    assert len({body["reference"] for body, _ in created}) == 1
    for status, body, _ in results:
        if status == 409:
            assert body["code"] == "idempotency_key_in_flight", body
    assert client.get(f"{API}/cases", headers=focal.auth).get_json()["total"] == 1
    retry = creating(focal)(0, client)
    assert retry.status_code == 201
    assert retry.get_json()["reference"] == created[0][0]["reference"]


def test_one_idempotency_key_sent_at_once_creates_one_case(world, client, focal, board):
    results = at_once(world.app, creating(focal))
    assert_one_case_created(client, focal, results)
    assert sum("Idempotent-Replayed" not in h for s, _, h in results if s == 201) == 1
    assert_chain_whole(client, board)


def test_retries_racing_for_a_key_whose_request_died_create_one_case(world, client, focal, board):
    """The first request took the key and died; once its lease is over, retries sent at the
    same moment must not each take the key over."""
    fingerprint = idempotency.request_fingerprint("cases.create", case_body())
    with world.sessions() as s:
        claim = idempotency.claim(s, focal.id, KEY, "cases.create", fingerprint, world.clock())
        s.commit()
    assert claim.outcome == idempotency.NEW
    world.clock.advance(seconds=idempotency.LEASE.total_seconds() + 1)
    results = at_once(world.app, creating(focal))
    assert_one_case_created(client, focal, results)
    assert_chain_whole(client, board)
