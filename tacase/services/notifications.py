"""Who hears what, written in the transaction of the change it tells about.

Every recipient gets an in-app `Notification` and a mail in the outbox: "pending" to go out at once,
or "digest" to wait for the daily summary when the user asked for one. Both commit with the change
or not at all; the outbox job delivers after commit.

Who hears what:

- The State's focal points (active users holding state_focal_point for the case's State): every
  status change they can see, i.e. whose public label changes, with the public labels only;
  information requests (entering a step on the State's clock) with what the transition recorded
  for the State and the reply's due date; their own reply deadlines (state_reminder, last_notice).
  Transition comments and fields marked visible_to_state: false never go to them. The person who
  made a change is not told about it.
- The assignee: assignment (unless they took the case themselves), reminder, overdue. An
  unassigned case's reminder and overdue go to every active reviewer or approver whose role may act
  on the current step: an unassigned step is the one most likely to slip, and silence would let it.
- Approvers: escalation.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from tacase.db.models import Case, Notification, OutboxMessage, User, UserRole
from tacase.engine.definitions import WorkflowDefinition
from tacase.engine.fields import FieldSpec, is_blank
from tacase.engine.roles import APPROVER, REVIEWER, STATE_FOCAL_POINT
from tacase.reference import requesting_state
from tacase.services.actors import Actor
from tacase.services.cases import definition_of
from tacase.services.clock import Clock
from tacase.services.errors import Forbidden, NotFound, ValidationFailed
from tacase.services.messages import (
    REASON_APPROVER,
    REASON_ASSIGNEE,
    REASON_FOCAL_POINT,
    REASON_UNASSIGNED,
    MailContext,
    context_from,
    facts_of,
    render_note,
    render_subject,
    translate,
)
from tacase.services.outbox import gather_digests
from tacase.services.runtime import runtime_of

DEADLINE_KINDS = ("reminder", "overdue", "escalation", "state_reminder", "last_notice")
OFFICE_ACTORS = frozenset({REVIEWER, APPROVER})
MAX_PAGE = 100


# --- who ---------------------------------------------------------------------------------------

def _active_users(session: Session, roles: Iterable[str], state_code: str | None = None) -> list[User]:
    holders = select(UserRole.user_id).where(UserRole.role.in_(sorted(roles)))
    # Their roles are what selected them: not loaded again with each user.
    query = (select(User).where(User.is_active.is_(True), User.id.in_(holders))
             .options(lazyload(User.role_rows)))
    if state_code is not None:
        query = query.where(User.state_code == state_code)
    return list(session.scalars(query.order_by(User.id)))


def _focal_points(session: Session, case: Case) -> list[User]:
    return _active_users(session, [STATE_FOCAL_POINT], case.state_code)


def _active_user(session: Session, user_id: int | None) -> User | None:
    user = session.get(User, user_id) if user_id is not None else None
    return user if user is not None and user.is_active else None


def _office_for_step(session: Session, case: Case, definition: WorkflowDefinition) -> list[User]:
    """Reviewers and approvers whose role may fire a transition from the case's current status."""
    roles = {r for t in definition.transitions_from(case.status) for r in t.roles} & OFFICE_ACTORS
    return _active_users(session, roles or {REVIEWER})


# --- what --------------------------------------------------------------------------------------

def _link(session: Session, case: Case) -> str:
    return f"{runtime_of(session).public_url.rstrip('/')}/cases/{quote(case.reference)}"


def _state_reason(case: Case, locale: str) -> str:
    state = requesting_state(case.state_code)
    name = state.name(locale) if state is not None else case.state_code
    return translate(locale, REASON_FOCAL_POINT, state=name)


def _context(session: Session, case: Case, definition: WorkflowDefinition, kind: str, audience: str,
             user: User, reason: str, **extra: Any) -> MailContext:
    state = definition.states.get(case.status)
    public = state.public_label if state is not None else case.status
    staff = state.staff_label if state is not None else case.status
    return MailContext(
        kind=kind, audience=audience, recipient_name=user.display_name or user.email,
        reference=case.reference, title=case.title or "", public_status=public,
        staff_status=staff if audience == "office" else None,
        link=_link(session, case), reason=reason, timezone=runtime_of(session).timezone,
        due_at=case.due_at, due_party=case.due_party, locale=user.locale, **extra,
    )


