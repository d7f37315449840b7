"""A client generated from the live OpenAPI document, driven as a ministry's developer would drive it.

`openapi-python-client` builds a Python package from /api/v1/openapi.json; the test imports it and
runs a request's journey through it against the app served over HTTP with the demo data: a State
opens a request, completes it and submits it, a reviewer returns it, the State replies, a document
goes up and comes down again, and a step the workflow refuses comes back as the error model. The
generator must build every operation without a warning: a change of the document that makes it drop
a response, or that renames a function, fails here.
"""

from __future__ import annotations

import importlib
import json
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tacase.db.models import User
from tacase.services import auth as auth_service
from tacase.services.actors import Actor
from tacase.services.clock import utcnow
from tacase.services.demo import load_demo
from tests.api.conftest import complete_fields, make_app
from tests.api.test_documents import PNG

GENERATOR = "openapi-python-client"
PACKAGE = "tacase_generated_client"
TOKENS = {"state": "focal.fji@example.org", "reviewer": "reviewer@example.org"}
QUESTIONS = "Please give the indicators for the second expected result."
REPLY = "Indicators added: number of legal aid clinics opened."


METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def operations_of(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(method, path, operation) for every operation of an OpenAPI document."""
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                yield method, path, item[method]


def _generator() -> str:
    beside = Path(sys.executable).with_name(GENERATOR)
    found = str(beside) if beside.exists() else shutil.which(GENERATOR)
    if found is None:
        pytest.skip(f"{GENERATOR} is not installed (it comes with the test extra: pip install -e '.[test]')")
    return found


@pytest.fixture(scope="module")
def live(module_db) -> Iterator[tuple[str, dict[str, str], dict[str, Any]]]:
    """The app with the demo data on a free port, a token per account of TOKENS, and its document."""
    app = make_app(module_db, utcnow)
    tokens = {}
    with app.extensions["tacase"]["sessions"]() as s:
        load_demo(s, utcnow)
        for who, email in TOKENS.items():
            user = s.scalar(select(User).where(User.email == email))
            tokens[who] = auth_service.create_token(s, Actor.for_user(user), utcnow, name="client", days=1)[1]
        s.commit()
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tokens, document
    server.shutdown()
    thread.join()
    app.extensions["tacase"]["engine"].dispose()


def generate(document: dict[str, Any], where: Path) -> tuple[ModuleType, str]:
    """The client package built from `document`, imported, and what the generator said."""
    (where / "openapi.json").write_text(json.dumps(document))
    # No formatting hooks: the client is only imported here, and ruff need not be on PATH.
    # The XLSX download is a file like the others (as the README's command says).
    (where / "config.json").write_text(json.dumps({"post_hooks": [], "content_type_overrides": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": "application/octet-stream"}}))
    done = subprocess.run(
        [_generator(), "generate", "--path", "openapi.json", "--config", "config.json", "--meta", "none",
         "--output-path", PACKAGE, "--overwrite", "--fail-on-warning"],
        cwd=where, capture_output=True, text=True, timeout=300, check=False)
    said = done.stdout + done.stderr
    assert done.returncode == 0, said
    sys.path.insert(0, str(where))
    try:
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
        return importlib.import_module(PACKAGE), said
    finally:
        sys.path.remove(str(where))


@pytest.fixture(scope="module")
def generated(live, tmp_path_factory) -> tuple[ModuleType, str]:
    return generate(live[2], tmp_path_factory.mktemp("client"))


def test_the_generator_keeps_every_operation(generated, live):
    package, said = generated
    assert "Warning" not in said and "WARNING" not in said, said
    operations = {op["operationId"] for _, _, op in operations_of(live[2])}
    modules = {
        f"{tag.name}.{module.name}"
        for tag in (Path(package.__file__).parent / "api").iterdir() if tag.is_dir()
        for module in tag.glob("*.py") if module.name != "__init__.py"
    }
    snake = {op: "".join(f"_{c.lower()}" if c.isupper() else c for c in op) for op in operations}
    assert {m.split(".")[1].removesuffix(".py") for m in modules} == set(snake.values())
    assert "documents.download_document.py" in modules


def test_a_request_journey_through_the_generated_client(generated, live):
    package, _ = generated
    base, tokens, _ = live
    models = importlib.import_module(f"{PACKAGE}.models")
    types = importlib.import_module(f"{PACKAGE}.types")
    from_cases = {name: importlib.import_module(f"{PACKAGE}.api.cases.{name}") for name in (
        "open_case", "get_case", "edit_case", "fire_transition", "list_transitions", "list_cases")}
    from_documents = {name: importlib.import_module(f"{PACKAGE}.api.documents.{name}") for name in (
        "upload_document", "download_document")}
    state = package.AuthenticatedClient(base_url=base, token=tokens["state"], raise_on_unexpected_status=True)
    reviewer = package.AuthenticatedClient(base_url=base, token=tokens["reviewer"],
                                           raise_on_unexpected_status=True)

    # The State opens a draft with part of the form, then completes it from the version it read.
    fields = complete_fields()
    later = {"expected_results": fields.pop("expected_results")}
    opened = from_cases["open_case"].sync(
        client=state, body=models.NewCaseUprFund.from_dict({"type": "upr_fund", **fields}))
    assert isinstance(opened, models.Case), opened
    reference = opened.reference
    assert opened.status == "draft"
    read = from_cases["get_case"].sync_detailed(reference, client=state)
    assert isinstance(read.parsed, models.Case)
    edited = from_cases["edit_case"].sync(reference, client=state, body=models.CaseChanges.from_dict(later),
                                          if_match=read.headers["ETag"])
    assert isinstance(edited, models.Case), edited
    assert edited.fields.to_dict()["expected_results"] == later["expected_results"]

    # A document goes up with the request and comes down as the same bytes.
    uploaded = from_documents["upload_document"].sync(reference, client=state, body=models.DocumentUpload(
        file=types.File(payload=PNG, file_name="chart.png", mime_type="image/png")))
    assert isinstance(uploaded, models.Document), uploaded
    downloaded = from_documents["download_document"].sync_detailed(reference, uploaded.id, client=state)
    assert isinstance(downloaded.parsed, types.File)
    assert downloaded.parsed.payload.read() == PNG
    assert downloaded.headers["Content-Type"] == "image/png"

    # It is submitted; the reviewer finds it and returns it with a question.
    triggers = [t.trigger for t in from_cases["list_transitions"].sync(reference, client=state)]
    assert triggers == ["submit", "withdraw"]
    fire = from_cases["fire_transition"]
    submitted = fire.sync(reference, client=state, body=models.StepSubmit.from_dict({"trigger": "submit"}))
    assert isinstance(submitted, models.Case), submitted
    assert submitted.status == "submitted"
    listed = from_cases["list_cases"].sync(client=reviewer, q=reference)
    assert isinstance(listed, models.CasePage), listed
    assert [c.reference for c in listed.items] == [reference]
    returned = fire.sync(reference, client=reviewer, body=models.StepReturnToState.from_dict(
        {"trigger": "return_to_state", "data": {"questions": QUESTIONS}}))
    assert isinstance(returned, models.Case), returned
    assert returned.status == "returned"

    # A step the workflow does not allow now is refused, and the refusal is the error model.
    again = models.StepSubmit.from_dict({"trigger": "submit"})
    refused = fire.sync_detailed(reference, client=state, body=again)
    assert refused.status_code == 409
    assert isinstance(refused.parsed, models.Error)
    assert refused.parsed.code and "resubmit" in refused.parsed.allowed

    # The State replies; the request is back with the office.
    replied = fire.sync(reference, client=state, body=models.StepResubmit.from_dict(
        {"trigger": "resubmit", "data": {"reply": REPLY}}))
    assert isinstance(replied, models.Case), replied
    assert replied.status == "submitted"
