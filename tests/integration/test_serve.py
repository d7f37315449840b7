"""`tacase serve` runs the app under gunicorn with the workers asked for."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_serve_answers_with_two_workers(fresh_db, backend):
    if backend != "sqlite":
        pytest.skip("one database is enough to see gunicorn start")
    port = free_port()
    env = {**os.environ, "TACASE_CONFIG": "development", "TACASE_DATABASE_URL": fresh_db}
    tacase = os.path.join(os.path.dirname(sys.executable), "tacase")
    proc = subprocess.Popen([tacase, "serve", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as r:
                    assert r.status == 200
                    assert r.headers["Server"].startswith("gunicorn")
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        output = proc.communicate(timeout=30)[0]
    assert output.count("Booting worker") == 2
