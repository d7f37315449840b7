"""The web pages with Flask's test client: an app on a database of its own, people and cases in it."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.api.conftest import PASSWORD, api_clock, make_app  # noqa: F401 - api_clock is a fixture
from tests.web.seed import Person, Seeded, populate

CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@pytest.fixture
def app(fresh_db, api_clock) -> Iterator[Flask]:  # noqa: F811
    app = make_app(fresh_db, api_clock, TACASE_LOGIN_LIMIT_PER_ACCOUNT="3/hour")
    yield app
    app.extensions["tacase"]["engine"].dispose()


@pytest.fixture
def seeded(app, api_clock) -> Seeded:  # noqa: F811
    return populate(app.extensions["tacase"]["sessions"], api_clock)


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()


def csrf_token(client: FlaskClient, path: str = "/sign-in") -> str:
    found = CSRF.search(client.get(path).get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client: FlaskClient, person: Person, *, totp: str = "", next_path: str = "",
            password: str = PASSWORD, headers: dict[str, str] | None = None):
    token = csrf_token(client)
    return client.post("/sign-in", headers=headers, data={
        "csrf_token": token, "email": person.email, "password": password, "totp": totp, "next": next_path})
