"""A body over the size limit gets the 413 page (pages) or the JSON 413 (API), signed in or not."""

from __future__ import annotations

import io

import pytest

from tests.api.conftest import World, make_app
from tests.web.conftest import csrf_token, sign_in
from tests.web.seed import populate

MIB = 1024 * 1024
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


@pytest.fixture
def small_uploads(fresh_db, api_clock):
    app = make_app(fresh_db, api_clock, TACASE_MAX_UPLOAD_BYTES="2048")
    yield app, populate(app.extensions["tacase"]["sessions"], api_clock)
    app.extensions["tacase"]["engine"].dispose()


def _is_413_page(response) -> bool:
    html = response.get_data(as_text=True)
    return (response.status_code == 413 and response.mimetype == "text/html"
            and "Too large" in html and "Sign out" in html)


def test_a_signed_in_comment_over_the_limit_gets_the_413_page(client, seeded):
    sign_in(client, seeded.fiji)
    token = csrf_token(client, f"/cases/{seeded.fiji_returned}")
    response = client.post(f"/cases/{seeded.fiji_returned}/comments",
                           data={"csrf_token": token, "body": "x" * (MIB + MIB // 2)})
    assert _is_413_page(response), (response.status_code, response.get_data(as_text=True)[:300])


def test_a_signed_in_upload_over_the_limit_gets_the_413_page(small_uploads):
    app, seeded = small_uploads
    client = app.test_client()
    sign_in(client, seeded.fiji)
    token = csrf_token(client, f"/cases/{seeded.fiji_returned}")
    # Past the limit and the room left for the multipart framing: refused before it is read.
    response = client.post(f"/cases/{seeded.fiji_returned}/documents", content_type="multipart/form-data",
                           data={"csrf_token": token, "file": (io.BytesIO(PDF + b"0" * 200_000), "big.pdf")})
    assert _is_413_page(response), (response.status_code, response.get_data(as_text=True)[:300])


def test_an_anonymous_post_over_the_limit_gets_the_413_page(client):
    response = client.post("/sign-in", data={"email": "x" * (2 * MIB)})
    assert response.status_code == 413 and response.mimetype == "text/html"


def test_the_api_answers_413_in_the_error_shape(small_uploads, api_clock):
    app, _ = small_uploads
    account = World(app, api_clock).account("state_focal_point", state="FJI")
    client = app.test_client()
    response = client.post("/api/v1/cases", headers=account.auth,
                           json={"type": "upr_fund", "title": "x" * (2 * MIB)})
    assert response.status_code == 413
    assert response.get_json()["code"] == "payload_too_large"
    opened = client.post("/api/v1/cases", headers=account.auth, json={"type": "upr_fund"})
    reference = opened.get_json()["reference"]
    upload = client.post(f"/api/v1/cases/{reference}/documents", headers=account.auth,
                         data={"file": (io.BytesIO(PDF + b"0" * 200_000), "big.pdf")})
    assert upload.status_code == 413
    assert upload.get_json()["code"] == "payload_too_large"
