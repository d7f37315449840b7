"""Comments on a case: internal to the office, or addressed to the State."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import Case, Comment
from tacase.services import audit_log
from tacase.services.access import CASE_WORKERS, speaks_for_state
from tacase.services.actors import Actor
from tacase.services.cases import definition_of, get_case
from tacase.services.clock import Clock
from tacase.services.errors import Conflict, Forbidden, ValidationFailed

VISIBILITIES = ("internal", "state")
MAX_BODY = 8000
# The evaluation's record field that holds what the State said of the assistance.
FEEDBACK_FIELD = "state_feedback"


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


def awaits_feedback(session: Session, case: Case) -> bool:
    """Whether the case now awaits an evaluation that records the State's feedback."""
    definition = definition_of(session, case)
    return any(spec.name == FEEDBACK_FIELD for t in definition.transitions_from(case.status)
               for spec in t.record)


def give_feedback(session: Session, actor: Actor, clock: Clock, reference: str, body: str) -> Comment:
    """The State's view of the assistance, while the case awaits its evaluation. It reaches the
    office as a comment of its own kind, and the evaluation form offers it as the State's feedback."""
    case = get_case(session, actor, reference)
    if not speaks_for_state(actor, case):
        raise Forbidden("only the requesting State's focal points give feedback")
    if not awaits_feedback(session, case):
        raise Conflict(f"case {case.reference} is {case.status}: feedback is given while it awaits "
                       "evaluation",
                       current_version=case.version, current_status=case.status)
    if not isinstance(body, str) or not body.strip() or len(body) > MAX_BODY:
        raise ValidationFailed({"body": [f"must be text of 1 to {MAX_BODY} characters"]})
    now = clock()
    comment = Comment(case_id=case.id, author_id=actor.id, visibility="state", kind="feedback",
                      body=body.strip(), created_at=now)
    session.add(comment)
    session.flush()
    audit_log.record(session, actor, now, "comment.added", case, {
        "comment_id": comment.id, "visibility": "state", "kind": "feedback", "body": comment.body,
    })
    return comment


def latest_feedback(session: Session, case_id: int) -> str | None:
    return session.scalar(select(Comment.body).where(Comment.case_id == case_id, Comment.kind == "feedback")
                          .order_by(Comment.created_at.desc(), Comment.id.desc()).limit(1))


def list_comments(session: Session, actor: Actor, reference: str) -> list[Comment]:
    case = get_case(session, actor, reference)
    query = select(Comment).where(Comment.case_id == case.id).order_by(Comment.created_at, Comment.id)
    if actor.is_state_user:
        query = query.where(Comment.visibility == "state")
    return list(session.scalars(query))
