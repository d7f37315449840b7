"""Recording what services do in the audit log, in the transaction of the change itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tacase.audit import store
from tacase.audit.store import PendingEvent
from tacase.db.models import Case
from tacase.services.actors import Actor


def record(
    session: Session,
    actor: Actor,
    at: dt.datetime,
    action: str,
    case: Case | None = None,
    data: dict[str, Any] | None = None,
) -> PendingEvent:
    """Record an event of this transaction; it joins the chain when the transaction commits."""
    return store.append(
        session,
        at=at,
        actor=actor.audit_label(),
        action=action,
        case={"id": case.id, "reference": case.reference} if case is not None else None,
        data=data or {},
    )


def seal(session: Session) -> None:
    """Chain what this transaction recorded now rather than at its commit (when a caller needs the
    events' sequence numbers before committing)."""
    store.seal(session)
