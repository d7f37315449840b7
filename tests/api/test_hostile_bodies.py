"""Every route in the URL map meets a corpus of hostile bodies, signed in and not: none may answer 5xx.

The routes come from the app itself, so a new route is covered without editing this file; its path
parameters are filled from the authorization matrix, which has an entry for every route. Signed-in
callers use a session cookie and send the CSRF token (and, on the pages, every hidden field of the
page's own form), so the bodies reach the handlers and not only the gate in front of them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import hidden_fields, world_on
from tests.api.test_authorization_matrix import MATRIX, RULE_VARIABLE, Env, Values, fill, routes

MIB = 1024 * 1024
DIGITS = "9" * 5000
# Field names the API and the pages read, so that a hostile value lands in each of them.
FIELDS = ("email", "password", "totp", "type", "title", "fields", "trigger", "comment", "data",
          "body", "visibility", "assignee_id", "name", "expires_in_days", "day", "reason", "roles",
          "state", "display_name", "is_active", "daily_digest", "locale", "current_password",
          "new_password", "confirm", "version", "form_token", "objectives", "budget",
          # the forms that write a call
          "key", "kind", "title_en", "intro_en", "audience", "states", "opens_day", "opens_month",
          "opens_year", "closes_day", "reminders", "qtype", "label_en", "label_fr", "options_en",
          "option_values", "condition", "number_min", "number_max", "scale_min", "scale_max",
          "max_choices", "columns-0-label_en", "columns-0-ctype", "columns-0-options_en",
          "columns-99999999999999999999-label_en", "direction")


@dataclass(frozen=True)
class Body:
    name: str
    data: bytes
    content_type: str | None
    form: bool = False  # a form body: the caller's CSRF token and hidden fields go with it


def _json(value: object) -> bytes:
    return json.dumps(value).encode()


def _form(pairs: dict[str, str]) -> str:
    from urllib.parse import urlencode
    return urlencode(pairs)


CORPUS = [
    Body("nested object", ('{"email":' * 2000 + '"x"' + "}" * 2000).encode(), "application/json"),
    Body("nested array", b"[" * 5000 + b"]" * 5000, "application/json"),
    Body("nested in a field", _json({k: 1 for k in FIELDS})[:-1] + b',"fields":'
         + b'{"a":' * 3000 + b"1" + b"}" * 3000 + b"}", "application/json"),
    Body("huge integers", ("{" + ",".join(f'"{k}":{DIGITS}' for k in FIELDS) + "}").encode(),
         "application/json"),
    Body("huge integer alone", DIGITS.encode(), "application/json"),
    Body("huge float", ("{" + ",".join(f'"{k}":1e999999' for k in FIELDS) + "}").encode(),
         "application/json"),
    Body("NaN and Infinity", ("{" + ",".join(f'"{k}":NaN' for k in FIELDS) + ',"x":-Infinity}').encode(),
         "application/json"),
    Body("NUL in text", _json({k: "a\u0000b" for k in FIELDS}), "application/json"),
    Body("NUL in a key", _json({"a\u0000": 1, "fields": {"title\u0000": "x"}}), "application/json"),
    Body("raw NUL bytes", b'{"body": "\x00", "title": "\x00"}\x00', "application/json"),
    Body("lone surrogates", ("{" + ",".join(f'"{k}":"\\ud800x"' for k in FIELDS) + "}").encode(),
         "application/json"),
    Body("invalid UTF-8", b'{"body": "\xff\xfe\xc3\x28", "email": "\x80"}', "application/json"),
    Body("UTF-16", '{"body": "x"}'.encode("utf-16"), "application/json"),
    Body("wrong types", _json({k: [{"x": [None, True, 1.5]}] for k in FIELDS}), "application/json"),
    Body("wrong types 2", _json({k: {"amount": [], "currency": {}} for k in FIELDS}), "application/json"),
    Body("a list", _json([1, "two", None]), "application/json"),
    Body("a string", _json("just text"), "application/json"),
    Body("null", b"null", "application/json"),
    Body("empty JSON", b"", "application/json"),
    Body("empty, no type", b"", None),
    Body("truncated JSON", b'{"email": "a@b.c", "password": ', "application/json"),
    Body("JSON as text/plain", _json({"email": "a@b.c", "password": "x"}), "text/plain"),
    Body("XML", b"<?xml version='1.0'?><!DOCTYPE x [<!ENTITY a 'b'>]><x>&a;</x>", "application/xml"),
    Body("JSON with a charset", _json({"body": "x"}), "application/json; charset=latin-1"),
    Body("multipart without boundary", b"--x\r\n\r\n", "multipart/form-data"),
    Body("broken multipart", b"--b\r\nContent-Disposition: form-data; name=\"file\"; "
         b"filename=\"a\x00.pdf\"\r\n\r\n%PDF-1.4\r\n--b", "multipart/form-data; boundary=b"),
    Body("1 MiB + 1 byte of JSON", b'"' + b"x" * (MIB - 1) + b'"', "application/json"),
    Body("form with NUL", _form({k: "a\u0000b" for k in FIELDS}).encode(),
         "application/x-www-form-urlencoded", form=True),
    Body("form with bad bytes", b"body=%ff%fe%ed%a0%80&title=%c3%28&" + b"&".join(
        k.encode() + b"=%00" for k in FIELDS), "application/x-www-form-urlencoded", form=True),
    Body("form with huge values", _form({k: DIGITS for k in FIELDS}).encode(),
         "application/x-www-form-urlencoded", form=True),
    Body("form over the size limit", b"body=" + b"x" * (MIB + MIB // 2), "application/x-www-form-urlencoded",
         form=True),
    Body("form with repeated fields", b"&".join(f"{k}=1&{k}=2".encode() for k in FIELDS),
         "application/x-www-form-urlencoded", form=True),
]
# What a GET gets: a body it should never read, and one it should never wait for.
FOR_READS = [b for b in CORPUS if b.name in ("nested object", "1 MiB + 1 byte of JSON", "form with NUL")]

PRINCIPALS = ("anonymous", "own", "reviewer", "admin")


class Caller:
    """A principal with a signed-in browser session (cookie, CSRF token), or nobody."""

    def __init__(self, env: Env, principal: str) -> None:
        self.env, self.principal = env, principal
        self.client: FlaskClient = env.app.test_client()
        self.csrf = ""
        account = env.accounts[principal]
        if account is not None:
            self.csrf = env.world.login(self.client, account)["csrf_token"]

    def ensure_signed_in(self) -> None:
        """Sign in again if the last body ended the session (a sign-out, a password change)."""
        account = self.env.accounts[self.principal]
        if account is not None and self.client.get("/api/v1/me").status_code != 200:
            self.client = self.env.app.test_client()
            self.csrf = self.env.world.login(self.client, account)["csrf_token"]

    def hidden_fields(self, path: str) -> dict[str, str]:
        """The hidden inputs of the page at `path` (its form's one-time token, version, ...)."""
        if path.startswith("/api/") or self.principal == "anonymous":
            return {}
        page = self.client.get(path)
        text = page.get_data(as_text=True) if page.status_code == 200 and page.mimetype == "text/html" else ""
        page.close()
        return hidden_fields(text)

    def send(self, method: str, path: str, body: Body) -> int:
        headers = {"X-CSRFToken": self.csrf} if self.csrf else {}
        data = body.data
        if body.form and self.csrf:
            extra = {"csrf_token": self.csrf, **self.hidden_fields(path)}
            data = _form(extra).encode() + b"&" + data
        if body.content_type is not None:
            headers["Content-Type"] = body.content_type
        response = self.client.open(path, method=method, data=data, headers=headers)
        response.get_data()
        response.close()
        return response.status_code


def _path(rule: str, method: str, values: Values) -> str:
    check = MATRIX[rule, method]
    return RULE_VARIABLE.sub(lambda m: str(fill(check.params[m.group(1)], values)), rule)


@pytest.fixture(scope="module")
def env(module_db) -> Iterator[Env]:
    # Hundreds of refused sign-ins come from one address here: the limits are not under test.
    with world_on(module_db, TACASE_LOGIN_LIMIT_PER_ADDRESS="100000/minute",
                  TACASE_LOGIN_LIMIT_PER_ACCOUNT="100000/minute") as world:
        yield Env(world)


@pytest.mark.parametrize("principal", PRINCIPALS)
def test_no_route_answers_5xx_to_a_hostile_body(env, principal):
    failures = []
    caller = Caller(env, principal)
    for rule, method in sorted(routes(env.app)):
        path = _path(rule, method, Values(env))
        for body in FOR_READS if method == "GET" else CORPUS:
            caller.ensure_signed_in()
            status = caller.send(method, path, body)
            if status >= 500:
                failures.append(f"{method} {path} [{body.name}]: {status}")
    assert not failures, f"{len(failures)} answers of 5xx:\n" + "\n".join(failures)
