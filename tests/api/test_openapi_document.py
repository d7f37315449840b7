"""The OpenAPI document as client generators read it: named operations, one error shape, examples
that match their schemas, and no change to what a generated client calls without a matching change
of the committed copy (tests/api/openapi.json; `make openapi` refreshes it). That the live document
is valid OpenAPI is checked in test_contract.py."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from tests.api.test_generated_client import operations_of

API = "/api/v1"
COPY = Path(__file__).with_name("openapi.json")
CAMEL = re.compile(r"^[a-z]+(?:[A-Z][a-z0-9]+)*$")
ERROR = "#/components/schemas/Error"


@pytest.fixture
def document(client):
    return client.get(f"{API}/openapi.json").get_json()


def test_every_operation_is_named_tagged_and_summarised(document):
    tags = {tag["name"] for tag in document["tags"]}
    seen: dict[str, str] = {}
    for method, path, operation in operations_of(document):
        where = f"{method.upper()} {path}"
        name = operation.get("operationId", "")
        assert CAMEL.match(name), f"{where}: operationId {name!r} is not camelCase"
        assert name not in seen, f"{where} and {seen[name]} share the operationId {name}"
        seen[name] = where
        assert len(operation.get("tags", [])) == 1 and operation["tags"][0] in tags, where
        assert operation.get("summary"), f"{where} has no summary"


def _resolve(document: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        section, kind, name = node["$ref"].removeprefix("#/").split("/")
        node = document[section][kind][name]
    return node


def test_every_error_answer_is_the_error_schema(document):
    for method, path, operation in operations_of(document):
        for status, answer in operation["responses"].items():
            if status.startswith(("4", "5")) or status == "default":
                content = _resolve(document, answer).get("content", {})
                schema = content.get("application/json", {}).get("schema")
                assert schema == {"$ref": ERROR}, (method, path, status, content)


def test_a_download_is_one_binary_answer_first(document):
    download = document["paths"][f"{API}/cases/{{reference}}/documents/{{document_id}}"]["get"]
    ok = download["responses"]["200"]
    assert next(iter(ok["content"])) == "application/octet-stream"
    assert ok["content"]["application/octet-stream"]["schema"] == {"type": "string", "format": "binary"}
    assert "Content-Type" in ok["headers"]


def _validator(document: dict[str, Any], schema: dict[str, Any]) -> OAS30Validator:
    # The schema inside a copy of the components, so that its references resolve.
    return OAS30Validator({**schema, "components": document["components"]})


def test_every_example_matches_its_schema(document):
    checked = 0
    for method, path, operation in operations_of(document):
        bodies = [("request", operation.get("requestBody", {}))]
        bodies += [(status, _resolve(document, answer)) for status, answer in operation["responses"].items()]
        for status, body in bodies:
            for media_type, content in body.get("content", {}).items():
                if "example" in content:
                    errors = [e.message for e in _validator(document, content["schema"])
                              .iter_errors(content["example"])]
                    assert not errors, (method, path, status, media_type, errors[:5])
                    checked += 1
    for name, schema in document["components"]["schemas"].items():
        if "example" in schema:
            errors = [e.message for e in _validator(document, schema).iter_errors(schema["example"])]
            assert not errors, (name, errors[:5])
            checked += 1
    assert checked >= 50


def _has_example(document: dict[str, Any], content: dict[str, Any]) -> bool:
    """An example on the body, or on one of its branches when it is one of several."""
    if "example" in content:
        return True
    union = _resolve(document, content.get("schema", {}))
    return any("example" in _resolve(document, branch) for branch in union.get("oneOf", []))


def test_requests_and_answers_have_examples(document):
    missing = [operation["operationId"] for method, _, operation in operations_of(document)
               if any(not _has_example(document, c) and media == "application/json"
                      for answer in operation["responses"].values() if "$ref" not in answer
                      for media, c in answer.get("content", {}).items())
               or any(media == "application/json" and not _has_example(document, c)
                      for media, c in operation.get("requestBody", {}).get("content", {}).items())]
    assert not missing, f"no recorded example (run `make openapi`): {missing}"


# --- what a generated client depends on, compared with the committed copy ------------------------

def _schema_surface(document: dict[str, Any], schema: dict[str, Any]) -> str:
    if "$ref" in schema:
        return schema["$ref"].rsplit("/", 1)[-1]
    if schema.get("type") == "array":
        return f"array of {_schema_surface(document, schema.get('items', {}))}"
    return schema.get("type", "any") + (f" {schema['format']}" if "format" in schema else "")


def surface(document: dict[str, Any]) -> dict[str, str]:
    """What a generated client's functions and models are made of, flat: each operation's name,
    parameters, bodies and answers, and each schema's properties. Descriptions and examples are
    left out: they change the client's comments, not its code."""
    out: dict[str, str] = {}
    for method, path, operation in operations_of(document):
        name = operation["operationId"]
        out[f"operation {name}"] = f"{method.upper()} {path} [{operation['tags'][0]}]"
        for parameter in operation.get("parameters", []):
            out[f"{name} parameter {parameter['in']}:{parameter['name']}"] = (
                ("required " if parameter.get("required") else "")
                + _schema_surface(document, parameter.get("schema", {})))
        for media, content in operation.get("requestBody", {}).get("content", {}).items():
            out[f"{name} request {media}"] = _schema_surface(document, content.get("schema", {}))
        for status, answer in operation["responses"].items():
            answer = _resolve(document, answer)
            for media, content in answer.get("content", {}).items():
                out[f"{name} answer {status} {media}"] = _schema_surface(document, content.get("schema", {}))
    for schema_name, schema in document["components"]["schemas"].items():
        required = set(schema.get("required", []))
        for prop, prop_schema in schema.get("properties", {}).items():
            out[f"schema {schema_name}.{prop}"] = (("required " if prop in required else "")
                                                  + _schema_surface(document, prop_schema))
    return out


def test_the_document_matches_the_committed_copy(document):
    copy, now = surface(json.loads(COPY.read_text(encoding="utf-8"))), surface(document)
    removed = sorted(key for key in copy if key not in now)
    added = sorted(key for key in now if key not in copy)
    changed = sorted(f"{key}: {copy[key]} -> {now[key]}" for key in copy.keys() & now.keys()
                     if copy[key] != now[key])
    assert not (removed or added or changed), (
        "the API changed what generated clients call; if that is meant, run `make openapi` and commit "
        f"tests/api/openapi.json with the change.\nremoved: {removed}\nadded: {added}\nchanged: {changed}")


def test_the_committed_copy_is_valid_and_names_every_operation():
    copy = json.loads(COPY.read_text(encoding="utf-8"))
    validate(copy)
    assert all(operation.get("operationId") for _, _, operation in operations_of(copy))
