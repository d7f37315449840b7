"""The API answers exactly as its OpenAPI document says: the rules the document states are the ones
the code applies (booleans, request bodies, headers, ranges), and the document itself is valid."""

from __future__ import annotations

import io

import pytest
from openapi_spec_validator import validate

from tests.api.conftest import complete_fields

API = "/api/v1"


@pytest.fixture
def focal(world):
    return world.account("state_focal_point", state="FJI")


@pytest.fixture
def document(client):
    return client.get(f"{API}/openapi.json").get_json()


def test_the_document_is_valid_openapi(document):
    validate(document)


@pytest.mark.parametrize("value", [0, 1, "true", "false", "yes", None, [], {}])
def test_only_json_booleans_are_booleans(client, focal, value):
    r = client.put(f"{API}/me/preferences", json={"daily_digest": value}, headers=focal.auth)
    assert r.status_code == 422 and "daily_digest" in r.get_json()["errors"]


@pytest.mark.parametrize("value", ["9", "nine", True, 9.5])
def test_only_json_integers_are_integers(client, focal, world, value):
    r = client.post(f"{API}/tokens", json={"name": "ministry", "expires_in_days": value}, headers=focal.auth)
    assert r.status_code == 422 and "expires_in_days" in r.get_json()["errors"]
    reviewer = world.account("reviewer")
    r = client.put(f"{API}/cases/UPR-2026-0001/assignee", json={"assignee_id": str(reviewer.id)},
                   headers=reviewer.auth)
    assert r.status_code == 422 and "assignee_id" in r.get_json()["errors"]


@pytest.mark.parametrize("value", ["1", "yes", "True", "on"])
def test_a_boolean_in_the_address_is_true_or_false(client, focal, value):
    r = client.get(f"{API}/cases", query_string={"overdue": value}, headers=focal.auth)
    assert r.status_code == 422 and "overdue" in r.get_json()["errors"]
    assert client.get(f"{API}/cases?overdue=true", headers=focal.auth).status_code == 200


def test_a_filter_value_the_workflows_do_not_know_is_refused(client, focal):
    for query in ({"status": "limbo"}, {"type": "holiday"}, {"state": "XYZ"}):
        r = client.get(f"{API}/cases", query_string=query, headers=focal.auth)
        assert r.status_code == 422 and {name.split(".")[0] for name in r.get_json()["errors"]} == set(query)


def test_a_json_operation_without_a_json_body_is_a_400(client, focal):
    for kwargs in ({}, {"data": "type=upr_fund", "content_type": "application/x-www-form-urlencoded"},
                   {"data": '{"type": "upr_fund"}', "content_type": "text/plain"}):
        r = client.post(f"{API}/cases", headers=focal.auth, **kwargs)
        assert r.status_code == 400 and r.get_json()["code"] == "malformed_json", kwargs


def test_a_field_sent_both_flat_and_under_fields_is_refused(client, focal):
    body = {"type": "upr_fund", "title": "Flat", "fields": {"title": "Nested", "objectives": "x"}}
    r = client.post(f"{API}/cases", json=body, headers=focal.auth)
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["title"]


def test_an_upload_with_other_parts_is_refused(client, focal):
    opened = client.post(f"{API}/cases", json={"type": "upr_fund"}, headers=focal.auth)
    reference, pdf = opened.get_json()["reference"], b"%PDF-1.4\n%%EOF\n"
    r = client.post(f"{API}/cases/{reference}/documents", headers=focal.auth,
                    data={"file": (io.BytesIO(pdf), "a.pdf"), "note": "hello"})
    assert r.status_code == 422 and list(r.get_json()["errors"]) == ["note"]


@pytest.mark.parametrize("key", ["clé-ünïcode", "with space", "tab\there", "x" * 256])
def test_an_idempotency_key_is_visible_ascii(client, focal, key):
    headers = {**focal.auth, "Idempotency-Key": key.encode("utf-8").decode("latin-1")}
    r = client.post(f"{API}/cases", json={"type": "upr_fund"}, headers=headers)
    assert r.status_code == 400 and r.get_json()["code"] == "bad_idempotency_key"


def test_what_is_wrong_in_a_body_is_said_before_a_stale_if_match(client, focal):
    created = client.post(f"{API}/cases", json={"type": "upr_fund", **complete_fields()}, headers=focal.auth)
    reference = created.get_json()["reference"]
    stale = {**focal.auth, "If-Match": '"v99"'}
    bad = client.post(f"{API}/cases/{reference}/transitions", headers=stale,
                      json={"trigger": "withdraw", "data": {"reason": {}}})
    assert bad.status_code == 422 and list(bad.get_json()["errors"]) == ["reason"]
    good = client.post(f"{API}/cases/{reference}/transitions", headers=stale,
                       json={"trigger": "withdraw", "data": {"reason": "No longer needed"}})
    assert good.status_code == 412
    garbage = client.patch(f"{API}/cases/{reference}", headers={**focal.auth, "If-Match": "0"},
                           json={"title": "Renamed"})
    assert garbage.status_code == 412  # no ETag of this API: it names no version the case is at
    empty = client.patch(f"{API}/cases/{reference}", headers=focal.auth, json={"title": "Renamed"})
    assert empty.status_code == 428


def test_the_document_lists_the_workflows_in_force(document, app):
    workflows = app.extensions["tacase"]["runtime"].workflows.current
    schemas = document["components"]["schemas"]
    assert set(schemas["NewCase"]["discriminator"]["mapping"]) == set(workflows)
    triggers = {t.trigger for d in workflows.values() for t in d.transitions}
    assert set(schemas["Step"]["discriminator"]["mapping"]) == triggers
    upr = schemas["NewCaseUprFund"]["properties"]
    assert upr["upr_cycle"]["type"] == "integer" and upr["budget"]["allOf"][0]["$ref"].endswith("/Money")
    # What every workflow makes a step record is required in the document too.
    assert schemas["StepReturnToState"]["properties"]["data"]["required"] == ["questions"]
    assert schemas["StepReview"]["properties"]["data"]["required"] == ["assessment", "recommendation"]


def test_every_string_says_it_takes_no_nul(document):
    def strings(node, where=""):
        if isinstance(node, dict):
            if node.get("type") == "string" and "enum" not in node and "format" not in node:
                yield where, node
            for key, value in node.items():
                yield from strings(value, f"{where}/{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from strings(value, f"{where}/{i}")

    request_side = [document["components"]["schemas"][name] for name in ("NewCase", "CaseChanges", "Step")]
    paths = document["paths"]
    loose = [where for where, node in strings([paths, request_side]) if "pattern" not in node
             and "/responses/" not in where and "If-Match" not in str(node)]
    assert not loose, loose


@pytest.mark.parametrize("status", [412, 428])
def test_the_patch_documents_its_preconditions(document, status):
    assert str(status) in document["paths"][f"{API}/cases/{{reference}}"]["patch"]["responses"]


def test_every_operation_documents_503_and_414(document):
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            if method == "parameters":
                continue
            assert {"414", "503"} <= set(operation["responses"]), (method, path)
