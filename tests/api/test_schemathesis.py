"""Property-based tests of the whole JSON API against its own OpenAPI document (Schemathesis).

Every operation of GET /api/v1/openapi.json is called with generated inputs (valid and invalid ones)
by each role in turn, through a bearer token, in process, and every check Schemathesis has runs on
each answer, with the expectations of config/schemathesis.toml (the same file `st run` reads). So
each answer must, among others:

- not be a server error (5xx);
- refuse what the document says is invalid, and accept what it says is valid (the business rules
  no schema can state are named in the configuration);
- have a status code the document names for the operation explicitly: the `default` response that
  flask-smorest adds would otherwise let any status pass (`status_code_documented`, added here);
- have a documented content type, documented headers and a body matching the documented schema.

tests/api/test_schemathesis_cli.py runs the command line over a live server as well, with the
stateful phase that follows links between operations.

Each role gets an app on a database of its own (SQLite, and PostgreSQL when configured; copied
from one migrated template), seeded
with a draft and a submitted case, so that hooks can point generated path parameters, triggers and
request types at things that exist some of the time rather than never.

No operation is excluded. Calls that could stop the account under test from working (logout, MFA
enrolment or reset, revoking a token, disabling or re-roling a user) are made by bearer token, and
`Fuzzing.restore_account` puts the account and its token back before every call.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from sqlalchemy import make_url, select

from tacase.db.migrate import upgrade
from tacase.db.models import ApiToken, User, UserRole
from tacase.services import auth as auth_service
from tacase.services.actors import Actor
from tacase.services.clock import FixedClock
from tests.api.conftest import Account, World, complete_fields, make_app
from tests.conftest import BACKENDS
from tests.integration.call_fixtures import COMPLETE, make_call

# The role under test and the State a focal point speaks for.
ROLES: dict[str, str | None] = {
    "state_focal_point": "FJI", "reviewer": None, "approver": None, "board": None, "admin": None,
}
MAX_EXAMPLES = 15
CALL_KEY = "test-needs"
CONFIG_FILE = Path(__file__).resolve().parents[2] / "config" / "schemathesis.toml"


def load_config(phases: dict[str, Any] | None = None, **generation: Any) -> schemathesis.Config:
    """config/schemathesis.toml with the suite's own generation settings."""
    data = tomllib.loads(CONFIG_FILE.read_text(encoding="utf-8"))
    data["generation"] = {**data.get("generation", {}), **generation}
    data["phases"] = {**data.get("phases", {}), **(phases or {})}
    return schemathesis.Config.from_dict(data)


# The coverage phase (every boundary of every field, deterministic) runs in the command-line test,
# for a State and a staff token; here each of five roles gets generated inputs.
CONFIG = load_config({"coverage": {"enabled": False}}, **{"max-examples": MAX_EXAMPLES, "database": "none"})


def status_code_documented(ctx: Any, response: Any, case: Any) -> None:
    """Like Schemathesis' status_code_conformance, but `default` documents nothing."""
    if case.method.upper() != case.operation.method.upper():
        return None  # a method the path does not have: `unsupported_method` judges the answer
    documented = {code for code in case.operation.responses.status_codes if code != "default"}
    status = str(response.status_code)
    if status not in documented and f"{status[0]}XX" not in documented:
        raise AssertionError(
            f"undocumented status {status} for {case.operation.label}; documented: {sorted(documented)}")




@dataclass
class Fuzzing:
    """An app with seeded cases, and the account the generated calls are made as."""

    world: World
    account: Account
    references: list[str]
    user_ids: list[int]
    types: list[str]
    triggers: list[str]

    @property
    def app(self) -> Flask:
        return self.world.app

    def restore_account(self) -> None:
        """Undo what a generated call may have done to the account itself: disabled it, changed its
        roles or State, reset its two-factor authentication, revoked its token."""
        acc = self.account
        with self.world.sessions() as s:
            user = s.get(User, acc.id)
            assert user is not None
            if not user.is_active:
                user.is_active = True
            if user.roles != set(acc.roles):
                user.role_rows = [UserRole(role=r) for r in acc.roles]
            if user.state_code != acc.state:
                user.state_code = acc.state
            if acc.mfa_secret and not user.mfa_enabled:
                user.mfa_secret, user.mfa_enabled = acc.mfa_secret, True
            token = s.scalar(select(ApiToken).where(
                ApiToken.token_hash == auth_service.secret_hash(acc.token)))
            if token is None or token.revoked_at is not None:
                _, acc.token = auth_service.create_token(s, Actor.for_user(user), self.world.clock,
                                                         name="schemathesis", days=30)
            s.commit()


class CurrentApp:
    """A WSGI app that forwards to the app of the role under test.

    The schema is loaded once, at collection, so that every operation is a test item of its own
    (Schemathesis' fixture-loaded schemas do not run on this pytest); the apps are made later, one per
    role, by the `fuzzing` fixture."""

    def __init__(self) -> None:
        self.fuzzing: Fuzzing | None = None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        assert self.fuzzing is not None, "the fuzzing fixture sets the app"
        # Read the body and close the iterable, as a WSGI server does: Schemathesis' transport does
        # not close it, and a downloaded document's open file would be left to the collector.
        result = self.fuzzing.app(environ, start_response)
        try:
            return [b"".join(result)]
        finally:
            if hasattr(result, "close"):
                result.close()


CURRENT = CurrentApp()
_doc_app = make_app("sqlite://", FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)))
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", _doc_app, config=CONFIG)
schema.app = CURRENT
_doc_app.extensions["tacase"]["engine"].dispose()


