"""How people are named to whoever reads a case: a State's users see the office, not its staff."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from tacase.db.models import User
from tacase.engine.roles import STATE_FOCAL_POINT
from tacase.services.actors import Actor

OFFICE_AS_SEEN_BY_STATES = {"kind": "office", "name": "OHCHR"}
SYSTEM = {"kind": "system"}


def as_seen_by(session: Session, viewer: Actor, user_ids: Iterable[int | None]) -> dict[int, dict[str, Any]]:
    """Each user id as the viewer may see it, read in one query; ids not found are left out."""
    ids = {i for i in user_ids if i is not None}
    if not ids:
        return {}
    out = {}
    for user in session.scalars(select(User).where(User.id.in_(ids))):
        office = bool(user.roles - {STATE_FOCAL_POINT})
        if office and viewer.is_state_user:
            out[user.id] = OFFICE_AS_SEEN_BY_STATES
        else:
            out[user.id] = {"kind": "office" if office else "state", "id": user.id, "name": user.display_name}
    return out
