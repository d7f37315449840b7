"""A UPR Fund grant from draft to evaluation over HTTP, as the people involved would drive it:
cookie sessions with CSRF tokens, staff signing in with two-factor codes, ETags on edits, the
four-eyes rule at the decision, and the Board reading and verifying the record afterwards."""

from __future__ import annotations

from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import Account, World, complete_fields

API = "/api/v1"

INTERNAL_NOTE = "Internal: check the budget against the 2025 grant."
ASSESSMENT = "Sound plan; the budget is in line with comparable grants."
QUESTIONS = "Please give the indicators for the second expected result."
REPLY = "Indicators added: number of legal aid clinics opened."
TO_STATE = "Thank you, we are reviewing it."


class Person:
    """Someone signed in with a cookie session in a browser of their own."""

    def __init__(self, world: World, account: Account) -> None:
        self.account = account
        self.client: FlaskClient = world.app.test_client()
        data = world.login(self.client, account)
        self.user = data["user"]
        self.csrf = {"X-CSRFToken": data["csrf_token"]}

    def get(self, path: str, **kwargs: Any):
        return self.client.get(f"{API}{path}", **kwargs)

    def post(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None):
        return self.client.post(f"{API}{path}", json=body, headers={**self.csrf, **(headers or {})})

    def patch(self, path: str, body: dict[str, Any], headers: dict[str, str] | None = None):
        return self.client.patch(f"{API}{path}", json=body, headers={**self.csrf, **(headers or {})})

    def fire(self, reference: str, trigger: str, expect: int = 200, **data: Any) -> dict[str, Any]:
        r = self.post(f"/cases/{reference}/transitions", {"trigger": trigger, "data": data})
        assert r.status_code == expect, (trigger, r.get_json())
        return r.get_json()

    def events(self, reference: str) -> list[dict[str, Any]]:
        r = self.get(f"/cases/{reference}/events")
        assert r.status_code == 200, r.get_json()
        return r.get_json()


@pytest.fixture
def people(world):
    state = Person(world, world.account("state_focal_point", state="FJI"))
    # The reviewer holds the approver role too, so that only the four-eyes rule stops them.
    reviewer = Person(world, world.account("reviewer", "approver"))
    approver = Person(world, world.account("approver"))
    board = Person(world, world.account("board"))
    return state, reviewer, approver, board


def transitions_of(events: list[dict[str, Any]]) -> list[str]:
    return [e["data"]["trigger"] for e in events if e["action"] == "case.transition"]


