"""Authorization matrix entries for the account pages (see test_authorization_matrix)."""

from __future__ import annotations

from tests.api.matrix_common import PAGE, Check, req

# Everyone's own account: open to each signed-in person, about themselves only.
OWN_FORM = (302, 400, 400, 400, 400, 400, 400)
# Two-factor enrolment needs a signed-in browser session; the matrix calls with API tokens.
SESSION_ONLY = (302, 403, 403, 403, 403, 403, 403)

ENTRIES: dict[tuple[str, str], Check] = {
    ("/account", "GET"): req(PAGE),
    ("/account/language", "POST"): req(OWN_FORM, body={"language-locale": "fr"}),
    ("/account/password", "POST"): req(OWN_FORM, body={
        "password-current_password": "x", "password-new_password": "y", "password-repeat_password": "y"}),
    ("/account/mfa", "GET"): req(SESSION_ONLY),
    ("/account/mfa", "POST"): req(SESSION_ONLY, body={"code": "123456"}),
}
