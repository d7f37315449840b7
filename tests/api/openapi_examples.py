"""Record the OpenAPI document's examples from real answers: `python -m tests.api.openapi_examples`.

The app runs on a throwaway SQLite database with the demo data at a fixed instant; each operation is
called once as someone who may call it, and its request body and answer are written to
tacase/web/api/examples.json by operationId, which the document shows as examples
(tacase/web/api/examples.py). Lists are cut to their first items; secrets are replaced by
placeholders of the same shape. `make openapi` runs this and then refreshes the committed copy of the
document (tests/api/openapi.json).
"""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

import pyotp
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from config import load_config
from tacase.db.migrate import upgrade
from tacase.db.models import User
from tacase.services import auth as auth_service
from tacase.services.actors import Actor
from tacase.services.clock import FixedClock
from tacase.services.demo import DEMO_PASSWORD, load_demo
from tacase.web import create_app
from tacase.web.api.examples import EXAMPLES_FILE, recorded
from tests.conftest import complete_fields
from tests.integration.call_fixtures import COMPLETE, RAW, make_call

ROOT = Path(__file__).resolve().parents[2]
COPY = Path(__file__).with_name("openapi.json")
API = "/api/v1"
AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
LIST_ITEMS = 2
# Values no example may show as they came: replaced by a placeholder of the same shape.
# Random values are replaced too, so that recording again changes nothing that did not change.
SECRET_KEYS = {"token": "tac_EXAMPLE-not-a-real-token-0000000000000000000", "prefix": "tac_EXAMPL",
               "totp": "123456",
               "csrf_token": "IjEzZjM0ZTc2ZmY4YjQ2NDFkNmE1N2E4ZjY1NGI2MjU3NjQ2MzEyYzAi.EXAMPLE",
               "secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
               "provisioning_uri": "otpauth://totp/tacase:focal.fji%40example.org?secret=JBSWY3DPEHPK3PXP"
                                   "JBSWY3DPEHPK3PXP&issuer=tacase"}
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"


def _cut(value: Any) -> Any:
    """The answer with lists cut short and secrets replaced."""
    if isinstance(value, list):
        return [_cut(v) for v in value[:LIST_ITEMS]]
    if isinstance(value, dict):
        return {k: SECRET_KEYS[k] if k in SECRET_KEYS and isinstance(v, str) else _cut(v)
                for k, v in value.items()}
    return value


class Recorder:
    def __init__(self, app: Flask) -> None:
        self.app = app
        self.examples: dict[str, dict[str, Any]] = {}
        self.tokens: dict[str, str] = {}
        with app.extensions["tacase"]["sessions"]() as s:
            for user in s.scalars(select(User)):
                self.tokens[user.email] = auth_service.create_token(
                    s, Actor.for_user(user), FixedClock(AT), name="examples", days=30)[1]
            s.commit()

    def call(self, operation: str, who: str | None, method: str, path: str, *, json_body: Any = None,
             expect: int = 200, record: bool = True, client: FlaskClient | None = None,
             **kwargs: Any) -> Any:
        """Call as `who` with a token, or in `client`'s signed-in session when `who` is None."""
        client = client or self.app.test_client()
        headers = {"Authorization": f"Bearer {self.tokens[who]}"} if who else {}
        headers.update(kwargs.pop("headers", {}))
        response = client.open(f"{API}{path}", method=method, json=json_body, headers=headers, **kwargs)
        body = response.get_json(silent=True)
        if response.status_code != expect:
            sys.exit(f"{operation}: {method} {path} answered {response.status_code}, not {expect}: {body}")
        if record and json_body:
            self.examples.setdefault(operation, {})["request"] = _cut(json_body)
        if record and body is not None:
            self.examples.setdefault(operation, {}).setdefault("responses", {})[str(expect)] = _cut(body)
        return response


