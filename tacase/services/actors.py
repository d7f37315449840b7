"""Who is acting: a user with roles (and a State for focal points), or the system."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tacase.engine.roles import BOARD, STAFF_ROLES, STATE_FOCAL_POINT


@dataclass(frozen=True)
class Actor:
    id: int | None
    name: str
    roles: frozenset[str] = field(default_factory=frozenset)
    state_code: str | None = None

    @classmethod
    def for_user(cls, user: Any) -> Actor:
        return cls(id=user.id, name=user.email, roles=user.roles, state_code=user.state_code)

    @property
    def is_system(self) -> bool:
        return self.id is None

    @property
    def is_state_user(self) -> bool:
        """A focal point without an office role: sees only its own State's cases."""
        return STATE_FOCAL_POINT in self.roles and not (self.roles & (STAFF_ROLES | {BOARD}))

    def audit_label(self) -> dict[str, Any]:
        if self.is_system:
            return {"type": "system", "name": self.name}
        return {"type": "user", "id": self.id, "email": self.name}


SYSTEM = Actor(id=None, name="system")