def _visible_fields(specs: Iterable[FieldSpec], record: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    # The values as recorded: each mail writes them out in its reader's language.
    return tuple((spec.label, record[spec.name]) for spec in specs
                 if spec.visible_to_state and spec.name in record and not is_blank(record[spec.name]))


def _deliver(session: Session, user: User, case: Case, ctx: MailContext, now: dt.datetime) -> None:
    # The facts, not the words: the text is written when the mail goes out or the note is read,
    # outside this transaction. The subject is kept, for lists.
    subject, facts = render_subject(ctx), facts_of(ctx)
    session.add(Notification(user_id=user.id, case_id=case.id, kind=ctx.kind, title=subject, facts=facts,
                             created_at=now))
    # A digest user's mail waits as a fragment: the daily summary adds greeting and footer once.
    session.add(OutboxMessage(
        created_at=now, recipient_id=user.id, to_address=user.email, subject=subject, facts=facts,
        kind=ctx.kind, case_id=case.id, status="digest" if user.daily_digest else "pending", attempts=0,
        next_attempt_at=now,
    ))


# --- the events ----------------------------------------------------------------------------------

def notify_transition(session: Session, case: Case, definition: WorkflowDefinition, trigger: str,
                      old_status: str, new_status: str, record: dict[str, Any], now: dt.datetime,
                      *, actor_id: int | None = None) -> int:
    """Tell the State's focal points about a change they can see; returns how many were told."""
    old_def, new_def = definition.states[old_status], definition.states[new_status]
    information_request = new_def.deadline is not None and new_def.deadline.party == "state"
    if not information_request and old_def.public_label == new_def.public_label:
        return 0  # an office-internal step: the State sees no change
    transition = definition.transition(trigger, old_status)
    fields = _visible_fields(transition.record if transition is not None else (), record or {})
    kind = "information_request" if information_request else "status_change"
    recipients = [u for u in _focal_points(session, case) if u.id != actor_id]
    for user in recipients:
        _deliver(session, user, case, _context(
            session, case, definition, kind, "state", user, _state_reason(case, user.locale),
            previous_status=old_def.public_label, fields=fields), now)
    return len(recipients)


def notify_assignment(session: Session, case: Case, assignee_id: int | None, now: dt.datetime,
                      *, actor_id: int | None = None) -> int:
    if assignee_id is None or assignee_id == actor_id:
        return 0
    user = _active_user(session, assignee_id)
    if user is None:
        return 0
    definition = definition_of(session, case)
    _deliver(session, user, case, _context(
        session, case, definition, "assignment", "office", user, REASON_ASSIGNEE), now)
    return 1


def notify_deadline(session: Session, case: Case, kind: str, now: dt.datetime) -> int:
    """Reminder, overdue, escalation or a notice to the State, for the case's current step."""
    if kind not in DEADLINE_KINDS:
        raise ValueError(f"unknown deadline event {kind!r}; known: {', '.join(DEADLINE_KINDS)}")
    definition = definition_of(session, case)
    extra: dict[str, Any] = {}
    reason: str | None  # None: the State's, which names the State in each reader's language
    if kind in ("state_reminder", "last_notice"):
        audience, recipients, reason = "state", _focal_points(session, case), None
    elif kind == "escalation":
        audience, recipients = "office", _active_users(session, [APPROVER])
        reason = REASON_APPROVER
        assignee = session.get(User, case.assignee_id) if case.assignee_id is not None else None
        extra["assignee_name"] = (assignee.display_name or assignee.email) if assignee else None
    else:
        audience = "office"
        assignee = _active_user(session, case.assignee_id)
        if assignee is not None:
            recipients, reason = [assignee], REASON_ASSIGNEE
        else:
            recipients = _office_for_step(session, case, definition)
            reason = REASON_UNASSIGNED
    for user in recipients:
        _deliver(session, user, case, _context(session, case, definition, kind, audience, user,
                                               reason or _state_reason(case, user.locale), **extra), now)
    return len(recipients)


# --- reading them: the signed-in user's own ------------------------------------------------------

def _own_user_id(actor: Actor) -> int:
    if actor.id is None:
        raise Forbidden("only a signed-in user has notifications")
    return actor.id


def notification_body(row: Notification) -> str:
    """What the note says, written now from the facts stored with it (or the text stored before)."""
    if row.facts is None:
        return row.body or ""
    return render_note(context_from(row.facts))


def notification_json(row: Notification, reference: str | None) -> dict[str, Any]:
    return {"id": row.id, "kind": row.kind, "title": row.title, "body": notification_body(row),
            "case": reference, "created_at": row.created_at, "read_at": row.read_at}


def list_notifications(session: Session, actor: Actor, *, unread: bool = False, before: int | None = None,
                       limit: int = 50) -> tuple[list[dict[str, Any]], int | None]:
    """Newest first; pass the returned id as `before` for the next page (None: no more)."""
    user_id = _own_user_id(actor)
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise ValidationFailed({"limit": [f"must be a whole number from 1 to {MAX_PAGE}"]})
    query = (select(Notification, Case.reference).outerjoin(Case, Case.id == Notification.case_id)
             .where(Notification.user_id == user_id))
    if unread:
        query = query.where(Notification.read_at.is_(None))
    if before is not None:
        query = query.where(Notification.id < before)
    rows = session.execute(query.order_by(Notification.id.desc()).limit(limit + 1)).all()
    items = [notification_json(row.Notification, row.reference) for row in rows[:limit]]
    return items, (items[-1]["id"] if len(rows) > limit else None)


def mark_read(session: Session, actor: Actor, clock: Clock, notification_id: int) -> dict[str, Any]:
    user_id = _own_user_id(actor)
    row = session.execute(
        select(Notification, Case.reference).outerjoin(Case, Case.id == Notification.case_id)
        .where(Notification.id == notification_id, Notification.user_id == user_id)
    ).first()
    if row is None:  # someone else's answers the same: their notifications are not for you to know of
        raise NotFound(f"notification {notification_id} not found")
    notification = row.Notification
    if notification.read_at is None:
        notification.read_at = clock()
        session.flush()
    return notification_json(notification, row.reference)


def preferences(session: Session, actor: Actor) -> dict[str, Any]:
    user = session.get(User, _own_user_id(actor))
    if user is None:
        raise NotFound("user not found")
    return {"daily_digest": bool(user.daily_digest)}


def set_preferences(session: Session, actor: Actor, clock: Clock, *, daily_digest: Any) -> dict[str, Any]:
    user = session.get(User, _own_user_id(actor))
    if user is None:
        raise NotFound("user not found")
    if not isinstance(daily_digest, bool):
        raise ValidationFailed({"daily_digest": ["must be true or false"]})
    if user.daily_digest and not daily_digest:
        # What was waiting for tomorrow's summary goes out now, in one mail, rather than never.
        gather_digests(session, clock(), recipient_id=user.id)
    if user.daily_digest != daily_digest:
        user.daily_digest = daily_digest
        user.updated_at = clock()
        session.flush()
    return {"daily_digest": daily_digest}