def record(app: Flask) -> dict[str, dict[str, Any]]:
    """Every operation once, in the order a request's life calls them."""
    rec = Recorder(app)
    state, reviewer, admin = "focal.fji@example.org", "reviewer@example.org", "admin@example.org"
    with app.extensions["tacase"]["sessions"]() as s:
        reviewer_id = s.scalar(select(User.id).where(User.email == reviewer))

    # Signing in, as a State's focal point (no two-factor code); most other calls use tokens.
    browser = app.test_client()
    login = rec.call("signIn", None, "POST", "/auth/login", client=browser,
                     json_body={"email": state, "password": DEMO_PASSWORD}).get_json()
    csrf = {"X-CSRFToken": login["csrf_token"]}
    rec.call("getCsrfToken", None, "GET", "/auth/csrf", client=browser)
    rec.call("getMe", state, "GET", "/me")
    enrolment = rec.call("startMfaEnrolment", None, "POST", "/auth/mfa", client=browser,
                         headers=csrf).get_json()
    rec.call("confirmMfaEnrolment", None, "POST", "/auth/mfa/confirm", client=browser, headers=csrf,
             json_body={"totp": pyotp.TOTP(enrolment["secret"]).at(AT)})

    rec.call("listTokens", state, "GET", "/tokens")
    token = rec.call("createToken", state, "POST", "/tokens", expect=201,
                     json_body={"name": "Ministry's case system", "expires_in_days": 90}).get_json()
    rec.call("revokeToken", state, "DELETE", f"/tokens/{token['id']}", expect=204)

    # A request's life: opened, completed, submitted, returned, answered.
    fields = complete_fields()
    later = {"expected_results": fields.pop("expected_results")}
    case = rec.call("openCase", state, "POST", "/cases", json_body={"type": "upr_fund", **fields},
                    expect=201).get_json()
    ref = case["reference"]
    etag = rec.call("getCase", state, "GET", f"/cases/{ref}").headers["ETag"]
    rec.call("editCase", state, "PATCH", f"/cases/{ref}", json_body=later, headers={"If-Match": etag})
    rec.call("listTransitions", state, "GET", f"/cases/{ref}/transitions")
    document = rec.call("uploadDocument", state, "POST", f"/cases/{ref}/documents", expect=201,
                        data={"file": (io.BytesIO(PNG), "chart.png")}).get_json()
    rec.call("listDocuments", state, "GET", f"/cases/{ref}/documents")
    rec.call("downloadDocument", state, "GET", f"/cases/{ref}/documents/{document['id']}")
    rec.call("setDocumentPublication", state, "PUT", f"/cases/{ref}/documents/{document['id']}/publication",
             json_body={"public": True})
    rec.call("setConsent", state, "PUT", f"/cases/{ref}/consent", json_body={"consent": True})
    rec.call("fireTransition", state, "POST", f"/cases/{ref}/transitions", json_body={"trigger": "submit"})
    rec.call("assignCase", reviewer, "PUT", f"/cases/{ref}/assignee", json_body={"assignee_id": reviewer_id})
    rec.call("addComment", reviewer, "POST", f"/cases/{ref}/comments", expect=201, json_body={
        "body": "Please send the indicators for the second result.", "visibility": "state"})
    rec.call("listComments", state, "GET", f"/cases/{ref}/comments")
    rec.call("fireTransition", state, "POST", f"/cases/{ref}/transitions", expect=409, record=False,
             json_body={"trigger": "submit"})
    rec.call("listCaseEvents", state, "GET", f"/cases/{ref}/events")
    rec.call("listCases", reviewer, "GET", "/cases", query_string={"status": "submitted", "per_page": 2})

    rec.call("listAuditEvents", admin, "GET", "/audit", query_string={"limit": 2})
    rec.call("verifyAuditChain", admin, "GET", "/audit/verify")
    rec.call("listWorkflows", state, "GET", "/workflows")
    rec.call("getWorkflow", state, "GET", "/workflows/upr_fund")
    rec.call("listStates", state, "GET", "/states")

    rec.call("listUsers", admin, "GET", "/users")
    user = rec.call("createUser", admin, "POST", "/users", expect=201, json_body={
        "email": "focal.fji.2@example.org", "roles": ["state_focal_point"], "state": "FJI",
        "display_name": "Mere (Fiji)", "password": "a long passphrase of the new focal point"}).get_json()
    rec.call("updateUser", admin, "PATCH", f"/users/{user['id']}",
             json_body={"display_name": "Mere T. (Fiji)"})
    rec.call("resetUserMfa", admin, "POST", f"/users/{reviewer_id}/mfa/reset")

    rec.call("getCalendar", state, "GET", "/calendar",
             query_string={"from": "2026-12-20", "to": "2026-12-31"})
    closure = rec.call("addClosure", admin, "POST", "/calendar/closures", expect=201,
                       json_body={"day": "2026-12-30", "reason": "Building works"}).get_json()
    rec.call("listClosures", admin, "GET", "/calendar/closures")
    rec.call("removeClosure", admin, "DELETE", f"/calendar/closures/{closure['id']}", expect=204)

    # A call for input: the focal point answers it and passes it on to a ministry.
    with app.extensions["tacase"]["sessions"]() as s:
        make_call(s, FixedClock(AT), key="needs-2026", audience=["FJI", "KEN"])
        s.commit()
    rec.call("listCalls", state, "GET", "/calls")
    rec.call("getCall", state, "GET", "/calls/needs-2026")
    etag = rec.call("getCallResponse", state, "GET", "/calls/needs-2026/response").headers["ETag"]
    rec.call("saveCallResponse", state, "PUT", "/calls/needs-2026/response", headers={"If-Match": etag},
             json_body={"answers": COMPLETE})
    plan = rec.call("uploadCallDocument", state, "POST", "/calls/needs-2026/documents", expect=201,
                    query_string={"question": "plan_file"},
                    data={"file": (io.BytesIO(PNG), "plan.png")}).get_json()
    rec.call("saveCallResponse", state, "PUT", "/calls/needs-2026/response", record=False,
             json_body={"answers": {"plan_file": plan["id"]}})
    submitted = rec.call("submitCallResponse", state, "POST", "/calls/needs-2026/response/submit",
                         json_body={"consent_to_publish": False}).get_json()
    rec.call("inviteToCall", state, "POST", "/calls/needs-2026/invitations", expect=201, json_body={
        "email": "planning@health.gov.fj", "ministry": "Ministry of Health", "respondent_type": "ministry"})
    rec.call("listCallInvitations", state, "GET", "/calls/needs-2026/invitations")
    # The office follows the call up, reads its results, reminds and reopens; an administrator writes one.
    reviewer = "reviewer2@example.org"  # the first reviewer's tokens ended with the reset of its MFA
    rec.call("getCallFollowup", reviewer, "GET", "/calls/needs-2026/followup")
    rec.call("getCallResults", reviewer, "GET", "/calls/needs-2026/results")
    rec.call("remindCallStates", reviewer, "POST", "/calls/needs-2026/reminders",
             json_body={"states": ["KEN"]})
    rec.call("reopenCallResponse", reviewer, "POST", f"/calls/needs-2026/responses/{submitted['id']}/reopen",
             json_body={"reason": "The ministry asked to correct its figures."})
    written = {**RAW, "key": "office-needs-2027", "opens_on": "2027-01-04", "closes_on": "2027-03-31"}
    rec.call("createCall", admin, "POST", "/calls", expect=201, json_body={"definition": written})
    rec.call("changeCall", admin, "PUT", "/calls/office-needs-2027",
             json_body={"definition": {**written, "closes_on": "2027-04-30"}})

    notifications = rec.call("listNotifications", state, "GET", "/notifications").get_json()
    for first in notifications["items"][:1]:
        rec.call("markNotificationRead", state, "POST", f"/notifications/{first['id']}/read")
    rec.call("getPreferences", state, "GET", "/me/preferences")
    rec.call("setPreferences", state, "PUT", "/me/preferences", json_body={"daily_digest": True})

    published = rec.call("listPublishedCases", state, "GET", "/public/cases",
                         query_string={"per_page": 2}).get_json()
    for first in published["items"][:1]:
        rec.call("getPublishedCase", state, "GET", f"/public/cases/{first['reference']}")
    rec.call("getPublicStatistics", state, "GET", "/public/statistics")
    rec.call("getRecordCounts", state, "GET", "/public/counts")
    rec.call("getDataDictionary", state, "GET", "/public/dictionary")
    rec.call("listPublicCalls", state, "GET", "/public/calls")
    rec.call("listPublicCallSubmissions", state, "GET", "/public/calls/hra-programme-2027/submissions",
             query_string={"per_page": 1})
    rec.call("signOut", None, "POST", "/auth/logout", client=browser, headers=csrf, expect=204)
    return rec.examples


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="tacase-examples-") as directory:
        url = f"sqlite:///{Path(directory) / 'examples.sqlite3'}"
        upgrade(url)
        config = load_config("testing", environ={"TACASE_DATABASE_URL": url,
                                                 "TACASE_DOCUMENTS_DIR": str(Path(directory) / "documents")})
        clock = FixedClock(AT)
        app = create_app(config, clock=clock)
        with app.extensions["tacase"]["sessions"]() as s:
            load_demo(s, clock)
            s.commit()
        examples = record(app)
        app.extensions["tacase"]["engine"].dispose()
        EXAMPLES_FILE.write_text(json.dumps(examples, indent=1, ensure_ascii=False, sort_keys=True) + "\n")
        print(f"{len(examples)} operations' examples written to {EXAMPLES_FILE.relative_to(ROOT)}")
        recorded.cache_clear()
        app = create_app(config, clock=clock)
        document = app.test_client().get(f"{API}/openapi.json").get_json()
        app.extensions["tacase"]["engine"].dispose()
    COPY.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n")
    print(f"the document's copy written to {COPY.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
