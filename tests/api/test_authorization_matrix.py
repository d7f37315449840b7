"""Who may call what: an authorization matrix over every (rule, method) of the app's URL map.

MATRIX holds one entry per route and method: how to build the request and the status each
principal must get. A route without an entry, or an entry without a route, fails the suite, so a
new endpoint cannot ship without a decision about who may call it. Rules are keyed without
converter arguments (<int(max=9):id> as <int:id>), so tightening a converter needs no new entry.

Principals: nobody signed in; a focal point of the case's own State (FJI) and of another State;
reviewer, approver, Board member and administrator (staff with two-factor authentication on).
All signed-in calls use bearer tokens. Path parameters, bodies and headers may name placeholders
("{case}", "{draft}", ...): see Values for what each one is. Calls that change what they touch
get a thing of their own per check (a new draft, a new token), so the checks run in any order.
"""

from __future__ import annotations

import datetime as dt
import io
import itertools
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tacase.db.models import CallResponse, User
from tacase.services.calls import registry
from tacase.services.clock import FixedClock
from tests import calls_seed
from tests.api import (
    matrix_account,
    matrix_admin,
    matrix_audit,
    matrix_calls,
    matrix_calls_office,
    matrix_cases,
    matrix_public_calls,
    matrix_queue,
    matrix_reports,
    matrix_statistics,
)
from tests.api.conftest import PASSWORD, Account, World, complete_fields, make_app, world_on
from tests.api.matrix_common import PRINCIPALS, Check, req
from tests.integration.call_fixtures import make_call

OWN_STATE, OTHER_STATE = "FJI", "WSM"
FOCAL = "state_focal_point"
_serial = itertools.count(1)


# Statuses in PRINCIPALS order: anonymous, own, other, reviewer, approver, board, admin.
OPEN = (200, 200, 200, 200, 200, 200, 200)
SIGNED_IN = (401, 200, 200, 200, 200, 200, 200)
CASE_READ = (401, 200, 404, 200, 200, 200, 200)
AUDITORS = (401, 403, 403, 403, 403, 200, 200)
ADMINS = (401, 403, 403, 403, 403, 403, 200)
API = "/api/v1"
CASE = f"{API}/cases/<reference>"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"

