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
from typing import Any

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
    app: Any = None  # the Flask app, for tests that add to the seeded data


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


# --- helpers shared by the journey, documents and conflict tests --------------------------------------

def serve(db_url: str) -> Iterator[LiveServer]:
    """A seeded app served on a free loopback port for as long as the generator is open; a
    module-scoped fixture does `yield from serve(module_db)` to have a server of its own."""
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))
    app = make_app(db_url, clock)
    app.config["SESSION_COOKIE_SECURE"] = False  # plain http on the loopback
    seeded = populate(app.extensions["tacase"]["sessions"], clock)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="e2e-server", daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}", seeded, clock, app)
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        app.extensions["tacase"]["engine"].dispose()


def sign_in_as(page, server: LiveServer, person) -> None:
    """Sign in through the English sign-in page, with the next code for accounts that have one."""
    from tests.api.conftest import PASSWORD

    page.goto(f"{server.url}/sign-in")
    page.get_by_label("E-mail address").fill(person.email)
    page.get_by_label("Password").fill(PASSWORD)
    if person.secret:
        page.get_by_label("Authenticator code").fill(person.code(server.clock))
    page.get_by_role("button", name="Sign in").click()
    assert "/sign-in" not in page.url, f"{person.email} could not sign in"


def fill_request_form(page, title: str) -> None:
    """Every field of a UPR Fund request, typed as a person would (lists one item per line)."""
    def labelled(label: str):  # a field the request type does not need is marked "(optional)"
        return page.get_by_label(re.compile(rf"^{re.escape(label)}( \(optional\))?$"))

    def text(label: str, value: str) -> None:
        labelled(label).fill(value)

    text("Title", title)
    text("Objectives", "Strengthen legal aid in the outer islands")
    text("Activities", "Workshops for paralegals and a review of the legal aid law")
    text("Expected results", "Legal aid law adopted\n- law adopted by Parliament\n"
                             "Paralegals trained\n- 40 paralegals certified")
    text("Human-rights recommendations addressed", "upr; A/HRC/43/8; 98.12\ntreaty_body; CRC/C/FJI/CO/2-4")
    text("Note verbale reference", "NV/2026/014")
    text("Note verbale date", "2026-02-20")
    text("Focal point", "Mere Tuilagi")
    text("Focal point e-mail", "mere.tuilagi@example.org")
    text("Recipient institutions", "Legal Aid Commission\nMinistry of Justice")
    text("Planned start", "2026-06-01")
    text("Planned end", "2026-12-31")
    page.get_by_label("Amount", exact=True).fill("50000.00")
    page.get_by_label("Currency (ISO code, such as USD)").fill("USD")
    # a UPR Fund grant is paid from the UPR Fund: the form does not ask its funding source
    assert page.get_by_label(re.compile(r"^Funding source")).count() == 0
    text("Sustainable Development Goal targets", "16.3, 5.c")
    text("Themes", "Access to justice")
    labelled("Consent to publish").select_option("yes")
    text("UPR cycle of the recommendations", "4")
    labelled("The State is a least developed country or a small island developing State").select_option("yes")
    labelled("A national implementation plan or mechanism is in place").select_option("no")
