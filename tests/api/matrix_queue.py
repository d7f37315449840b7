"""Authorization matrix entries for the queue pages (see test_authorization_matrix)."""

from __future__ import annotations

from tests.api.matrix_common import PAGE, Check, req

ENTRIES: dict[tuple[str, str], Check] = {
    # Open to every signed-in user: the query scopes the rows (a State sees only its own cases).
    ("/cases", "GET"): req(PAGE),
}