MATRIX: dict[tuple[str, str], Check] = {
    # --- public -----------------------------------------------------------------------------
    (API, "GET"): req(OPEN),
    ("/healthz", "GET"): req(OPEN),
    ("/static/<path:filename>", "GET"): req(OPEN, filename="docs/init.js"),
    (f"{API}/openapi.json", "GET"): req(OPEN),
    (f"{API}/docs", "GET"): req(OPEN),
    (f"{API}/docs/static/<filename>", "GET"): req(OPEN, filename="swagger-ui.css"),
    # Wrong credentials (of an unknown account, so that no per-account limit is reached).
    (f"{API}/auth/login", "POST"): req((401,) * 7, body={"email": "{email}", "password": PASSWORD}),
    # --- the web pages: anonymous callers are sent to the sign-in page ------------------------
    # The State's dashboard; the office and the Board are sent on to the work queue.
    ("/", "GET"): req((302, 200, 200, 302, 302, 302, 302)),
    ("/sign-in", "GET"): req(OPEN),
    # A form without its CSRF token is refused, whoever sends it.
    ("/sign-in", "POST"): req((400,) * 7, body={"email": "{email}", "password": PASSWORD}),
    ("/sign-out", "POST"): req((302, 400, 400, 400, 400, 400, 400)),
    # --- any signed-in user -----------------------------------------------------------------
    (f"{API}/auth/logout", "POST"): req((401, 204, 204, 204, 204, 204, 204)),
    (f"{API}/auth/csrf", "GET"): req(SIGNED_IN),
    (f"{API}/me", "GET"): req(SIGNED_IN),
    # Enrolment needs a signed-in session, not a token; confirming finds nothing to confirm.
    (f"{API}/auth/mfa", "POST"): req((401, 403, 403, 403, 403, 403, 403)),
    (f"{API}/auth/mfa/confirm", "POST"): req((401, 409, 409, 409, 409, 409, 409), body={"totp": "123456"}),
    (f"{API}/tokens", "GET"): req(SIGNED_IN),
    (f"{API}/tokens", "POST"): req((401, 201, 201, 201, 201, 201, 201), body={"name": "matrix"}),
    # Someone else's token: unknown to its owner's peers, revocable by an administrator.
    (f"{API}/tokens/<int:token_id>", "DELETE"): req((401, 404, 404, 404, 404, 404, 204),
                                                    token_id="{token_id}"),
    (f"{API}/workflows", "GET"): req(SIGNED_IN),
    (f"{API}/workflows/<wtype>", "GET"): req(SIGNED_IN, wtype="upr_fund"),
    (f"{API}/states", "GET"): req(SIGNED_IN),
    # --- audit: Board and administrators ----------------------------------------------------
    (f"{API}/audit", "GET"): req(AUDITORS),
    (f"{API}/audit/verify", "GET"): req(AUDITORS),
    # --- the business calendar: read by all, closures recorded by administrators ----------
    (f"{API}/calendar", "GET"): req(SIGNED_IN),
    (f"{API}/calendar/closures", "GET"): req(SIGNED_IN),
    (f"{API}/calendar/closures", "POST"): req((401, 403, 403, 403, 403, 403, 201),
                                              body={"day": "{working_day}", "reason": "Matrix"}),
    (f"{API}/calendar/closures/<int:closure_id>", "DELETE"): req((401, 403, 403, 403, 403, 403, 204),
                                                                 closure_id="{closure_id}"),
    # --- accounts: administrators -----------------------------------------------------------
    (f"{API}/users", "GET"): req(ADMINS),
    (f"{API}/users", "POST"): req((401, 403, 403, 403, 403, 403, 201), body={
        "email": "{email}", "roles": ["reviewer"], "password": PASSWORD}),
    (f"{API}/users/<int:user_id>", "PATCH"): req(ADMINS, user_id="{user_id}",
                                                  body={"display_name": "Renamed"}),
    (f"{API}/users/<int:user_id>/mfa/reset", "POST"): req(ADMINS, user_id="{user_id}"),
    # --- cases: a State opens and edits its own; the office reads all and works on them -----
    (f"{API}/cases", "GET"): req(SIGNED_IN),
    (f"{API}/cases", "POST"): req((401, 201, 201, 403, 403, 403, 403),
                                  body={"type": "upr_fund", **complete_fields()}),
    (CASE, "GET"): req(CASE_READ, reference="{case}"),
    (CASE, "PATCH"): req((401, 200, 404, 403, 403, 403, 403), reference="{draft}",
                         body={"title": "Edited title"}, headers={"If-Match": "{etag}"}),
    # The role is checked before the case is looked up: 403 for every State user, which tells
    # another State nothing about whether the case exists.
    (f"{CASE}/assignee", "PUT"): req((401, 403, 404, 200, 200, 403, 200), reference="{new_case}",
                                     body={"assignee_id": "{reviewer_id}"}),
    (f"{CASE}/transitions", "GET"): req(CASE_READ, reference="{case}"),
    (f"{CASE}/transitions", "POST"): req((401, 200, 404, 403, 403, 403, 403), reference="{draft}",
                                         body={"trigger": "submit"}),
    (f"{CASE}/events", "GET"): req(CASE_READ, reference="{case}"),
    (f"{CASE}/consent", "PUT"): req((401, 200, 404, 403, 403, 403, 403), reference="{draft}",
                                    body={"consent": True}),
    # --- the public record: the same answer for everyone (this case's State has not consented) ---
    # Its figures, open data and each page's download.
    (f"{API}/public/counts", "GET"): req(OPEN),
    (f"{API}/public/dictionary", "GET"): req(OPEN),
    ("/public/data", "GET"): req(OPEN),
    ("/public/data/cases.<any:fmt>", "GET"): req(OPEN, fmt="csv"),
    ("/public/data/iati-activities.xml", "GET"): req(OPEN),
    ("/public/record.<any:fmt>", "GET"): req(OPEN, fmt="json"),
    ("/public/record/<reference>.<any:fmt>", "GET"): req((404,) * 7, reference="{case}", fmt="csv"),
    ("/public/states/<code>.<any:fmt>", "GET"): req(OPEN, code="FJI", fmt="json"),
    (f"{API}/public/cases", "GET"): req(OPEN),
    (f"{API}/public/cases/<reference>", "GET"): req((404,) * 7, reference="{case}"),
    ("/public/record", "GET"): req(OPEN),
    ("/public/record/<reference>", "GET"): req((404,) * 7, reference="{case}"),
    ("/public/states/<code>", "GET"): req(OPEN, code="FJI"),
    ("/public/feed.atom", "GET"): req(OPEN),
    # The audit chain's signed checkpoints: hashes and signatures only, for anyone to copy.
    ("/public/audit/checkpoints", "GET"): req(OPEN),
    # A document is public only when its State published it with a published request.
    ("/public/record/<reference>/documents/<int:document_id>", "GET"): req(
        (404,) * 7, reference="{case}", document_id="{document_id}"),
    (f"{CASE}/comments", "GET"): req(CASE_READ, reference="{case}"),
    (f"{CASE}/comments", "POST"): req((401, 201, 404, 201, 201, 403, 201), reference="{new_case}",
                                      body={"body": "A question on the budget", "visibility": "state"}),
    # Documents: read by whoever sees the case; added by the State and the office, not the Board.
    (f"{CASE}/documents", "GET"): req(CASE_READ, reference="{case}"),
    (f"{CASE}/documents", "POST"): req((401, 201, 404, 201, 201, 403, 201), reference="{case}",
                                       files={"file": (PDF, "matrix.pdf")}),
    (f"{CASE}/documents/<int:document_id>", "GET"): req(CASE_READ, reference="{case}",
                                                         document_id="{document_id}"),
    # Publishing one with the request: the requesting State's focal points only, never the office.
    (f"{CASE}/documents/<int:document_id>/publication", "PUT"): req(
        (401, 200, 404, 403, 403, 403, 403), reference="{case}", document_id="{document_id}",
        body={"public": False}),
    # --- notifications and mail preferences: each user their own ----------------------------
    (f"{API}/notifications", "GET"): req(SIGNED_IN),
    # Another user's notification is unknown to everyone else, administrators included.
    (f"{API}/notifications/<int:notification_id>/read", "POST"): req(
        (401, 404, 404, 404, 404, 404, 404), notification_id="{notification_id}"),
    (f"{API}/me/preferences", "GET"): req(SIGNED_IN),
    (f"{API}/me/preferences", "PUT"): req(SIGNED_IN, body={"daily_digest": False}),
}

