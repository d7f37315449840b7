"""Authorization matrix entries for the office's side of the calls for input (see
test_authorization_matrix): the office runs a call (follow-up, reminders, reopening), the office and
the Board read its results and files; States see none of it. "{call}" is a call to FJI and WSM with a
submitted response of FJI; "{call_response}" a submitted response of its own, for a reopening;
"{call_document}" a file answered by a response ("{call_document_response}") of its own."""

from __future__ import annotations

from tests.api.matrix_common import Check, req

API = "/api/v1"
CALL = "/calls/<string:key>"
API_CALL = f"{API}{CALL}"
# Anonymous, own focal point, other focal point, reviewer, approver, board, admin.
OFFICE_PAGE = (302, 403, 403, 200, 200, 403, 200)
READER_PAGE = (302, 403, 403, 200, 200, 200, 200)
# A form sent without its CSRF token: refused (400) once the role is allowed.
OFFICE_FORM = (302, 403, 403, 400, 400, 403, 400)
OFFICE_API = (401, 403, 403, 200, 200, 403, 200)
READER_API = (401, 403, 403, 200, 200, 200, 200)

ENTRIES: dict[tuple[str, str], Check] = {
    # A State finds its calls on its home page: the office's list sends it there.
    ("/calls", "GET"): req((302, 303, 303, 200, 200, 200, 200)),
    (f"{CALL}/followup", "GET"): req(OFFICE_PAGE, key="{call}"),
    (f"{CALL}/reminders", "POST"): req(OFFICE_FORM, key="{call}"),
    (f"{CALL}/results", "GET"): req(READER_PAGE, key="{call}"),
    (f"{CALL}/export.<fmt>", "GET"): req(READER_PAGE, key="{call}", fmt="csv"),
    (f"{CALL}/responses", "GET"): req(READER_PAGE, key="{call}"),
    (f"{CALL}/responses/<int:response_id>", "GET"): req(READER_PAGE, key="{call}",
                                                        response_id="{call_response}"),
    (f"{CALL}/responses/<int:response_id>/documents/<int:document_id>", "GET"): req(
        READER_PAGE, key="{call}", response_id="{call_document_response}", document_id="{call_document}"),
    (f"{CALL}/responses/<int:response_id>/reopen", "POST"): req(OFFICE_FORM, key="{call}",
                                                                response_id="{call_response}"),
    (f"{API_CALL}/followup", "GET"): req(OFFICE_API, key="{call}"),
    (f"{API_CALL}/results", "GET"): req(READER_API, key="{call}"),
    (f"{API_CALL}/export.csv", "GET"): req(READER_API, key="{call}"),
    (f"{API_CALL}/export.xlsx", "GET"): req(READER_API, key="{call}"),
    (f"{API_CALL}/reminders", "POST"): req(OFFICE_API, key="{call}", body={"states": ["WSM"]}),
    (f"{API_CALL}/responses/<int:response_id>/reopen", "POST"): req(
        OFFICE_API, key="{call}", response_id="{call_response}", body={"reason": "The ministry asked."}),
}
