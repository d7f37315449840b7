"""Authorization matrix entries for a call's State side (see test_authorization_matrix): the call
`matrix-call` is addressed to the "own" State alone; the office reads results, it does not answer."""

from __future__ import annotations

from tests.api.matrix_common import Check, req
from tests.integration.call_fixtures import RAW

API = "/api/v1/calls/<string:key>"
KEY = {"key": "matrix-call"}
# Statuses in PRINCIPALS order: anonymous, own, other, reviewer, approver, board, admin.
STATE_SIDE = (401, 200, 404, 403, 403, 403, 403)
STATE_PAGE = (302, 200, 404, 403, 403, 403, 403)
STATE_FORM = (302, 400, 404, 403, 403, 403, 403)  # posted without the form's CSRF token

ENTRIES: dict[tuple[str, str], Check] = {
    ("/api/v1/calls", "GET"): req((401, 200, 200, 200, 200, 200, 200)),
    (API, "GET"): req((401, 200, 404, 200, 200, 200, 200), **KEY),
    (f"{API}/response", "GET"): req(STATE_SIDE, **KEY),
    (f"{API}/response", "PUT"): req(STATE_SIDE, body={"answers": {}}, **KEY),
    # Nothing answered yet: the focal point is told what is missing.
    (f"{API}/response/submit", "POST"): req((401, 422, 404, 403, 403, 403, 403), body={}, **KEY),
    (f"{API}/invitations", "GET"): req((401, 200, 404, 200, 200, 403, 200), **KEY),
    (f"{API}/invitations", "POST"): req((401, 201, 404, 403, 403, 403, 403), body={
        "email": "{email}", "ministry": "Ministry of Health", "respondent_type": "ministry"}, **KEY),
    # Without ?question= (the matrix sends no query): the State's own is told to name one.
    (f"{API}/documents", "POST"): req((401, 422, 404, 403, 403, 403, 403), files={
        "file": (b"%PDF-1.4\n%%EOF\n", "plan.pdf")}, **KEY),
    ("/calls/<string:key>/state", "GET"): req(STATE_PAGE, **KEY),
    ("/calls/<string:key>/respond", "GET"): req(STATE_PAGE, **KEY),
    ("/calls/<string:key>/respond", "POST"): req(STATE_FORM, **KEY),
    ("/calls/<string:key>/check", "GET"): req(STATE_PAGE, **KEY),
    ("/calls/<string:key>/submit", "POST"): req(STATE_FORM, **KEY),
    # Not submitted yet: to the check page.
    ("/calls/<string:key>/done", "GET"): req((302, 302, 404, 403, 403, 403, 403), **KEY),
    ("/calls/<string:key>/invitations", "POST"): req(STATE_FORM, **KEY),
    ("/calls/<string:key>/invitations/<int:invitation_id>/revoke", "POST"): req(
        STATE_FORM, invitation_id=999999, **KEY),
    # An invitation link is its own key: a wrong one is no invitation, whoever opens it.
    ("/calls/invitations/<string:token>", "GET"): req((404,) * 7, token="no-such-token"),
    ("/calls/invitations/<string:token>", "POST"): req((404,) * 7, token="no-such-token"),
    ("/calls/mine", "GET"): req((302, 200, 200, 200, 200, 200, 200)),
    # Writing calls: administrators only. matrix-call is defined as a file would be: changed there.
    ("/api/v1/calls", "POST"): req((401, 403, 403, 403, 403, 403, 201),
                                   body={"definition": {**RAW, "key": "{call_key}"}}),
    (API, "PUT"): req((401, 403, 403, 403, 403, 403, 409), body={"definition": {**RAW, "key": "matrix-call"}},
                      **KEY),
    ("/admin/calls", "GET"): req((302, 403, 403, 403, 403, 403, 200)),
    ("/admin/calls/new", "GET"): req((302, 403, 403, 403, 403, 403, 200)),
    ("/admin/calls/new", "POST"): req((302, 403, 403, 403, 403, 403, 400)),
    ("/admin/calls/new/text", "GET"): req((302, 403, 403, 403, 403, 403, 200)),
    ("/admin/calls/new/text", "POST"): req((302, 403, 403, 403, 403, 403, 400)),
    # A call written with forms: "{office_call}" was written by an administrator, "matrix-call" (a file's)
    # is shown but changed in its file (409).
    ("/admin/calls/<key>", "GET"): req((302, 403, 403, 403, 403, 403, 200), key="{office_call}"),
    ("/admin/calls/<key>/details", "GET"): req((302, 403, 403, 403, 403, 403, 200), key="{office_call}"),
    ("/admin/calls/<key>/details", "POST"): req((302, 403, 403, 403, 403, 403, 400), key="{office_call}"),
    ("/admin/calls/<key>/questions/new", "GET"): req((302, 403, 403, 403, 403, 403, 409), **KEY),
    ("/admin/calls/<key>/questions/new", "POST"): req((302, 403, 403, 403, 403, 403, 400),
                                                       key="{office_call}"),
    ("/admin/calls/<key>/questions/<qkey>/edit", "GET"): req((302, 403, 403, 403, 403, 403, 200),
                                                              key="{office_call}", qkey="has_plan"),
    ("/admin/calls/<key>/questions/<qkey>/edit", "POST"): req((302, 403, 403, 403, 403, 403, 400),
                                                               key="{office_call}", qkey="has_plan"),
    ("/admin/calls/<key>/questions/<qkey>/remove", "GET"): req((302, 403, 403, 403, 403, 403, 200),
                                                                key="{office_call}", qkey="notes"),
    ("/admin/calls/<key>/questions/<qkey>/remove", "POST"): req((302, 403, 403, 403, 403, 403, 409),
                                                                 qkey="notes", **KEY),
    ("/admin/calls/<key>/questions/<qkey>/move", "POST"): req((302, 403, 403, 403, 403, 403, 400),
                                                               key="{office_call}", qkey="score"),
    ("/admin/calls/<key>/edit", "GET"): req((302, 403, 403, 403, 403, 403, 200), **KEY),
    ("/admin/calls/<key>/edit", "POST"): req((302, 403, 403, 403, 403, 403, 400), **KEY),
}
