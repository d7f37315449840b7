"""Authorization matrix entries for the audit pages (see test_authorization_matrix)."""

from __future__ import annotations

from tests.api.matrix_common import Check, req

# The Board of Trustees and administrators only; anonymous callers are sent to the sign-in page.
AUDIT_PAGE = (302, 403, 403, 403, 403, 200, 200)

ENTRIES: dict[tuple[str, str], Check] = {
    ("/audit", "GET"): req(AUDIT_PAGE),
    # The export is recorded in the audit log, which the checks may do in any order and repeatedly.
    ("/audit.csv", "GET"): req(AUDIT_PAGE),
}
