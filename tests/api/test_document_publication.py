"""A document published by its State with the request: who may publish it, the audit, and what the
public record then shows and serves (only while the State consents to publish the request)."""

from __future__ import annotations

import pytest

from tests.api.test_documents import PDF, PNG, audit_events, upload
from tests.api.test_public_record import consent, draft, fire

API = "/api/v1"
FOCAL = "state_focal_point"
AGENDA = PDF + b" " * (120 * 1024 - len(PDF))  # 120 KB


@pytest.fixture
def people(world):
    return {"fiji": world.account(FOCAL, state="FJI"), "samoa": world.account(FOCAL, state="WSM"),
            **{role: world.account(role) for role in ("reviewer", "approver", "board", "admin")}}


def publish(client, account, ref: str, document_id: int, body):
    return client.put(f"{API}/cases/{ref}/documents/{document_id}/publication", json=body,
                      headers=account.auth)


@pytest.fixture
def published_case(client, people):
    """A request Fiji consents to publish and has sent, with a document to publish and one to keep."""
    ref = draft(client, people["fiji"], consent_to_publish=True)
    fire(client, people["fiji"], ref, "submit")
    shown = upload(client, people["fiji"], ref, AGENDA, "Workshop agenda.pdf").get_json()
    kept = upload(client, people["reviewer"], ref, PNG, "Internal scoring.png").get_json()
    return {"ref": ref, "shown": shown, "kept": kept}


def test_the_states_focal_point_publishes_and_it_is_recorded(world, client, people, published_case):
    ref, doc = published_case["ref"], published_case["shown"]
    r = publish(client, people["fiji"], ref, doc["id"], {"public": True})
    assert r.status_code == 200, r.get_json()
    assert r.get_json()["public"] is True and r.get_json()["id"] == doc["id"]
    assert publish(client, people["fiji"], ref, doc["id"], {"public": True}).status_code == 200  # no change
    listed = client.get(f"{API}/cases/{ref}/documents", headers=people["reviewer"].auth).get_json()
    assert {d["filename"]: d["public"] for d in listed} == {"Workshop agenda.pdf": True,
                                                           "Internal scoring.png": False}
    assert publish(client, people["fiji"], ref, doc["id"], {"public": False}).get_json()["public"] is False
    [published] = audit_events(world, "document.published")
    [unpublished] = audit_events(world, "document.unpublished")
    for event in (published, unpublished):
        assert event["actor"]["id"] == people["fiji"].id and event["case"]["reference"] == ref
        assert event["data"] == {"document_id": doc["id"], "filename": "Workshop agenda.pdf"}


@pytest.mark.parametrize(("who", "status"), [("reviewer", 403), ("approver", 403), ("board", 403),
                                             ("admin", 403), ("samoa", 404)])
def test_nobody_else_may_publish_a_states_document(world, client, people, published_case, who, status):
    ref, doc = published_case["ref"], published_case["shown"]
    r = publish(client, people[who], ref, doc["id"], {"public": True})
    assert r.status_code == status, r.get_json()
    assert r.get_json()["message"] and r.get_json()["code"]
    assert client.put(f"{API}/cases/{ref}/documents/{doc['id']}/publication",
                      json={"public": True}).status_code == 401
    assert audit_events(world, "document.published") == []
    assert client.get(f"{API}/public/cases/{ref}").get_json()["documents"] == []


@pytest.mark.parametrize("body", [{"public": "yes"}, {"public": 1}, {"public": None}, {}, [], None, "true",
                                  {"public": True, "filename": "x.pdf"}, {"public": [True]}])
def test_a_body_that_is_not_true_or_false_is_refused(client, people, published_case, body):
    ref, doc = published_case["ref"], published_case["shown"]
    r = publish(client, people["fiji"], ref, doc["id"], body)
    assert r.status_code in (400, 422), r.get_data(as_text=True)
    assert r.get_json()["message"]
    assert client.get(f"{API}/public/cases/{ref}").get_json()["documents"] == []


def test_malformed_and_huge_bodies_are_refused_without_a_fault(client, people, published_case):
    ref, doc = published_case["ref"], published_case["shown"]
    path = f"{API}/cases/{ref}/documents/{doc['id']}/publication"
    headers = {**people["fiji"].auth, "Content-Type": "application/json"}
    for body, statuses in ((b'{"public": tru', (400,)), (b"", (400,)), (b"\xff\xfe", (400,)),
                           (b'{"public": true, "x": "' + b"a" * (2 * 1024 * 1024) + b'"}', (413,)),
                           (b"[" * 100_000 + b"]" * 100_000, (400, 413)),
                           (b'{"public": true, "public": "yes"}', (422,))):
        r = client.put(path, data=body, headers=headers)
        assert r.status_code in statuses, (body[:40], r.status_code, r.get_data(as_text=True)[:200])
        assert r.get_json()["message"]


