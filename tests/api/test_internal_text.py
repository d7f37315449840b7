"""What the office writes for itself never reaches the State: the authorization matrix for text.

A unique marker is planted in every place OHCHR staff can write something internal: comments
(internal, and without a visibility, through the API and the pages), the comment given with each
of the office's transitions (through the API and the pages), and recorded fields the workflow marks
`visible_to_state: false` (the review's assessment). Then the State's focal point reads every GET
route of the URL map, API and pages, for each case; its notifications; and every mail written for it.
No marker may appear. The routes come from the app, so a new one is read without editing this test;
a route with a path parameter this test cannot fill fails it, until someone says what to fill.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterator
from itertools import count, product
from typing import Any

import pytest
from sqlalchemy import select

from tacase.db.models import Notification, OutboxMessage
from tacase.services import notifications, outbox
from tests.api.conftest import Account, World, complete_fields, hidden_fields, world_on
from tests.api.test_authorization_matrix import RULE_VARIABLE

API = "/api/v1"
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
_serial = count(1)


def marker(place: str) -> str:
    return f"INTERNAL{next(_serial):03d}{place.upper().replace(' ', '')}MARK"


class Staff:
    """An office account acting over the API with its token."""

    def __init__(self, world: World, account: Account) -> None:
        self.client, self.auth = world.app.test_client(), account.auth

    def call(self, method: str, path: str, body: Any = None, expect: int = 200) -> Any:
        response = self.client.open(f"{API}{path}", method=method, json=body, headers=self.auth)
        assert response.status_code == expect, (method, path, response.get_json())
        return response.get_json()

    def fire(self, reference: str, trigger: str, comment: str, **data: Any) -> None:
        self.call("POST", f"/cases/{reference}/transitions",
                  {"trigger": trigger, "comment": comment, "data": data})


class Planted:
    """Cases of one State carried through every step, with markers wherever the office writes."""

    def __init__(self, world: World) -> None:
        self.world, self.app = world, world.app
        self.focal = world.account("state_focal_point", state="FJI")
        reviewer = Staff(world, world.account("reviewer"))
        approver = Staff(world, world.account("approver"))
        self.reviewer_account = world.account("reviewer")
        state = Staff(world, self.focal)
        self.markers: list[str] = []
        self.cases: list[str] = []

        def mark(place: str) -> str:
            self.markers.append(text := marker(place))
            return text

        def new_case() -> str:
            reference = state.call("POST", "/cases", {"type": "upr_fund", **complete_fields()},
                                   expect=201)["reference"]
            state.fire(reference, "submit", "Sent by the Mission")
            self.cases.append(reference)
            return reference

        # The whole way, over the API.
        full = new_case()
        reviewer.call("POST", f"/cases/{full}/comments", {"body": mark("internal comment"),
                                                           "visibility": "internal"}, expect=201)
        reviewer.call("POST", f"/cases/{full}/comments", {"body": mark("default comment")}, expect=201)
        reviewer.fire(full, "return_to_state", mark("return comment"), questions="Which indicators?")
        state.fire(full, "resubmit", "Our reply", reply="Indicators added")
        reviewer.fire(full, "review", mark("review comment"), assessment=mark("assessment"),
                      recommendation="approve")
        approver.fire(full, "approve", mark("approve comment"),
                      approved_amount={"amount": "40000.00", "currency": "USD"})
        reviewer.fire(full, "deliver", mark("deliver comment"), start_date="2026-06-01",
                      end_date="2026-06-30", activities="Workshops held",
                      amount={"amount": "39000.00", "currency": "USD"})
        reviewer.fire(full, "evaluate", mark("evaluate comment"), rating="satisfactory",
                      findings="Useful workshops")
        self.document = self._upload(full)
        # Rejected, over the API.
        rejected = new_case()
        reviewer.fire(rejected, "review", mark("review comment"), assessment=mark("assessment"),
                      recommendation="reject")
        approver.fire(rejected, "reject", mark("reject comment"), reason="Outside the fund's scope")
        # Through the pages: an internal comment, and the comment of a step.
        paged = new_case()
        self._through_pages(paged, mark("page comment"), mark("page step comment"))

    def _upload(self, reference: str) -> int:
        response = self.app.test_client().post(
            f"{API}/cases/{reference}/documents", headers=self.focal.auth,
            data={"file": (io.BytesIO(PDF), "plan.pdf")})
        assert response.status_code == 201, response.get_json()
        return response.get_json()["id"]

    def _through_pages(self, reference: str, comment: str, step_comment: str) -> None:
        client = self.app.test_client()
        self.world.login(client, self.reviewer_account)
        page = client.get(f"/cases/{reference}").get_data(as_text=True)
        form = _form_with(page, f"/cases/{reference}/comments")
        response = client.post(f"/cases/{reference}/comments", data={**form, "body": comment})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]
        action = f"/cases/{reference}/actions/return_to_state"
        page = client.get(action).get_data(as_text=True)
        assert "Only OHCHR staff see this comment" in page  # the form says who reads it
        response = client.post(action, data={**_form_with(page, action), "questions": "Budget detail?",
                                             "step_comment": step_comment})
        assert response.status_code == 303, response.get_data(as_text=True)[:500]


def _form_with(page: str, action: str) -> dict[str, str]:
    """The hidden fields of the form on `page` that posts to `action` (or of the page's only form)."""
    forms = re.findall(r'<form[^>]*action="([^"]*)"[^>]*>(.*?)</form>', page, re.S)
    body = next((inner for target, inner in forms if target == action), None)
    if body is None:  # a form posting to its own address
        body = re.search(r"<form[^>]*>(.*?)</form>", page.split("</header>", 1)[-1], re.S).group(1)
    return hidden_fields(body)


@pytest.fixture(scope="module")
def planted(module_db) -> Iterator[Planted]:
    with world_on(module_db) as world:
        yield Planted(world)


def _fillings(planted: Planted, rule: str) -> list[dict[str, Any]]:
    """Every way this test fills the rule's path parameters: each case, each trigger, ..."""
    workflow = planted.app.extensions["tacase"]["runtime"].workflows.current["upr_fund"]
    choices: dict[str, list[Any]] = {
        "reference": planted.cases, "document_id": [planted.document],
        "trigger": list(workflow.triggers()), "wtype": ["upr_fund"],
        "filename": ["web/tacase.css", "swagger-ui.css"], "code": ["FJI"], "name": ["stages", "monthly"],
        "fmt": ["html", "csv"],  # the reports' files
        "key": ["escr-needs-2026"], "qkey": ["has_plan"],  # a call for input and one of its questions
        # Ids of things a State never reaches: its answer must carry no marker either.
        "user_id": [1], "token_id": [1], "closure_id": [1], "notification_id": [1],
    }
    names = RULE_VARIABLE.findall(rule)
    unknown = [n for n in names if n not in choices]
    assert not unknown, f"{rule}: say in _fillings what to read for {unknown}"
    return [dict(zip(names, values, strict=True)) for values in product(*(choices[n] for n in names))]


def _leaks(text: str, markers: list[str]) -> list[str]:
    return [m for m in markers if m in text]


def test_the_markers_are_where_the_office_can_read_them(planted):
    """The office sees what it wrote: a test that plants nothing would pass the next one."""
    staff = planted.world.account("reviewer")
    client = planted.app.test_client()
    seen = ""
    for reference in planted.cases:
        for path in (f"/cases/{reference}/events", f"/cases/{reference}/comments"):
            seen += client.get(f"{API}{path}", headers=staff.auth).get_data(as_text=True)
    assert sorted(_leaks(seen, planted.markers)) == sorted(planted.markers)


def test_no_route_shows_the_state_what_the_office_wrote_for_itself(planted):
    browser = planted.app.test_client()
    planted.world.login(browser, planted.focal)  # the pages with a session, as a person reads them
    api = planted.app.test_client()
    found = []
    for rule in planted.app.url_map.iter_rules():
        if "GET" not in rule.methods:
            continue
        for filling in _fillings(planted, rule.rule):
            path = RULE_VARIABLE.sub(lambda m, f=filling: str(f[m.group(1)]), rule.rule)
            client, headers = (api, planted.focal.auth) if path.startswith(API) else (browser, {})
            for query in ("", "?per_page=100", "?q=MARK"):
                response = client.get(path + query, headers=headers)
                leaked = _leaks(response.get_data(as_text=True), planted.markers)
                response.close()
                if leaked:
                    found.append(f"GET {path}{query}: {leaked}")
    assert not found, "internal text reached the State:\n" + "\n".join(found)


def test_the_state_reads_the_comments_of_its_own_steps(planted):
    events = planted.app.test_client().get(f"{API}/cases/{planted.cases[0]}/events",
                                           headers=planted.focal.auth)
    comments = [e["data"].get("comment") for e in events.get_json() if e["action"] == "case.transition"]
    assert "Sent by the Mission" in comments and "Our reply" in comments


def test_no_notification_or_mail_tells_the_state_what_the_office_wrote_for_itself(planted):
    client = planted.app.test_client()
    listed = client.get(f"{API}/notifications?limit=100", headers=planted.focal.auth)
    assert listed.status_code == 200 and listed.get_json()["items"], "the State was told of nothing"
    assert not _leaks(listed.get_data(as_text=True), planted.markers)
    with planted.world.sessions() as s:
        # What is stored (the facts) and what will be read (the words written from them).
        stored = s.scalars(select(OutboxMessage).where(OutboxMessage.recipient_id == planted.focal.id))
        mails = [[json.dumps(m.facts), w.subject, w.body_text, w.body_html]
                 for m, w in ((m, outbox.written(m)) for m in stored)]
        notes = [[n.title, json.dumps(n.facts), notifications.notification_body(n)]
                 for n in s.scalars(select(Notification).where(Notification.user_id == planted.focal.id))]
    assert mails and notes
    for row in [*mails, *notes]:
        assert not _leaks(" ".join(row), planted.markers), row
