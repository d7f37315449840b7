"""Authorization matrix entries for the administrator's pages (see test_authorization_matrix)."""

from __future__ import annotations

from tests.api.matrix_common import Check, req

# Administrators only: others get the 403 page; an administrator's post without the form's CSRF
# token is refused (400) before anything is read from it.
ADMIN_PAGE = (302, 403, 403, 403, 403, 403, 200)
ADMIN_POST = (302, 403, 403, 403, 403, 403, 400)

ENTRIES: dict[tuple[str, str], Check] = {
    ("/admin/users", "GET"): req(ADMIN_PAGE),
    ("/admin/users/new", "GET"): req(ADMIN_PAGE),
    ("/admin/users/new", "POST"): req(ADMIN_POST, body={"email": "{email}", "roles": ["reviewer"]}),
    ("/admin/users/<int:user_id>", "GET"): req(ADMIN_PAGE, user_id="{user_id}"),
    ("/admin/users/<int:user_id>", "POST"): req(ADMIN_POST, user_id="{user_id}",
                                                body={"display_name": "Renamed"}),
    ("/admin/users/<int:user_id>/mfa-reset", "POST"): req(ADMIN_POST, user_id="{user_id}"),
    ("/admin/closures", "GET"): req(ADMIN_PAGE),
    ("/admin/iati", "GET"): req(ADMIN_PAGE),
    ("/admin/closures", "POST"): req(ADMIN_POST, body={"day": "{working_day}", "reason": "Matrix"}),
    ("/admin/closures/<int:closure_id>/delete", "POST"): req(ADMIN_POST, closure_id="{closure_id}"),
}
