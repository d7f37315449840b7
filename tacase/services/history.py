"""A case's history as the asking user may see it, read from the audit log itself."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import AuditEvent, Comment
from tacase.services.actors import Actor
from tacase.services.cases import definition_of, get_case
from tacase.services.people import SYSTEM, as_seen_by

# What a State's users see of the office's work on their case; assignment and internal comments
# stay inside the office.
STATE_ACTIONS = frozenset({"case.created", "case.updated", "case.transition", "comment.added"})
MAX_EVENTS = 2000


def case_events(session: Session, actor: Actor, reference: str) -> list[dict[str, Any]]:
    case = get_case(session, actor, reference)
    definition = definition_of(session, case)
    rows = session.execute(
        select(AuditEvent.seq, AuditEvent.at, AuditEvent.action, AuditEvent.actor_id, AuditEvent.body)
        .where(AuditEvent.case_id == case.id).order_by(AuditEvent.seq).limit(MAX_EVENTS)
    ).all()
    people = as_seen_by(session, actor, (r.actor_id for r in rows))
    state_view = actor.is_state_user
    internal_comments: set[int] = set()
    if state_view:
        internal_comments = set(session.scalars(
            select(Comment.id).where(Comment.case_id == case.id, Comment.visibility == "internal")))
    events = []
    for row in rows:
        data = json.loads(row.body)["data"]
        if state_view:
            if row.action not in STATE_ACTIONS:
                continue
            if row.action == "comment.added" and data.get("comment_id") in internal_comments:
                continue
            data = _for_state(definition, row.action, data)
        who = people.get(row.actor_id, SYSTEM)
        events.append({"seq": row.seq, "at": row.at, "action": row.action, "actor": who, "data": data})
    return events


def _for_state(definition: Any, action: str, data: dict[str, Any]) -> dict[str, Any]:
    """Drop what the workflow marks as not for the State, and use the public names of states."""
    if action != "case.transition":
        if action == "case.created":
            return {k: v for k, v in data.items() if k != "workflow"}
        return data
    transition = definition.transition(data.get("trigger"), data.get("from"))
    hidden = {f.name for f in transition.record if not f.visible_to_state} if transition else set()
    record = {k: v for k, v in (data.get("record") or {}).items() if k not in hidden}
    states = definition.states
    out = {
        "trigger": data.get("trigger"), "record": record,
        "from": data.get("from"), "to": data.get("to"),
        "from_label": states[data["from"]].public_label if data.get("from") in states else None,
        "to_label": states[data["to"]].public_label if data.get("to") in states else None,
        "due_at": data.get("due_at") if data.get("due_party") == "state" else None,
    }
    # The comment given with a step is the office's own unless the workflow shows it to the State.
    if transition is not None and transition.comment_visible_to_state:
        out["comment"] = data.get("comment")
    return out
