"""What the deadline sweep did shows on the case in the API, and the overdue filter finds it."""

from __future__ import annotations

import datetime as dt

from tacase.services.clock import FixedClock
from tacase.services.deadline_sweep import sweep_deadlines
from tests.api.conftest import complete_fields

API = "/api/v1"


def test_reminded_overdue_and_escalated_show_on_the_case(world, client):
    focal = world.account("state_focal_point", state="FJI")
    reviewer = world.account("reviewer")
    ref = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()},
                      headers=focal.auth).get_json()["reference"]
    submitted = client.post(f"{API}/cases/{ref}/transitions", json={"trigger": "submit"},
                            headers=focal.auth).get_json()
    due = dt.datetime.fromisoformat(submitted["due_at"])
    assert submitted["overdue"] is False and submitted["reminded_at"] is None
    assert client.get(f"{API}/cases?overdue=true", headers=reviewer.auth).get_json()["total"] == 0

    for moment in (due - dt.timedelta(days=2), due + dt.timedelta(days=8)):
        with world.sessions() as s:
            sweep_deadlines(s, FixedClock(moment))
            s.commit()
    world.clock.now = due + dt.timedelta(days=8)
    case = client.get(f"{API}/cases/{ref}", headers=reviewer.auth).get_json()
    assert case["overdue"] is True
    assert case["reminded_at"] and case["overdue_at"] and case["escalated_at"]
    listed = client.get(f"{API}/cases?overdue=true", headers=reviewer.auth).get_json()
    assert [c["reference"] for c in listed["items"]] == [ref]
    assert listed["items"][0]["escalated_at"] == case["escalated_at"]
    # The State sees that its request is late, not the office's internal escalation.
    mine = client.get(f"{API}/cases/{ref}", headers=focal.auth).get_json()
    assert mine["overdue"] is True and mine["escalated_at"] is None
    assert client.get(f"{API}/cases?overdue=false", headers=reviewer.auth).get_json()["total"] == 0
