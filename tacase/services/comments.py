"""Comments on a case: internal to the office, or addressed to the State."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Comment
from tacase.services import audit_log
from tacase.services.access import CASE_WORKERS, speaks_for_state
from tacase.services.actors import Actor
from tacase.services.cases import get_case
from tacase.services.clock import Clock
from tacase.services.errors import Forbidden, ValidationFailed

VISIBILITIES = ("internal", "state")
MAX_BODY = 8000


def add_comment(
    session: Session, actor: Actor, clock: Clock, reference: str, body: str,
    visibility: str | None = None,
) -> Comment:
    """Without a visibility, staff comments stay internal: only a deliberate choice reaches the State."""
    case = get_case(session, actor, reference)
    office = bool(actor.roles & CASE_WORKERS)
    if visibility is None:
        visibility = "internal" if office else "state"
    if not office and not speaks_for_state(actor, case):
        raise Forbidden("only OHCHR staff and the requesting State may comment")
    errors: dict[str, list[str]] = {}
    if visibility not in VISIBILITIES:
        errors["visibility"] = ["must be 'internal' or 'state'"]
    elif visibility == "internal" and not office:
        errors["visibility"] = ["a State's comments are always visible to the State"]
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        errors["body"] = [f"must be text of 1 to {MAX_BODY} characters"]
    if errors:
        raise ValidationFailed(errors)
    now = clock()
    comment = Comment(case_id=case.id, author_id=actor.id, visibility=visibility, body=body.strip(),
                      created_at=now)
    session.add(comment)
    session.flush()
    audit_log.record(session, actor, now, "comment.added", case, {
        "comment_id": comment.id, "visibility": visibility, "body": comment.body,
    })
    return comment


def list_comments(session: Session, actor: Actor, reference: str) -> list[Comment]:
    case = get_case(session, actor, reference)
    query = select(Comment).where(Comment.case_id == case.id).order_by(Comment.created_at, Comment.id)
    if actor.is_state_user:
        query = query.where(Comment.visibility == "state")
    return list(session.scalars(query))
