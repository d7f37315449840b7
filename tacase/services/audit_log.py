"""Recording what services do in the audit log, in the transaction of the change itself."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from tacase.audit import store
from tacase.db.models import AuditEvent, Case
from tacase.services.actors import Actor


def record(
    session: Session,
    actor: Actor,
    at: dt.datetime,
    action: str,
    case: Case | None = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    return store.append(
        session,
        at=at,
        actor=actor.audit_label(),
        action=action,
        case={"id": case.id, "reference": case.reference} if case is not None else None,
        data=data or {},
    )
