"""Public JSON answers kept in memory: answered from memory while the audit log's head stays, made
again as soon as any change is recorded."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from sqlalchemy import update

from tacase.db.models import Case
from tests.api.conftest import app_on, make_app
from tests.api.test_public_record import consent, draft, fire, public_references

API = "/api/v1"
FOCAL = "state_focal_point"


@pytest.fixture
def app(fresh_db, api_clock) -> Iterator[Flask]:
    with app_on(fresh_db, api_clock, TACASE_PUBLIC_ANSWER_CACHE_MB="1") as app:
        yield app


@pytest.fixture
def people(world):
    return {"fiji": world.account(FOCAL, state="FJI"), "samoa": world.account(FOCAL, state="WSM"),
            "reviewer": world.account("reviewer")}


def published(client, focal) -> str:
    ref = draft(client, focal, consent_to_publish=True)
    fire(client, focal, ref, "submit")
    return ref


def unpublish_by_hand(world, ref: str) -> None:
    """A change made in the database, outside tacase: it writes no audit event."""
    with world.sessions() as s:
        s.execute(update(Case).where(Case.reference == ref).values(consent_to_publish=False))
        s.commit()


def test_an_answer_is_kept_until_the_audit_log_moves(world, client, people):
    ref = published(client, people["fiji"])
    assert ref in public_references(client)
    assert client.get(f"{API}/public/cases/{ref}").status_code == 200
    unpublish_by_hand(world, ref)
    # Kept: nothing recorded in the audit log since the answer was made.
    assert ref in public_references(client)
    assert client.get(f"{API}/public/cases/{ref}").status_code == 200
    # Any recorded change, even to another State's request, makes every answer again.
    published(client, people["samoa"])
    assert ref not in public_references(client)
    assert client.get(f"{API}/public/cases/{ref}").status_code == 404


def test_a_withdrawal_of_consent_shows_at_once(client, people):
    ref = published(client, people["fiji"])
    assert ref in public_references(client) and ref in public_references(client, state="FJI")
    assert consent(client, people["fiji"], ref, False).status_code == 200
    assert ref not in public_references(client) and ref not in public_references(client, state="FJI")
    assert client.get(f"{API}/public/cases/{ref}").status_code == 404


def test_a_step_of_a_published_request_shows_at_once(client, people):
    ref = published(client, people["fiji"])
    assert client.get(f"{API}/public/cases/{ref}").get_json()["status"] == "submitted"
    fire(client, people["reviewer"], ref, "return_to_state", questions="Please detail the budget.")
    assert client.get(f"{API}/public/cases/{ref}").get_json()["status"] == "returned"


def test_each_address_has_its_own_answer(client, people):
    fiji, samoa = published(client, people["fiji"]), published(client, people["samoa"])
    assert public_references(client, state="FJI") == [fiji]
    assert public_references(client, state="WSM") == [samoa]
    assert client.get(f"{API}/public/cases/{fiji}").get_json()["reference"] == fiji
    assert client.get(f"{API}/public/cases/{samoa}").get_json()["reference"] == samoa


def test_a_kept_answer_is_still_conditional_and_public(client, people):
    ref = published(client, people["fiji"])
    first = client.get(f"{API}/public/cases/{ref}")
    second = client.get(f"{API}/public/cases/{ref}")
    assert second.data == first.data and second.headers["ETag"] == first.headers["ETag"]
    assert "public" in second.headers["Cache-Control"] and "Set-Cookie" not in second.headers
    again = client.get(f"{API}/public/cases/{ref}", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_errors_are_never_kept(world, client, people):
    ref = draft(client, people["fiji"], consent_to_publish=True)
    assert client.get(f"{API}/public/cases/{ref}").status_code == 404
    assert client.get(f"{API}/public/cases", query_string={"year": "x"}).status_code == 422
    with world.sessions() as s:  # by hand: no audit event, so only a kept 404 could hide it
        s.execute(update(Case).where(Case.reference == ref).values(submitted_at=world.clock()))
        s.commit()
    assert client.get(f"{API}/public/cases/{ref}").status_code == 200


def test_tests_and_settings_without_the_cache_see_every_change(fresh_db, api_clock):
    app = make_app(fresh_db, api_clock)
    try:
        assert app.extensions["tacase"]["public_answers"] is None
        assert app.extensions["tacase"]["public_head"] is None
    finally:
        app.extensions["tacase"]["engine"].dispose()


def test_a_database_that_cannot_be_reached_gets_the_ordinary_answer(app, client, people, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from tacase.web import public_answers
    ref = published(client, people["fiji"])

    def unreachable():
        raise OperationalError("SELECT", {}, Exception("the server closed the connection"))

    monkeypatch.setattr(public_answers, "_generation", unreachable)
    answer = client.get(f"{API}/public/cases/{ref}")
    assert answer.status_code == 200 and answer.get_json()["reference"] == ref