def test_a_grant_from_draft_to_evaluation(world, people):
    state, reviewer, approver, board = people
    for person in (reviewer, approver, board):
        assert person.user["mfa_enabled"] and not person.user["mfa_enrolment_required"]

    # The State drafts the request and submits it.
    r = state.post("/cases", {"type": "upr_fund", **complete_fields()})
    assert r.status_code == 201, r.get_json()
    reference = r.get_json()["reference"]
    assert r.get_json()["status"] == "draft"
    assert [t["trigger"] for t in state.get(f"/cases/{reference}/transitions").get_json()] == [
        "submit", "withdraw"]
    case = state.fire(reference, "submit")
    assert case["status"] == "submitted"
    assert case["status_label"] == "Under review"

    # The reviewer finds it, notes something for colleagues, and asks the State a question.
    listed = reviewer.get("/cases", query_string={"status": "submitted"}).get_json()
    assert [c["reference"] for c in listed["items"]] == [reference]
    r = reviewer.post(f"/cases/{reference}/comments", {"body": INTERNAL_NOTE, "visibility": "internal"})
    assert r.status_code == 201, r.get_json()
    case = reviewer.fire(reference, "return_to_state", questions=QUESTIONS)
    assert case["status"] == "returned"

    # The State sees the question, edits a field from the version it read, and replies.
    r = state.get(f"/cases/{reference}")
    assert r.get_json()["status_label"] == "Awaiting your reply"
    returned = [e for e in state.events(reference) if e["action"] == "case.transition"][-1]
    assert returned["data"]["record"] == {"questions": QUESTIONS}
    assert returned["actor"] == {"kind": "office", "name": "OHCHR"}
    results = [{"result": "Legal aid law adopted", "indicators": ["law adopted", "clinics opened"]}]
    r = state.patch(f"/cases/{reference}", {"expected_results": results}, {"If-Match": r.headers["ETag"]})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["fields"]["expected_results"] == results
    assert state.fire(reference, "resubmit", reply=REPLY)["status"] == "submitted"

    # The reviewer records the review; holding the approver role does not let them decide too.
    assert reviewer.fire(reference, "review", assessment=ASSESSMENT, recommendation="approve"
                         )["status"] == "reviewed"
    refused = reviewer.fire(reference, "approve", expect=409,
                            approved_amount={"amount": "45000.00", "currency": "USD"})
    assert refused["code"] == "guard_failed"
    assert [g["guard"] for g in refused["guards"]] == ["four_eyes"]
    available = {t["trigger"]: t for t in reviewer.get(f"/cases/{reference}/transitions").get_json()}
    assert available["approve"]["ready"] is False

    # Another approver decides.
    case = approver.fire(reference, "approve", approved_amount={"amount": "45000.00", "currency": "USD"},
                         conditions="Report on the clinics within six months.")
    assert case["status"] == "approved"

    # The reviewer records delivery and the evaluation; the case closes.
    case = reviewer.fire(reference, "deliver", start_date="2026-06-01", end_date="2026-11-30",
                         activities="Three workshops and a review of the draft law.",
                         amount={"amount": "44250.00", "currency": "USD"})
    assert case["status"] == "delivered"
    case = reviewer.fire(reference, "evaluate", rating="satisfactory",
                         findings="The law was adopted; two clinics opened.")
    assert case["status"] == "evaluated"
    assert case["closed_at"] is not None
    assert reviewer.get(f"/cases/{reference}/transitions").get_json() == []

    # The Board reads the history and verifies the audit chain.
    everything = ["submit", "return_to_state", "resubmit", "review", "approve", "deliver", "evaluate"]
    events = board.events(reference)
    assert [e["action"] for e in events] == [
        "case.created", "case.transition", "comment.added", "case.transition", "case.updated",
        *["case.transition"] * 5]
    assert transitions_of(events) == everything
    r = board.get("/audit", query_string={"case": reference})
    assert r.status_code == 200, r.get_json()
    audit = r.get_json()["items"]
    assert [e["seq"] for e in audit] == [e["seq"] for e in events]
    assert all(e["case"]["reference"] == reference for e in audit)
    assert [e["data"]["trigger"] for e in audit if e["action"] == "case.transition"] == everything
    by_trigger = {e["data"]["trigger"]: e for e in audit if e["action"] == "case.transition"}
    assert by_trigger["approve"]["actor"]["id"] == approver.account.id
    assert by_trigger["review"]["actor"]["id"] == reviewer.account.id
    assert by_trigger["approve"]["data"]["record"]["approved_amount"] == {
        "amount": "45000.00", "currency": "USD"}
    verification = board.get("/audit/verify").get_json()
    assert verification["ok"] is True
    assert verification["head"] == audit[-1]["hash"]  # nothing was logged after the evaluation
    assert verification["events"] >= len(audit)
    assert verification["verified_from"] == 0 and verification["last_full_verification"] is None
    full = board.get("/audit/verify?full=true").get_json()
    assert full["ok"] and full["verified_from"] == 0 and full["head"] == verification["head"]

    # The Board reads but does not act.
    r = board.post(f"/cases/{reference}/comments", {"body": "Well done"})
    assert r.status_code == 403


@pytest.fixture
def reviewed_case(people) -> str:
    """A case reviewed (with an internal note and a comment to the State) and not yet decided."""
    state, reviewer, _, _ = people
    reference = state.post("/cases", {"type": "upr_fund", **complete_fields()}).get_json()["reference"]
    state.fire(reference, "submit")
    assert reviewer.post(f"/cases/{reference}/comments",
                         {"body": INTERNAL_NOTE, "visibility": "internal"}).status_code == 201
    assert reviewer.post(f"/cases/{reference}/comments",
                         {"body": TO_STATE, "visibility": "state"}).status_code == 201
    reviewer.fire(reference, "review", assessment=ASSESSMENT, recommendation="approve")
    return reference