def test_a_document_is_found_only_in_its_own_case(client, people, published_case):
    ref, doc = published_case["ref"], published_case["shown"]
    other = draft(client, people["fiji"])
    assert publish(client, people["fiji"], other, doc["id"], {"public": True}).status_code == 404
    assert publish(client, people["fiji"], ref, 999_999, {"public": True}).status_code == 404
    assert publish(client, people["fiji"], ref, 2**40, {"public": True}).status_code == 404
    assert publish(client, people["fiji"], "UPR-2026-9999", doc["id"], {"public": True}).status_code == 404


def test_the_public_record_lists_and_serves_a_published_document_only(app, client, people, published_case):
    ref, doc, kept = published_case["ref"], published_case["shown"], published_case["kept"]
    assert publish(client, people["fiji"], ref, doc["id"], {"public": True}).status_code == 200
    shown = client.get(f"{API}/public/cases/{ref}").get_json()
    url = f"/public/record/{ref}/documents/{doc['id']}"
    assert shown["documents"] == [{"id": doc["id"], "name": "Workshop agenda.pdf",
                                   "content_type": "application/pdf", "size": len(AGENDA), "url": url}]
    listing = client.get(f"{API}/public/cases").get_json()["items"]
    assert [item["documents"] for item in listing if item["reference"] == ref] == [shown["documents"]]
    page = client.get(f"/public/record/{ref}").get_data(as_text=True)
    assert "Workshop agenda.pdf" in page and f'href="{url}"' in page and "PDF, 120 KB" in page
    for answer in (page, str(shown), str(listing)):
        assert "Internal scoring" not in answer

    download = client.get(url)
    assert download.status_code == 200 and download.data == AGENDA
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"] == (
        "attachment; filename=\"Workshop agenda.pdf\"; filename*=UTF-8''Workshop%20agenda.pdf")
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    cache = download.headers["Cache-Control"]
    assert "public" in cache and "max-age=300" in cache
    assert "Set-Cookie" not in download.headers
    etag = download.headers["ETag"]
    download.close()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 304

    # Not public, unknown, of another case, past any id: one and the same answer.
    missing = client.get(f"/public/record/{ref}/documents/{kept['id']}")
    assert missing.status_code == 404 and "Set-Cookie" not in missing.headers
    for address in (f"/public/record/{ref}/documents/999999",
                    f"/public/record/UPR-2026-9999/documents/{doc['id']}",
                    f"/public/record/{'x' * 300}/documents/1"):
        other = client.get(address)
        assert other.status_code == 404, address
        assert other.get_data() == missing.get_data(), address
    assert client.get(f"/public/record/{ref}/documents/{2**40}").status_code == 404  # no id at all


def test_a_published_document_leaves_the_record_with_the_consent(client, people, published_case):
    ref, doc = published_case["ref"], published_case["shown"]
    url = f"/public/record/{ref}/documents/{doc['id']}"
    assert publish(client, people["fiji"], ref, doc["id"], {"public": True}).status_code == 200
    client.get(url).close()
    assert consent(client, people["fiji"], ref, False).status_code == 200
    assert client.get(url).status_code == 404  # at once
    assert client.get(f"{API}/public/cases/{ref}").status_code == 404
    assert "Workshop agenda" not in client.get(f"{API}/public/cases").get_data(as_text=True)
    assert consent(client, people["fiji"], ref, True).status_code == 200
    r = client.get(url)
    assert r.status_code == 200
    r.close()
    assert publish(client, people["fiji"], ref, doc["id"], {"public": False}).status_code == 200
    assert client.get(url).status_code == 404
    assert client.get(f"{API}/public/cases/{ref}").get_json()["documents"] == []


def test_a_document_of_a_draft_is_not_public_before_the_request_is_sent(client, people):
    ref = draft(client, people["fiji"], consent_to_publish=True)
    doc = upload(client, people["fiji"], ref, PDF, "Early draft.pdf").get_json()
    assert publish(client, people["fiji"], ref, doc["id"], {"public": True}).status_code == 200
    assert client.get(f"/public/record/{ref}/documents/{doc['id']}").status_code == 404
    fire(client, people["fiji"], ref, "submit")
    r = client.get(f"/public/record/{ref}/documents/{doc['id']}")
    assert r.status_code == 200 and r.data == PDF
    r.close()


def test_the_operation_is_in_the_openapi_document(client):
    spec = client.get(f"{API}/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/cases/{reference}/documents/{document_id}/publication"]["put"]
    assert {"400", "401", "403", "404", "422"} <= set(operation["responses"])
    assert "documents" in spec["components"]["schemas"]["PublicCase"]["properties"]