# The pages' entries, one file per group of pages.
for _entries in (matrix_cases.ENTRIES, matrix_queue.ENTRIES, matrix_audit.ENTRIES,
                 matrix_admin.ENTRIES, matrix_account.ENTRIES, matrix_statistics.ENTRIES,
                 matrix_reports.ENTRIES, matrix_calls.ENTRIES, matrix_calls_office.ENTRIES,
                 matrix_public_calls.ENTRIES):
    assert not set(_entries) & set(MATRIX), "a route with two entries"
    MATRIX.update(_entries)


# --- the world the checks run in ---------------------------------------------------------------

class Env:
    """One app and database for the module: an account per principal and a submitted FJI case."""

    def __init__(self, world: World) -> None:
        self.world, self.app = world, world.app
        self.accounts: dict[str, Account | None] = {
            "anonymous": None,
            "own": world.account(FOCAL, state=OWN_STATE),
            "other": world.account(FOCAL, state=OTHER_STATE),
            **{role: world.account(role) for role in ("reviewer", "approver", "board", "admin")},
        }
        self.token_owner = world.account("reviewer")  # owns the tokens others try to revoke
        self.target = world.account("reviewer")  # the account the /users checks act on
        self.case = self.submitted_case()
        with world.sessions() as s:  # a call to the "own" State alone
            make_call(s, world.clock, key="matrix-call", audience=[OWN_STATE])
            s.commit()
        self.document_id = self.app.test_client().post(
            f"{API}/cases/{self.case}/documents", data={"file": (io.BytesIO(PDF), "matrix.pdf")},
            headers=self.accounts["own"].auth).get_json()["id"]

    def call(self, method: str, path: str, account: Account, body: Any = None) -> Any:
        response = self.app.test_client().open(path, method=method, json=body, headers=account.auth)
        assert response.status_code in (200, 201), (method, path, response.get_json())
        return response

    def draft(self) -> tuple[str, str]:
        r = self.call("POST", f"{API}/cases", self.accounts["own"], {"type": "upr_fund", **complete_fields()})
        return r.get_json()["reference"], r.headers["ETag"]

    def submitted_case(self) -> str:
        reference, _ = self.draft()
        self.call("POST", f"{API}/cases/{reference}/transitions", self.accounts["own"], {"trigger": "submit"})
        return reference

    def working_day(self) -> str:
        """A working day no closure has yet, far from the cases' deadlines."""
        calendar = self.app.extensions["tacase"]["runtime"].calendar()
        while not calendar.is_working_day(day := dt.date(2031, 1, 1) + dt.timedelta(days=next(_serial))):
            pass
        return day.isoformat()

    def closure_id(self) -> int:
        body = {"day": self.working_day(), "reason": "Matrix"}
        return self.call("POST", f"{API}/calendar/closures", self.accounts["admin"], body).get_json()["id"]

    def token_id(self) -> int:
        return self.call("POST", f"{API}/tokens", self.token_owner, {"name": "target"}).get_json()["id"]

    def call_key(self) -> str:
        """A call to FJI and WSM, made once for the module."""
        if not hasattr(self, "_call_key"):
            with self.world.sessions() as s:
                raw = {**calls_seed.RAW, "audience": [OWN_STATE, OTHER_STATE]}
                call = calls_seed.make_call(s, self.world.clock(), raw)
                self._call_key = call.key
                s.commit()
        return self._call_key

    def office_call(self) -> str:
        """A call written by an administrator (not a file's), made once for the module."""
        if not hasattr(self, "_office_call"):
            from tacase.services.actors import Actor
            from tacase.services.calls import authoring
            from tests.integration.call_fixtures import RAW

            with self.world.sessions() as s:
                admin = Actor.for_user(s.get(User, self.accounts["admin"].id))
                call, _ = authoring.write_call(s, admin, self.world.clock, {**RAW, "key": "matrix-office"},
                                               timezone="Europe/Zurich")
                self._office_call = call.key
                s.commit()
        return self._office_call

    def call_response(self) -> int:
        """A submitted response of FJI to the call, of its own (a reopening changes it)."""
        key = self.call_key()
        with self.world.sessions() as s:
            response = calls_seed.submit(s, registry.get_call(s, key), self.world.clock(), calls_seed.FULL,
                                         state=OWN_STATE)
            s.commit()
            return response.id

    def call_document(self) -> tuple[int, int]:
        """A submitted response of FJI with a file answered to the call's document question."""
        from tacase.services.calls.uploads import directory_of

        response_id = self.call_response()
        directory = directory_of(self.app.config["DOCUMENTS_DIR"])
        directory.mkdir(parents=True, exist_ok=True)
        with self.world.sessions() as s:
            response = s.get(CallResponse, response_id)
            document = calls_seed.attach_document(s, registry.get_call(s, self.call_key()), response,
                                                  self.world.clock(), name=f"matrix{next(_serial)}.pdf")
            (directory / document.stored_name).write_bytes(PDF)
            s.commit()
            return response_id, document.id

    def notification_id(self) -> int:
        """A notification of the target account: the assignment of a new case to it."""
        self.call("PUT", f"{API}/cases/{self.submitted_case()}/assignee", self.accounts["reviewer"],
                  {"assignee_id": self.target.id})
        return self.call("GET", f"{API}/notifications", self.target).get_json()["items"][0]["id"]


