"""Fixtures for the HTTP API: an app on a database of its own, users of every role, clients."""

from __future__ import annotations

import datetime as dt
import itertools
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pyotp
import pytest
from flask import Flask
from flask.testing import FlaskClient

from config import load_config
from tacase.db.models import User
from tacase.services import accounts
from tacase.services import auth as auth_service
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tacase.web import create_app
from tests.conftest import complete_fields  # noqa: F401 - shared with the API tests

PASSWORD = "correct horse battery staple"
_emails = itertools.count(1)


@dataclass
class Account:
    id: int
    email: str
    roles: tuple[str, ...]
    state: str | None
    mfa_secret: str | None
    token: str

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


class World:
    """The app under test and helpers to people it."""

    def __init__(self, app: Flask, clock: FixedClock) -> None:
        self.app, self.clock = app, clock

    def sessions(self):
        return self.app.extensions["tacase"]["sessions"]()

    def account(self, *roles: str, state: str | None = None, mfa: bool | None = None,
                password: str = PASSWORD, email: str | None = None) -> Account:
        """A user with a token; staff get two-factor authentication on, as the rules require."""
        email = email or f"person{next(_emails)}@example.org"
        with self.sessions() as s:
            user = accounts.create_user(s, SYSTEM, self.clock, email=email, roles=list(roles),
                                        password=password, state_code=state)
            secret = None
            if mfa if mfa is not None else auth_service.mfa_required(user):
                secret = pyotp.random_base32()
                user.mfa_secret, user.mfa_enabled = secret, True
            _, token = auth_service.create_token(s, Actor.for_user(user), self.clock, name="tests", days=30)
            s.commit()
            return Account(user.id, email, tuple(roles), state, secret, token)

    def totp(self, account: Account) -> str:
        # Each code is accepted once: move to the next 30-second step first.
        self.clock.advance(seconds=30)
        return pyotp.TOTP(account.mfa_secret).at(self.clock())

    def login(self, client: FlaskClient, account: Account, **extra: Any) -> dict[str, Any]:
        body = {"email": account.email, "password": PASSWORD, **extra}
        if account.mfa_secret and "totp" not in extra:
            body["totp"] = self.totp(account)
        response = client.post("/api/v1/auth/login", json=body)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def user_row(self, user_id: int) -> User:
        with self.sessions() as s:
            return s.get(User, user_id)


@pytest.fixture
def api_clock() -> FixedClock:
    return FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


def make_app(url: str, clock: FixedClock, **env: str) -> Flask:
    # Documents go to a directory of the app's own, never the project's instance folder.
    env.setdefault("TACASE_DOCUMENTS_DIR", tempfile.mkdtemp(prefix="tacase-documents-"))
    config = load_config("testing", environ={"TACASE_DATABASE_URL": url, **env})
    return create_app(config, clock=clock)


@contextmanager
def app_on(url: str, clock: FixedClock, **env: str) -> Iterator[Flask]:
    """An app with settings of its own (`TACASE_...` variables), its connections closed after."""
    app = make_app(url, clock, **env)
    try:
        yield app
    finally:
        app.extensions["tacase"]["engine"].dispose()
        if app.extensions["tacase"].get("public_head") is not None:
            app.extensions["tacase"]["public_head"].dispose()


@contextmanager
def world_on(url: str, **env: str) -> Iterator[World]:
    """An app on the database at `url` (a module's, say), with its clock at a Monday morning."""
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    app = make_app(url, clock, **env)
    try:
        yield World(app, clock)
    finally:
        app.extensions["tacase"]["engine"].dispose()


_HIDDEN = re.compile(r'<input[^>]*type="hidden"[^>]*>')


def hidden_fields(html: str) -> dict[str, str]:
    """The hidden inputs of a page or of one form's HTML: its CSRF and one-time tokens, version..."""
    fields = {}
    for tag in _HIDDEN.findall(html):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if name:
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


@pytest.fixture
def app(fresh_db, api_clock) -> Iterator[Flask]:
    app = make_app(fresh_db, api_clock)
    yield app
    app.extensions["tacase"]["engine"].dispose()


@pytest.fixture
def world(app, api_clock) -> World:
    return World(app, api_clock)


@pytest.fixture
def client(app) -> FlaskClient:
    return app.test_client()
