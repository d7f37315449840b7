"""Authorization matrix entries for the processing times (see test_authorization_matrix)."""

from __future__ import annotations

from tests.api.matrix_common import Check, req

OPEN = (200, 200, 200, 200, 200, 200, 200)
# The office's own figures (per State, per person): reviewers, approvers, the Board and admins.
STAFF_PAGE = (302, 403, 403, 200, 200, 200, 200)

ENTRIES: dict[tuple[str, str], Check] = {
    # Published timeliness names no State: the same answer for everyone, signed in or not.
    ("/api/v1/public/statistics", "GET"): req(OPEN),
    ("/public/statistics", "GET"): req(OPEN),
    ("/public/statistics/method", "GET"): req(OPEN),
    ("/public/statistics.csv", "GET"): req(OPEN),
    ("/public/statistics/charts/<name>.svg", "GET"): req(OPEN, name="stages"),
    ("/statistics", "GET"): req(STAFF_PAGE),
    ("/statistics/monthly.svg", "GET"): req(STAFF_PAGE),
}
