"""Examples in the OpenAPI document: real request and answer bodies recorded from the demo data.

examples.json maps an operationId to its request body and its answers by status; it is written by
`make openapi` (tests/api/openapi_examples.py), never by hand. Client generators and the interactive
documentation show them beside the schemas.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from apispec import BasePlugin

EXAMPLES_FILE = Path(__file__).with_name("examples.json")


@cache
def recorded() -> dict[str, dict[str, Any]]:
    if not EXAMPLES_FILE.exists():
        return {}
    return json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))


def _set_example(media_types: dict[str, Any], example: Any) -> None:
    json_type = media_types.get("application/json")
    if json_type is not None:
        json_type["example"] = example


class ExamplesPlugin(BasePlugin):
    """Puts each operation's recorded bodies on its JSON request body and JSON answers."""

    def init_spec(self, spec: Any) -> None:
        self.spec = spec

    def _branch(self, media_types: dict[str, Any], example: Any) -> dict[str, Any] | None:
        """The schema of the branch a request example takes, when its body is one of several
        (a request type, a trigger) told apart by a discriminator."""
        ref = media_types.get("application/json", {}).get("schema", {}).get("$ref", "")
        schemas = self.spec.components.schemas
        union = schemas.get(ref.rsplit("/", 1)[-1], {})
        if "discriminator" not in union or not isinstance(example, dict):
            return None
        branch = union["discriminator"]["mapping"].get(example.get(union["discriminator"]["propertyName"]))
        return schemas.get(branch.rsplit("/", 1)[-1]) if branch else None

    def operation_helper(self, path: str | None = None, operations: dict | None = None,
                         **kwargs: Any) -> None:
        for operation in (operations or {}).values():
            example = recorded().get(operation.get("operationId", ""))
            if not example:
                continue
            body = operation.get("requestBody")
            if "request" in example and isinstance(body, dict) and "content" in body:
                branch = self._branch(body["content"], example["request"])
                if branch is not None:
                    # On the branch, not the body: Schemathesis takes an example of a body that is
                    # one of several for invalid data in its negative tests, and reports it accepted.
                    branch["example"] = example["request"]
                else:
                    _set_example(body["content"], example["request"])
            responses = {str(status): answer for status, answer in operation.get("responses", {}).items()}
            for status, answer in example.get("responses", {}).items():
                response = responses.get(status)  # flask-smorest keys them by number
                if isinstance(response, dict) and "content" in response:
                    _set_example(response["content"], answer)
