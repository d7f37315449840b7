"""`st run --checks all` against a live server, as a client's tester runs it from outside.

The app is served over HTTP on the loopback with the demo data, and Schemathesis' own command line
runs every phase (examples, coverage, fuzzing, and the stateful phase that follows links between
operations) with every check, reading config/schemathesis.toml, once with a State's token and once
with a reviewer's. Any failure fails the test, with Schemathesis' report in the message.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tacase.db.models import User
from tacase.services import auth as auth_service
from tacase.services.actors import Actor
from tacase.services.clock import utcnow
from tacase.services.demo import load_demo
from tests.api.conftest import make_app
from tests.api.test_schemathesis import CONFIG_FILE

ST = Path(sys.executable).with_name("st")
# Accounts of the demo data whose tokens the runs use.
TOKENS = {"state": "focal.fji@example.org", "staff": "reviewer@example.org"}
MAX_EXAMPLES = 10


@pytest.fixture(scope="module")
def live(module_db) -> Iterator[tuple[str, dict[str, str]]]:
    """The app with the demo data on a free port, and a token per account of TOKENS."""
    app = make_app(module_db, utcnow)
    sessions = app.extensions["tacase"]["sessions"]
    tokens = {}
    with sessions() as s:
        load_demo(s, utcnow)
        for who, email in TOKENS.items():
            user = s.scalar(select(User).where(User.email == email))
            tokens[who] = auth_service.create_token(s, Actor.for_user(user), utcnow, name="st", days=1)[1]
        s.commit()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", tokens
    server.shutdown()
    thread.join()
    app.extensions["tacase"]["engine"].dispose()


@pytest.mark.slow
@pytest.mark.parametrize("who", sorted(TOKENS))
def test_schemathesis_finds_nothing_with_every_check(live, who, tmp_path):
    if not ST.exists() and shutil.which("st") is None:
        pytest.fail("the Schemathesis command line (st) is not installed: make install-test installs it")
    base, tokens = live
    command = [
        str(ST if ST.exists() else shutil.which("st")), "--no-color", "--config-file", str(CONFIG_FILE),
        "run", f"{base}/api/v1/openapi.json", "--checks", "all", "--workers", "1",
        "--max-examples", str(MAX_EXAMPLES), "--generation-database", "none",
        "-H", f"Authorization: Bearer {tokens[who]}",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path, check=False)
    report = done.stdout[-20000:] + done.stderr[-5000:]
    assert done.returncode == 0, f"st run as {who} found failures:\n{report}"