class Values(dict):
    """The placeholders of one check, made on first use."""

    def __init__(self, env: Env) -> None:
        super().__init__(case=env.case, user_id=env.target.id, reviewer_id=env.accounts["reviewer"].id,
                         document_id=env.document_id)
        self.env = env

    def __missing__(self, key: str) -> Any:
        if key in ("draft", "etag"):  # a new draft and its ETag
            self["draft"], self["etag"] = self.env.draft()
        elif key == "new_case":  # a new submitted case
            self[key] = self.env.submitted_case()
        elif key in ("working_day", "closure_id"):  # a day to close; a closure of its own
            self[key] = getattr(self.env, key)()
        elif key == "token_id":  # a new token of another reviewer
            self[key] = self.env.token_id()
        elif key == "call":  # a call for input to FJI and WSM
            self[key] = self.env.call_key()
        elif key == "office_call":  # a call written by an administrator
            self[key] = self.env.office_call()
        elif key == "call_response":  # a new submitted response of FJI to it
            self[key] = self.env.call_response()
        elif key in ("call_document", "call_document_response"):  # a file of a new response
            self["call_document_response"], self["call_document"] = self.env.call_document()
        elif key == "notification_id":  # a new notification of another reviewer
            self[key] = self.env.notification_id()
        elif key == "call_key":  # a key no call has
            self[key] = f"matrix-written-{next(_serial)}"
        elif key == "email":  # an address no account has
            self[key] = f"matrix{next(_serial)}@example.org"
        else:
            raise KeyError(key)
        return self[key]


