"""Authorization matrix entries for the reports (see test_authorization_matrix): the Board of
Trustees and administrators only."""

from __future__ import annotations

from tests.api.matrix_common import Check, req

REPORT_READERS = (302, 403, 403, 403, 403, 200, 200)

ENTRIES: dict[tuple[str, str], Check] = {
    ("/reports/annual", "GET"): req(REPORT_READERS),
    ("/reports/annual.<fmt>", "GET"): req(REPORT_READERS, fmt="csv"),
    ("/reports/hra", "GET"): req(REPORT_READERS),
    ("/reports/hra.<fmt>", "GET"): req(REPORT_READERS, fmt="xlsx"),
}
