"""The roles a user may hold. A State focal point is also bound to exactly one State."""

STATE_FOCAL_POINT = "state_focal_point"
REVIEWER = "reviewer"
APPROVER = "approver"
BOARD = "board"
ADMIN = "admin"

ROLES: tuple[str, ...] = (STATE_FOCAL_POINT, REVIEWER, APPROVER, BOARD, ADMIN)
STAFF_ROLES: frozenset[str] = frozenset({REVIEWER, APPROVER, ADMIN})