PLACEHOLDER = re.compile(r"^\{(\w+)\}$")
RULE_VARIABLE = re.compile(r"<(?:\w+:)?(\w+)>")
CONVERTER_ARGS = re.compile(r"<(\w+)\([^)]*\):")


def fill(value: Any, values: Values) -> Any:
    """Placeholders replaced; a string that is a placeholder alone takes the value as it is (an int)."""
    if isinstance(value, str):
        whole = PLACEHOLDER.match(value)
        return values[whole.group(1)] if whole else value.format_map(values)
    if isinstance(value, dict):
        return {k: fill(v, values) for k, v in value.items()}
    if isinstance(value, list):
        return [fill(v, values) for v in value]
    return value


def send(env: Env, rule: str, method: str, principal: str, *, as_method: str | None = None) -> Any:
    """The check of (rule, method) as principal; as_method sends it with another method (HEAD)."""
    check, values = MATRIX[rule, method], Values(env)
    path = RULE_VARIABLE.sub(lambda m: str(fill(check.params[m.group(1)], values)), rule)
    headers = fill(check.headers, values)
    account = env.accounts[principal]
    if account is not None:
        headers.update(account.auth)
    client = env.app.test_client()
    if check.files is not None:
        # A tuple is a file; a string, a plain field of the same form.
        data = {name: (io.BytesIO(part[0]), part[1]) if isinstance(part, tuple) else part
                for name, part in check.files.items()}
        response = client.open(path, method=as_method or method, data=data, headers=headers)
    else:
        response = client.open(path, method=as_method or method, json=fill(check.body, values),
                               headers=headers)
    response.get_data()
    response.close()  # files are sent from an open handle
    return response


# --- fixtures ----------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def env(module_db) -> Iterator[Env]:
    with world_on(module_db) as world:
        yield Env(world)


@pytest.fixture(scope="module")
def routed_app() -> Iterator[Flask]:
    """An app for its URL map only: the database is never opened."""
    app = make_app("sqlite://", FixedClock(dt.datetime(2026, 3, 2, tzinfo=dt.UTC)))
    yield app
    app.extensions["tacase"]["engine"].dispose()


# --- the checks --------------------------------------------------------------------------------

def routes(app: Flask) -> set[tuple[str, str]]:
    """(rule, method) pairs; converter arguments dropped: <int(max=9):id> is keyed as <int:id>."""
    return {(CONVERTER_ARGS.sub(r"<\1:", rule.rule), method) for rule in app.url_map.iter_rules()
            for method in rule.methods - {"HEAD", "OPTIONS"}}


def test_every_route_has_an_entry(routed_app):
    missing = sorted(routes(routed_app) - MATRIX.keys())
    assert not missing, f"routes without an entry in MATRIX (who may call them?): {missing}"


def test_every_entry_names_a_route(routed_app):
    stale = sorted(MATRIX.keys() - routes(routed_app))
    assert not stale, f"MATRIX entries for routes the app no longer has: {stale}"


def test_entries_give_every_path_parameter():
    wrong = {key: (sorted(RULE_VARIABLE.findall(key[0])), sorted(check.params))
             for key, check in MATRIX.items() if set(RULE_VARIABLE.findall(key[0])) != set(check.params)}
    assert not wrong, f"path parameters needed vs given: {wrong}"


@pytest.mark.parametrize("principal", PRINCIPALS)
@pytest.mark.parametrize(("rule", "method"), sorted(MATRIX), ids=[f"{m} {r}" for r, m in sorted(MATRIX)])
def test_authorization(env, rule, method, principal):
    expected = MATRIX[rule, method].expect[PRINCIPALS.index(principal)]
    response = send(env, rule, method, principal)
    detail = response.get_json(silent=True) if response.is_json else response.status
    assert response.status_code == expected, f"{method} {rule} as {principal}: {detail}"


GET_ROUTES = sorted(rule for rule, method in MATRIX if method == "GET")


@pytest.mark.parametrize("rule", GET_ROUTES)
def test_head_answers_like_get(env, rule):
    """HEAD is GET without the body (RFC 9110): a form page must not read it as a form sent without
    its CSRF token (400), and nothing may fail (500)."""
    for principal in PRINCIPALS:
        expected = MATRIX[rule, "GET"].expect[PRINCIPALS.index(principal)]
        response = send(env, rule, "GET", principal, as_method="HEAD")
        assert response.status_code == expected, f"HEAD {rule} as {principal}: {response.status}"
        assert response.get_data() == b"", f"HEAD {rule} as {principal} sent a body"
