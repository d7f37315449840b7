"""Retrying POST /cases safely with Idempotency-Key, and changing a case only from the version read
(ETag, If-Match, If-None-Match)."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tacase.services import idempotency
from tests.api.conftest import complete_fields

API = "/api/v1"
KEY = "3f1c9a52-6a0e-4c3b-9d2e-7b0f1d2c4e5a"


def create_body(**fields: Any) -> dict[str, Any]:
    return {"type": "upr_fund", **complete_fields(), **fields}


def post_case(client: FlaskClient, account, body: dict[str, Any], key: str | None = KEY):
    headers = dict(account.auth)
    if key is not None:
        headers["Idempotency-Key"] = key
    return client.post(f"{API}/cases", json=body, headers=headers)


def total_cases(client: FlaskClient, account) -> int:
    return client.get(f"{API}/cases", headers=account.auth).get_json()["total"]


@pytest.fixture
def focal(world):
    return world.account("state_focal_point", state="FJI")


# --- Idempotency-Key -------------------------------------------------------------------------------

def test_a_retry_gets_the_first_answer_and_no_second_case(client, focal):
    first = post_case(client, focal, create_body())
    assert first.status_code == 201, first.get_json()
    assert "Idempotent-Replayed" not in first.headers
    retry = post_case(client, focal, create_body())
    assert retry.status_code == 201
    assert retry.get_json() == first.get_json()
    assert retry.headers["Location"] == first.headers["Location"]
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert total_cases(client, focal) == 1


def test_the_same_body_in_another_key_order_is_the_same_request(client, focal):
    body = create_body()
    first = post_case(client, focal, body)
    retry = post_case(client, focal, dict(reversed(list(body.items()))))
    assert retry.status_code == 201
    assert retry.get_json()["reference"] == first.get_json()["reference"]
    assert total_cases(client, focal) == 1


def test_without_a_key_every_post_opens_a_case(client, focal):
    for _ in range(2):
        assert post_case(client, focal, create_body(), key=None).status_code == 201
    assert total_cases(client, focal) == 2


def test_the_same_key_with_another_body_is_refused(client, focal):
    assert post_case(client, focal, create_body()).status_code == 201
    r = post_case(client, focal, create_body(title="Something else entirely"))
    assert r.status_code == 422
    assert r.get_json()["code"] == "idempotency_key_reused"
    assert total_cases(client, focal) == 1


def test_keys_belong_to_their_user(world, client, focal):
    colleague = world.account("state_focal_point", state="FJI")
    first = post_case(client, focal, create_body())
    second = post_case(client, colleague, create_body())
    assert second.status_code == 201
    assert "Idempotent-Replayed" not in second.headers
    assert second.get_json()["reference"] != first.get_json()["reference"]
    assert total_cases(client, focal) == 2


@pytest.mark.parametrize("key", ["", "x" * 256, "tab\there"])
def test_a_malformed_key_is_a_400(client, focal, key):
    r = post_case(client, focal, create_body(), key=key)
    assert r.status_code == 400
    assert r.get_json()["code"] == "bad_idempotency_key"
    assert total_cases(client, focal) == 0


def claim_in_flight(world, account, body: dict[str, Any]) -> None:
    """What a first request does before it answers: take the key, commit, not yet complete."""
    fingerprint = idempotency.request_fingerprint("cases.create", body)
    with world.sessions() as s:
        claim = idempotency.claim(s, account.id, KEY, "cases.create", fingerprint, world.clock())
        s.commit()
    assert claim.outcome == idempotency.NEW


def test_a_key_still_in_flight_is_a_409(world, client, focal):
    claim_in_flight(world, focal, create_body())
    r = post_case(client, focal, create_body())
    assert r.status_code == 409
    assert r.get_json()["code"] == "idempotency_key_in_flight"
    assert r.headers["Retry-After"]
    assert total_cases(client, focal) == 0


def test_a_key_whose_request_died_is_taken_over_after_its_lease(world, client, focal):
    claim_in_flight(world, focal, create_body())
    world.clock.advance(seconds=idempotency.LEASE.total_seconds() + 1)
    r = post_case(client, focal, create_body())
    assert r.status_code == 201, r.get_json()
    assert post_case(client, focal, create_body()).headers["Idempotent-Replayed"] == "true"
    assert total_cases(client, focal) == 1


def test_a_failed_request_releases_its_key(client, focal):
    """A refused request changed nothing and stored no answer: the key is free again, so the
    corrected request - another body - goes through under the same key, and is then replayed."""
    bad = post_case(client, focal, create_body(budget={"amount": "-5", "currency": "USD"}))
    assert bad.status_code == 422
    assert "budget" in bad.get_json()["errors"]
    again = post_case(client, focal, create_body(budget={"amount": "-5", "currency": "USD"}))
    assert again.status_code == 422  # not replayed: a failure is not stored
    assert "Idempotent-Replayed" not in again.headers

    fixed = post_case(client, focal, create_body())
    assert fixed.status_code == 201, fixed.get_json()
    replay = post_case(client, focal, create_body())
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert replay.get_json()["reference"] == fixed.get_json()["reference"]
    assert total_cases(client, focal) == 1


def test_a_request_refused_before_the_key_is_read_leaves_it_free(client, focal):
    r = post_case(client, focal, {"title": "no type"})  # refused by the schema
    assert r.status_code == 422
    assert "type" in r.get_json()["errors"]
    assert post_case(client, focal, create_body()).status_code == 201


def test_a_forbidden_request_releases_its_key(world, client):
    reviewer = world.account("reviewer")
    r = post_case(client, reviewer, create_body())
    assert r.status_code == 403
    assert post_case(client, reviewer, create_body()).status_code == 403  # not 409: released


# --- ETags -----------------------------------------------------------------------------------------

@pytest.fixture
def draft(client, focal) -> str:
    r = post_case(client, focal, create_body(), key=None)
    assert r.status_code == 201
    return r.get_json()["reference"]


def etag(client: FlaskClient, account, reference: str) -> str:
    r = client.get(f"{API}/cases/{reference}", headers=account.auth)
    assert r.status_code == 200
    return r.headers["ETag"]


def test_a_case_has_an_etag_that_names_its_version(client, focal):
    created = post_case(client, focal, create_body(), key=None)
    reference = created.get_json()["reference"]
    r = client.get(f"{API}/cases/{reference}", headers=focal.auth)
    assert r.headers["ETag"] == created.headers["ETag"]
    assert r.headers["ETag"] == f'"v{r.get_json()["version"]}"'


def test_a_patch_without_if_match_is_a_428(client, focal, draft):
    r = client.patch(f"{API}/cases/{draft}", json={"title": "New title"}, headers=focal.auth)
    assert r.status_code == 428
    assert r.get_json()["code"] == "precondition_required"
    assert client.get(f"{API}/cases/{draft}", headers=focal.auth).get_json()["title"] != "New title"


def test_a_patch_with_the_current_etag_changes_the_case_and_the_etag(client, focal, draft):
    before = etag(client, focal, draft)
    r = client.patch(f"{API}/cases/{draft}", json={"title": "New title"},
                     headers={**focal.auth, "If-Match": before})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["title"] == "New title"
    after = r.headers["ETag"]
    assert after != before
    assert etag(client, focal, draft) == after


def test_a_patch_with_a_stale_etag_is_a_412(client, focal, draft):
    stale = etag(client, focal, draft)
    r = client.patch(f"{API}/cases/{draft}", json={"title": "First edit"},
                     headers={**focal.auth, "If-Match": stale})
    assert r.status_code == 200
    r = client.patch(f"{API}/cases/{draft}", json={"title": "Second edit"},
                     headers={**focal.auth, "If-Match": stale})
    assert r.status_code == 412
    body = r.get_json()
    assert body["code"] == "precondition_failed"
    assert f'"v{body["current_version"]}"' == etag(client, focal, draft)
    assert client.get(f"{API}/cases/{draft}", headers=focal.auth).get_json()["title"] == "First edit"


@pytest.mark.parametrize("header", ['"v999"', '"garbage"', "W/", '"v1'])
def test_an_if_match_naming_no_version_is_a_412(client, focal, draft, header):
    r = client.patch(f"{API}/cases/{draft}", json={"title": "x"}, headers={**focal.auth, "If-Match": header})
    assert r.status_code == 412


def test_a_transition_with_a_stale_etag_is_a_412(client, focal, draft):
    stale = etag(client, focal, draft)
    client.patch(f"{API}/cases/{draft}", json={"title": "Edited"}, headers={**focal.auth, "If-Match": stale})
    r = client.post(f"{API}/cases/{draft}/transitions", json={"trigger": "submit"},
                    headers={**focal.auth, "If-Match": stale})
    assert r.status_code == 412
    assert r.get_json()["current_status"] == "draft"
    r = client.post(f"{API}/cases/{draft}/transitions", json={"trigger": "submit"},
                    headers={**focal.auth, "If-Match": etag(client, focal, draft)})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["status"] == "submitted"
    assert r.headers["ETag"] == etag(client, focal, draft)


def test_if_none_match_with_the_current_etag_is_a_304(client, focal, draft):
    current = etag(client, focal, draft)
    r = client.get(f"{API}/cases/{draft}", headers={**focal.auth, "If-None-Match": current})
    assert r.status_code == 304
    assert r.data == b""
    assert r.headers["ETag"] == current
    r = client.patch(f"{API}/cases/{draft}", json={"title": "Edited"},
                     headers={**focal.auth, "If-Match": current})
    assert r.status_code == 200
    r = client.get(f"{API}/cases/{draft}", headers={**focal.auth, "If-None-Match": current})
    assert r.status_code == 200
    assert r.get_json()["title"] == "Edited"


def test_if_none_match_does_not_bypass_access_control(world, client, draft):
    other_state = world.account("state_focal_point", state="WSM")
    r = client.get(f"{API}/cases/{draft}", headers={**other_state.auth, "If-None-Match": '"v1"'})
    assert r.status_code == 404


def test_if_match_compares_strongly_and_if_none_match_weakly(client, focal, draft):
    current = etag(client, focal, draft)
    r = client.patch(f"{API}/cases/{draft}", json={"title": "x"},
                     headers={**focal.auth, "If-Match": f"W/{current}"})
    assert r.status_code == 412
    r = client.get(f"{API}/cases/{draft}", headers={**focal.auth, "If-None-Match": f"W/{current}"})
    assert r.status_code == 304


def test_a_replayed_answer_carries_the_etag_of_the_first(client, focal):
    first = post_case(client, focal, create_body())
    retry = post_case(client, focal, create_body())
    assert retry.headers["ETag"] == first.headers["ETag"]


def test_a_request_stopped_by_the_worker_timeout_releases_its_key(app, client, focal, monkeypatch):
    """gunicorn stops a worker whose request runs too long by raising SystemExit in it: the key is
    given back on the way out, so the client's retry is served at once, not refused for a lease."""
    from tacase.services import cases as case_service

    opened = case_service.open_draft

    def stopped(*args, **kwargs):
        raise SystemExit(1)

    monkeypatch.setattr(case_service, "open_draft", stopped)
    with pytest.raises(SystemExit):
        post_case(client, focal, create_body())
    monkeypatch.setattr(case_service, "open_draft", opened)
    r = post_case(client, focal, create_body())
    assert r.status_code == 201, r.get_json()
    assert total_cases(client, focal) == 1


def test_the_lease_follows_the_request_timeout(fresh_db, api_clock):
    from tacase.db.models import IdempotencyKey
    from tests.api.conftest import World, make_app

    app = make_app(fresh_db, api_clock, TACASE_REQUEST_TIMEOUT_SECONDS="90")
    try:
        world = World(app, api_clock)
        focal = world.account("state_focal_point", state="FJI")
        leased_until = api_clock() + idempotency.lease_for(90)
        r = app.test_client().post("/api/v1/cases", json=create_body(),
                                   headers={**focal.auth, "Idempotency-Key": KEY})
        assert r.status_code == 201
        with world.sessions() as s:
            row = s.scalar(select(IdempotencyKey).where(IdempotencyKey.key == KEY))
            assert row.locked_until == leased_until
    finally:
        app.extensions["tacase"]["engine"].dispose()
