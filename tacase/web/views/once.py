"""One-time form tokens: a double click or a reload never does the same thing twice.

Each form that changes something carries a random token. Posting it claims the token as an
idempotency key of the signed-in user (the same table and rules as the API's `Idempotency-Key`),
and the page it led to is stored in the transaction of the change. Posting the same token again
finds that page and goes there without doing anything. A post that fails (a field to correct, a
stale case) gives its token back, so the corrected form can be sent with it.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import flash, redirect
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from tacase.services import idempotency
from tacase.web.context import actor, clock, commit, db, ext, idempotency_lease

PREFIX = "form:"
TOKEN_BYTES = 24


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def already_sent(token: str) -> str | None:
    """Where the form with this token went, if it was sent already (a page opened again by Back)."""
    return idempotency.completed_location(db(), actor().id, PREFIX + token, clock())


def token_problem(token: str | None) -> bool:
    return not token or len(token) > 64 or not token.replace("-", "").replace("_", "").isalnum()


class AlreadySent(Exception):
    """The token is held by a request still in progress (a double click)."""


def run_once(token: str, endpoint: str, work: Callable[[], str]) -> Response:
    """Do `work` (which changes things without committing and returns where to go next) once per
    token; a repeat goes where the first went. Errors from `work` propagate after a rollback and
    with the token released, so the caller can show them and the form can be sent again."""
    key = PREFIX + token
    fingerprint = idempotency.request_fingerprint(endpoint, None)
    # The view has only read so far. Its transaction ends here, so that the claim's own short one
    # can begin (SQLite lets one writer in at a time); `work` starts a fresh one.
    db().rollback()
    with ext()["sessions"]() as s:
        claim = idempotency.claim(s, actor().id, key, endpoint, fingerprint, clock(), idempotency_lease())
        s.commit()
    if claim.outcome == idempotency.REPLAY:
        flash(_("That form had already been sent; it was not sent twice."))
        return redirect(claim.location or "/", 303)
    if claim.outcome in (idempotency.IN_FLIGHT, idempotency.MISMATCH):
        raise AlreadySent()
    try:
        location = work()
        idempotency.complete(db(), claim.record_id, 303, None, location)
        commit()
    except BaseException:
        db().rollback()
        with ext()["sessions"]() as s:
            idempotency.release(s, claim.record_id)
            s.commit()
        raise
    return redirect(location, 303)
