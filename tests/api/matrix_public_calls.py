"""Authorization matrix entries for a call's public side (see test_authorization_matrix): contributing
through an e-mailed link and the public record of submissions. `matrix-call` is a questionnaire
without stakeholders nor published submissions: its pages are not found, whoever asks."""

from __future__ import annotations

from tests.api.matrix_common import Check, req

KEY = {"key": "matrix-call"}
ANYONE = (200,) * 7
NOT_FOUND = (404,) * 7

ENTRIES: dict[tuple[str, str], Check] = {
    ("/api/v1/public/calls", "GET"): req(ANYONE),
    ("/api/v1/public/calls/<string:key>/submissions", "GET"): req(NOT_FOUND, **KEY),
    ("/public/calls", "GET"): req(ANYONE),
    ("/public/calls/<string:key>", "GET"): req(NOT_FOUND, **KEY),
    ("/public/calls/<string:key>/documents/<int:document_id>", "GET"): req(NOT_FOUND, document_id=999999,
                                                                          **KEY),
    ("/calls/<string:key>/contribute", "GET"): req(NOT_FOUND, **KEY),
    ("/calls/<string:key>/contribute", "POST"): req(NOT_FOUND, **KEY),
    # The link is its own key: a wrong one opens nothing, whoever follows it.
    ("/calls/contributions/<string:token>", "GET"): req(NOT_FOUND, token="no-such-token"),
    ("/calls/contributions/<string:token>", "POST"): req(NOT_FOUND, token="no-such-token"),
    ("/calls/contributions/<string:token>/check", "GET"): req(NOT_FOUND, token="no-such-token"),
    ("/calls/contributions/<string:token>/documents", "POST"): req(NOT_FOUND, token="no-such-token"),
    ("/calls/contributions/<string:token>/submit", "POST"): req(NOT_FOUND, token="no-such-token"),
}
