"""Browser tests: the app served on a free loopback port, driven by Playwright in headless Chromium.

They use the system's Chromium (Debian's `chromium` package; `.ci/run` installs it), never a browser
downloaded by `playwright install`; TACASE_CHROMIUM names another executable. Without one, they skip.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from tacase.services.clock import FixedClock
from tests.api.conftest import make_app
from tests.web.seed import Seeded, populate

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "test-output" / "screenshots"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("TACASE_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium"),
                      shutil.which("chromium-browser")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_path()
    if executable is None:
        pytest.skip("no Chromium found (/usr/bin/chromium, or TACASE_CHROMIUM): install Debian's "
                    "`chromium` package to run the browser tests (.ci/run does)")
    sync_api = pytest.importorskip("playwright.sync_api",
                                   reason="playwright is not installed (the test extra)")
    playwright = sync_api.sync_playwright().start()
    # --no-sandbox: CI containers run as root, where Chromium's sandbox cannot start.
    browser = playwright.chromium.launch(executable_path=executable, headless=True, args=["--no-sandbox"])
    yield browser
    browser.close()
    playwright.stop()


@dataclass
class LiveServer:
    url: str
    seeded: Seeded
    clock: FixedClock


@pytest.fixture(scope="module")
def live_server(module_db) -> Iterator[LiveServer]:
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    app = make_app(module_db, clock)
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on the loopback
    seeded = populate(app.extensions["tacase"]["sessions"], clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    yield LiveServer(f"http://127.0.0.1:{server.server_port}", seeded, clock)
    server.shutdown()
    thread.join(timeout=10)
    server.server_close()
    app.extensions["tacase"]["engine"].dispose()


@pytest.fixture
def open_page(browser) -> Iterator[object]:
    """open_page(locale) gives a page in a browser context of its own: no cookies shared."""
    contexts = []

    def new(locale: str = "en-GB"):
        context = browser.new_context(locale=locale)
        contexts.append(context)
        return context.new_page()

    yield new
    for context in contexts:
        context.close()


@pytest.fixture
def page(open_page):
    return open_page()


@pytest.fixture
def screenshot(request):
    """screenshot(page, "dashboard") saves test-output/screenshots/<test>-dashboard.png."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    name = re.sub(r"[^\w.-]+", "-", request.node.name).strip("-")

    def take(page, step: str) -> Path:
        path = SCREENSHOTS / f"{name}-{step}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take