@pytest.fixture(scope="module")
def template(request, tmp_path_factory) -> Iterator[dict[str, str]]:
    """One migrated database per backend, copied for each role."""
    path = tmp_path_factory.mktemp("schemathesis") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    templates = {"sqlite": str(path)}
    if "postgresql" in BACKENDS:
        server = request.getfixturevalue("pg_server")
        templates["postgresql"] = server.create()
        upgrade(templates["postgresql"])
    yield templates
    if "postgresql" in templates:
        request.getfixturevalue("pg_server").drop(templates["postgresql"])


@pytest.fixture(scope="module", params=[(r, b) for b in BACKENDS for r in ROLES], ids="-".join)
def fuzzing(request, template, tmp_path_factory) -> Iterator[Fuzzing]:
    """The app for one role, shared by all the operations' tests (the role's tests run together)."""
    role, backend = request.param
    if backend == "sqlite":
        path = tmp_path_factory.mktemp(role) / "api.sqlite3"
        shutil.copy(template["sqlite"], path)
        url = f"sqlite:///{path}"
    else:
        server = request.getfixturevalue("pg_server")
        url = server.create(template=make_url(template["postgresql"]).database)
        request.addfinalizer(lambda: server.drop(url))
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    app = make_app(url, clock)
    world = World(app, clock)
    focal = world.account("state_focal_point", state="FJI")
    account = focal if role == "state_focal_point" else world.account(role, state=ROLES[role])
    client = app.test_client()
    references = []
    for _ in range(2):
        r = client.post("/api/v1/cases", json={"type": "upr_fund", **complete_fields()}, headers=focal.auth)
        assert r.status_code == 201, r.get_json()
        references.append(r.get_json()["reference"])
    r = client.post(f"/api/v1/cases/{references[1]}/transitions", json={"trigger": "submit"},
                    headers=focal.auth)
    assert r.status_code == 200, r.get_json()
    workflows = app.extensions["tacase"]["runtime"].workflows
    types = sorted(workflows.current)
    triggers = sorted({t.trigger for d in workflows.current.values() for t in d.transitions})
    with world.sessions() as s:  # a call for input to Fiji, which its focal point answers
        make_call(s, clock)
        s.commit()
    CURRENT.fuzzing = Fuzzing(world, account, references, [focal.id, account.id], types, triggers)
    yield CURRENT.fuzzing
    CURRENT.fuzzing = None
    app.extensions["tacase"]["engine"].dispose()


def _sometimes(value: Any, replacements: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(st.just(value), replacements)


def _current() -> Fuzzing | None:
    """The role's app; None while Schemathesis draws the document's examples, at collection."""
    return CURRENT.fuzzing


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    fuzzing = _current()
    if fuzzing is None or not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    # Only a value of the documented type is replaced: a value made invalid on purpose stays invalid, or
    # Schemathesis would count the valid request sent instead as an invalid one accepted.
    if "reference" in path_parameters and isinstance(path_parameters["reference"], str):
        return _sometimes(path_parameters, st.sampled_from(fuzzing.references).map(
            lambda ref: {**path_parameters, "reference": ref}))
    if "wtype" in path_parameters and isinstance(path_parameters["wtype"], str):
        return _sometimes(path_parameters, st.sampled_from(fuzzing.types).map(
            lambda t: {**path_parameters, "wtype": t}))
    key = path_parameters.get("key")
    if isinstance(key, str) and len(key) <= 64:
        return _sometimes(path_parameters, st.just({**path_parameters, "key": CALL_KEY}))
    if "user_id" in path_parameters and type(path_parameters["user_id"]) is int:
        return _sometimes(path_parameters, st.sampled_from(fuzzing.user_ids).map(
            lambda uid: {**path_parameters, "user_id": uid}))
    return st.just(path_parameters)


@schema.hook
def flatmap_headers(context, headers):
    if isinstance(headers, dict) and "If-Match" in headers:
        return _sometimes(headers, st.just({**headers, "If-Match": "*"}))
    return st.just(headers)


@schema.hook
def flatmap_body(context, body):
    """Some bodies that get past validation: a real request type or trigger, a whole request."""
    fuzzing = _current()
    method, path = context.operation.method.upper(), context.operation.path
    if fuzzing is None or not isinstance(body, dict):
        return st.just(body)
    if (method, path) == ("POST", "/api/v1/cases"):
        return _sometimes(body, st.one_of(
            st.sampled_from(fuzzing.types).map(lambda t: {**body, "type": t}),
            st.just({"type": "upr_fund", **complete_fields()}),
        ))
    if (method, path) == ("PUT", "/api/v1/calls/{key}/response") and isinstance(body.get("answers"), dict):
        return _sometimes(body, st.sampled_from([{"answers": COMPLETE}, {"answers": {"notes": "A draft"}}]))
    if (method, path) == ("PATCH", "/api/v1/cases/{reference}"):
        return _sometimes(body, st.builds(lambda title: {"title": title}, st.text(min_size=1, max_size=80)))
    if (method, path) == ("POST", "/api/v1/cases/{reference}/transitions"):
        return _sometimes(body, st.builds(
            lambda trigger, comment: {"trigger": trigger, "comment": comment},
            st.sampled_from(fuzzing.triggers), st.none() | st.text(max_size=80)))
    return st.just(body)


@schema.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_document(case, fuzzing: Fuzzing):
    fuzzing.restore_account()
    # No `checks=`: every check Schemathesis has, as `st run --checks all` runs them.
    case.call_and_validate(headers=fuzzing.account.auth, additional_checks=[status_code_documented])