def test_the_state_sees_neither_internal_comments_nor_the_assessment(people, reviewed_case):
    state, *_ = people
    events = state.events(reviewed_case)
    assert INTERNAL_NOTE not in str(events)
    assert ASSESSMENT not in str(events)
    comments = [e for e in events if e["action"] == "comment.added"]
    assert [c["data"]["body"] for c in comments] == [TO_STATE]
    (review,) = [e for e in events if e["action"] == "case.transition" and e["data"]["trigger"] == "review"]
    assert review["data"]["record"] == {}
    assert review["data"]["to_label"] == "Awaiting decision"
    assert review["actor"] == {"kind": "office", "name": "OHCHR"}
    listed = state.get(f"/cases/{reviewed_case}/comments").get_json()
    assert [c["body"] for c in listed] == [TO_STATE]
    assert all(c["author"] == {"kind": "office", "name": "OHCHR"} for c in listed)


def test_the_reviewer_sees_the_whole_history(people, reviewed_case):
    _, reviewer, _, _ = people
    events = reviewer.events(reviewed_case)
    bodies = [e["data"]["body"] for e in events if e["action"] == "comment.added"]
    assert bodies == [INTERNAL_NOTE, TO_STATE]
    (review,) = [e for e in events if e["action"] == "case.transition" and e["data"]["trigger"] == "review"]
    assert review["data"]["record"] == {"assessment": ASSESSMENT, "recommendation": "approve"}
    assert review["actor"]["id"] == reviewer.account.id
    listed = reviewer.get(f"/cases/{reviewed_case}/comments").get_json()
    assert [c["visibility"] for c in listed] == ["internal", "state"]


def test_a_state_cannot_see_another_states_case(world, people, reviewed_case):
    other = Person(world, world.account("state_focal_point", state="WSM"))
    assert other.get(f"/cases/{reviewed_case}").status_code == 404
    assert other.get(f"/cases/{reviewed_case}/events").status_code == 404
    assert other.get("/cases").get_json()["total"] == 0


def test_the_reviewer_may_not_approve_even_when_only_approving(people, reviewed_case):
    """Approval is refused to the reviewer whatever they record, and nothing is logged for it."""
    _, reviewer, _, board = people
    before = board.get("/audit", query_string={"case": reviewed_case}).get_json()["items"]
    r = reviewer.post(f"/cases/{reviewed_case}/transitions",
                      {"trigger": "reject", "data": {"reason": "changed my mind"}})
    assert r.status_code == 409
    assert r.get_json()["code"] == "guard_failed"
    after = board.get("/audit", query_string={"case": reviewed_case}).get_json()["items"]
    assert after == before
    assert reviewer.get(f"/cases/{reviewed_case}").get_json()["status"] == "reviewed"


def test_a_transition_that_records_too_little_or_comes_too_early_is_refused(people, reviewed_case):
    _, reviewer, approver, _ = people
    r = approver.post(f"/cases/{reviewed_case}/transitions", {"trigger": "approve", "data": {}})
    assert r.status_code == 422
    assert "approved_amount" in r.get_json()["errors"]
    r = approver.post(f"/cases/{reviewed_case}/transitions", {"trigger": "evaluate", "data": {}})
    assert r.status_code == 403  # not the approver's to fire at all
    r = reviewer.post(f"/cases/{reviewed_case}/transitions", {"trigger": "deliver", "data": {}})
    assert r.status_code == 409
    assert r.get_json()["code"] == "transition_not_allowed"
    assert set(r.get_json()["allowed"]) == {"return_to_state", "approve", "reject"}


def test_the_audit_of_an_unknown_case_is_empty(people, reviewed_case):
    *_, board = people
    r = board.get("/audit", query_string={"case": "UPR-2099-9999"})
    assert r.status_code == 200
    assert r.get_json() == {"items": [], "next_cursor": None}
    known = board.get("/audit", query_string={"case": reviewed_case}).get_json()["items"]
    assert known and all(e["case"]["reference"] == reviewed_case for e in known)


def test_a_grant_of_the_upr_fund_is_paid_from_it_without_being_asked(people):
    state = people[0]
    fields = {k: v for k, v in complete_fields().items() if k != "funding_source"}
    r = state.post("/cases", {"type": "upr_fund", **fields})
    assert r.status_code == 201, r.get_json()
    body = r.get_json()
    assert body["fields"]["funding_source"] == "upr_fund"
    reference = body["reference"]
    refused = state.patch(f"/cases/{reference}", {"funding_source": "vftc"},
                          headers={"If-Match": state.get(f"/cases/{reference}").headers["ETag"]})
    assert refused.status_code == 422 and "funding_source" in refused.get_json()["errors"], refused.get_json()
    assert state.fire(reference, "submit")["status"] == "submitted"
