"""Authorization matrix entries for the case pages (see test_authorization_matrix)."""

from __future__ import annotations

from tests.api.matrix_common import Check, req

CASE = "/cases/<reference>"
# Statuses in PRINCIPALS order: anonymous, own, other, reviewer, approver, board, admin.
FOCAL_POINTS = (302, 200, 200, 403, 403, 403, 403)
CASE_PAGE = (302, 200, 404, 200, 200, 200, 200)
# Forms are refused without their CSRF token (400), but only after the role and the case are checked.
OWN_STATE_POSTS = (302, 400, 404, 403, 403, 403, 403)
CASE_WORKER_POSTS = (302, 403, 404, 400, 400, 403, 400)
STATE_AND_OFFICE_POSTS = (302, 400, 404, 400, 400, 403, 400)

ENTRIES: dict[tuple[str, str], Check] = {
    ("/cases/new", "GET"): req(FOCAL_POINTS),
    # The form's one-time token goes into its address first.
    ("/cases/new/<wtype>", "GET"): req((302, 302, 302, 403, 403, 403, 403), wtype="upr_fund"),
    ("/cases/new/<wtype>", "POST"): req((302, 400, 400, 403, 403, 403, 403), wtype="upr_fund",
                                        body={"title": "Matrix"}),
    (CASE, "GET"): req(CASE_PAGE, reference="{case}"),
    (f"{CASE}/edit", "GET"): req((302, 200, 404, 403, 403, 403, 403), reference="{draft}"),
    (f"{CASE}/edit", "POST"): req(OWN_STATE_POSTS, reference="{draft}", body={"title": "Matrix"}),
    # Check your answers, then send: the requesting State's focal points, on a draft.
    (f"{CASE}/check", "GET"): req((302, 200, 404, 403, 403, 403, 403), reference="{draft}"),
    (f"{CASE}/check", "POST"): req(OWN_STATE_POSTS, reference="{draft}"),
    # A submitted case: only a reviewer may record its review.
    (f"{CASE}/actions/<trigger>", "GET"): req((302, 403, 404, 200, 403, 403, 403), reference="{case}",
                                              trigger="review"),
    (f"{CASE}/actions/<trigger>", "POST"): req((302, 403, 404, 400, 403, 403, 403), reference="{case}",
                                               trigger="review"),
    (f"{CASE}/comments", "POST"): req(STATE_AND_OFFICE_POSTS, reference="{case}", body={"body": "Matrix"}),
    (f"{CASE}/feedback", "POST"): req(OWN_STATE_POSTS, reference="{case}", body={"body": "Matrix"}),
    (f"{CASE}/consent", "POST"): req(OWN_STATE_POSTS, reference="{case}", body={"consent": "yes"}),
    (f"{CASE}/assignee", "POST"): req(CASE_WORKER_POSTS, reference="{case}", body={"assignee": ""}),
    (f"{CASE}/documents", "POST"): req(STATE_AND_OFFICE_POSTS, reference="{case}"),
    (f"{CASE}/documents/<int:document_id>", "GET"): req(CASE_PAGE, reference="{case}",
                                                         document_id="{document_id}"),
    (f"{CASE}/documents/<int:document_id>/publication", "POST"): req(
        OWN_STATE_POSTS, reference="{case}", document_id="{document_id}", body={"public": "yes"}),
}
