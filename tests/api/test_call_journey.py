"""A call for input from end to end, as its users meet it: an administrator writes it, a focal point
invites two ministries, both answer (one after the closing date), the scheduler reminds the State that
has not answered, and the office reads the counted results and the export."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tacase.db.models import AuditEvent, OutboxMessage, User
from tacase.services import auth as auth_service
from tacase.services.actors import Actor
from tacase.services.calls import invitations, reminders
from tests.api.conftest import PASSWORD


def _l(text: str) -> dict[str, str]:
    return {"en": text, "fr": f"{text} (fr)", "es": f"{text} (es)"}


CALL = {
    "key": "journey-2026", "version": 1, "kind": "questionnaire", "title": _l("Needs on the right to work"),
    "introduction": _l("Tell us what your ministries need."), "audience": ["FJI", "KEN"],
    "opens_on": "2026-03-01", "closes_on": "2026-03-13", "late_responses": "accept", "submitted_by": "each",
    "reminders": [7], "questions": [
        {"key": "has_plan", "type": "yes_no", "label": _l("Is there a plan?"), "required": True},
        {"key": "areas", "type": "choices", "label": _l("Areas"), "options": [
            {"value": "wages", "label": _l("Wages")}, {"value": "safety", "label": _l("Safety at work")}]},
        {"key": "staff", "type": "number", "label": _l("Inspectors"), "min": 0},
    ],
}


def _api(client, method: str, path: str, account, body=None, expect: int = 200):
    response = client.open(f"/api/v1{path}", method=method, json=body, headers=account.auth)
    assert response.status_code == expect, (method, path, response.get_json())
    return response


def _accept(world, link: str, name: str):
    """The colleague opens the link and chooses a password; it gets a token for the API."""
    token = link.rsplit("/", 1)[-1]
    with world.sessions() as s:
        user, _ = invitations.accept(s, world.clock, token, display_name=name, password=PASSWORD)
        _, secret = auth_service.create_token(s, Actor.for_user(user), world.clock, name="tests", days=30)
        s.commit()
    return type("Colleague", (), {"auth": {"Authorization": f"Bearer {secret}"}, "id": user.id})


def test_a_call_from_the_administrator_to_the_results(world, client):
    admin, fiji = world.account("admin"), world.account("state_focal_point", state="FJI")
    kenya, reviewer = world.account("state_focal_point", state="KEN"), world.account("reviewer")

    written = _api(client, "POST", "/calls", admin, {"definition": CALL}, expect=201).get_json()
    assert written["version"] == 1 and written["outcome"] == "added"

    links = {}
    colleagues = (("Ministry of Labour", "labour@gov.fj"), ("Ministry of Finance", "finance@gov.fj"))
    for ministry, email in colleagues:
        invited = _api(client, "POST", "/calls/journey-2026/invitations", fiji, expect=201, body={
            "email": email, "ministry": ministry, "respondent_type": "ministry"}).get_json()
        links[ministry] = invited["link"]
    labour = _accept(world, links["Ministry of Labour"], "Losa")
    finance = _accept(world, links["Ministry of Finance"], "Filimoni")
    with world.sessions() as s:
        assert not s.get(User, labour.id).roles  # an account for this call only

    # The labour ministry answers on time.
    world.clock.advance(days=2)
    _api(client, "PUT", "/calls/journey-2026/response", labour,
         {"answers": {"has_plan": True, "areas": ["wages", "safety"], "staff": 40}})
    on_time = _api(client, "POST", "/calls/journey-2026/response/submit", labour, {}).get_json()
    assert on_time["late"] is False and on_time["status"] == "submitted"

    # A week before the closing date the scheduler reminds Kenya, which has not answered, once.
    world.clock.advance(days=5)
    with world.sessions() as s:
        reminders.send_due_reminders(s, world.clock)
        reminders.send_due_reminders(s, world.clock)
        s.commit()
        mails = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "call_reminder")).all()
    kenya_email = world.user_row(kenya.id).email
    assert [m.to_address for m in mails] == [kenya_email]

    # The finance ministry answers after the closing date: accepted, and marked late.
    world.clock.advance(days=10)
    _api(client, "PUT", "/calls/journey-2026/response", finance,
         {"answers": {"has_plan": False, "staff": 12}})
    late = _api(client, "POST", "/calls/journey-2026/response/submit", finance, {}).get_json()
    assert late["late"] is True

    # The office reads the answers counted, and every response in the export.
    results = _api(client, "GET", "/calls/journey-2026/results", reviewer).get_json()
    by_key = {q["key"]: q for q in results["questions"]}
    assert {o["value"]: o["count"] for o in by_key["has_plan"]["options"]} == {"yes": 1, "no": 1}
    assert by_key["staff"]["sum"] in (52, "52", 52.0)
    exported = _api(client, "GET", "/calls/journey-2026/export.csv", reviewer).get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(exported.lstrip("\ufeff"))))
    assert sorted((r["organisation"], r["late"]) for r in rows) == [("Ministry of Finance", "yes"),
                                                                    ("Ministry of Labour", "no")]

    with world.sessions() as s:
        actions = [a for a in s.scalars(select(AuditEvent.action)) if a.startswith("call.")]
    for action in ("call.written", "call.invitation_sent", "call.invitation_accepted",
                   "call.response_submitted", "call.reminder_sent"):
        assert action in actions, action
