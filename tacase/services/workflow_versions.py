"""Recording the exact workflow text a case starts under, so a changed file never changes the past."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from tacase.db.models import WorkflowVersion
from tacase.engine.definitions import WorkflowDefinition


def ensure_version(session: Session, definition: WorkflowDefinition, now: dt.datetime) -> WorkflowVersion:
    found = session.scalar(select(WorkflowVersion).where(WorkflowVersion.sha256 == definition.sha256))
    if found is not None:
        return found
    row = WorkflowVersion(
        type=definition.type, version=definition.version, sha256=definition.sha256,
        definition=json.loads(json.dumps(definition.raw, default=str)), created_at=now,
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:  # another process recorded the same text first
        return session.scalars(
            select(WorkflowVersion).where(WorkflowVersion.sha256 == definition.sha256)
        ).one()
    return row
