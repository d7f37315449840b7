"""The signed checkpoints of the audit log, for anyone to copy: JSON, no sign-in, cacheable, readable
from any site. A copy kept elsewhere is what `tacase audit verify --checkpoint FILE` checks the chain
against, so that events cut from its end show even if the database's own checkpoints went with them."""

from __future__ import annotations

from typing import Any

from tacase.audit import checkpoints
from tacase.web.api.public import cacheable
from tacase.web.auth import public
from tacase.web.context import db
from tacase.web.views.public_data import downloads


@downloads.get("/public/audit/checkpoints")
@public
def audit_checkpoints() -> Any:
    """The latest signed checkpoints, newest first (an empty list before the first); each carries
    the public key that verifies it. Nothing else of the log: sequence numbers and hashes only."""
    response = cacheable([c.as_dict() for c in checkpoints.published(db())])
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
