"""No English left on a French or Spanish page.

Each page type of the accessibility run (tests/e2e/test_page_accessibility.py's PAGES), fetched with
Flask's test client by the same person, in English and in the other language: a visible text node that
reads the same in both and is one of the application's own texts (a message the catalogs are built from:
the pages' and the services' gettext calls, the templates, the workflow files) is a translation missing
from the catalog. What people typed (titles, comments), references, e-mail addresses and names stay as
they are in every language, and are no catalog text; a page marks raw records `translate="no"`.

The catalogs are brought up to date after a merge, by a translator (`make translations`): until then a
text added to the code shows in English, and this test says which.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from functools import cache
from html.parser import HTMLParser
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from flask.testing import FlaskClient

from tacase.services.clock import FixedClock
from tacase.web.workflow_messages import extract as extract_workflow
from tests.api.conftest import make_app
from tests.e2e.test_page_accessibility import PAGES, PageType, _enrich
from tests.web.conftest import sign_in
from tests.web.seed import Person, populate

ROOT = Path(__file__).resolve().parents[2]
LANGUAGES = ("fr", "es")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
# Where the catalogs' texts come from: tacase/translations/babel.cfg, read the same way.
SOURCES = (("python", "tacase/web/**/*.py"), ("python", "tacase/services/messages.py"),
           ("python", "tacase/services/calls/*.py"), ("python", "tacase/engine/call_answers.py"),
           ("jinja2", "tacase/templates/web/**/*.html"), (extract_workflow, "workflows/*.yaml"))
# Texts that read the same in every language: names and abbreviations never translated (a text of one
# word is never flagged: too many read the same in French or Spanish).
SAME_IN_EVERY_LANGUAGE = {
    "OHCHR", "IATI", "IATI 2.03", "CSV", "JSON", "XLSX", "PDF", "SHA-256", "Europe/Zurich", "tacase",
    "English", "Français", "Español", "UN OHCHR",
}


# --- the catalog's texts --------------------------------------------------------------------------

def _pattern(msgid: str) -> re.Pattern[str]:
    """A text as it shows once its values are put in: each %(name)s stands for anything."""
    parts = re.split(r"%\(\w+\)[sdif]|%[sd]", " ".join(msgid.split()))
    return re.compile(".+?".join(re.escape(p) for p in parts), re.S)


@cache
def catalog_texts() -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    plain: set[str] = set()
    patterns: list[re.Pattern[str]] = []
    options = {"trim_blocks": "true", "lstrip_blocks": "true"}
    for method, pattern in SOURCES:
        for path in sorted(ROOT.glob(pattern)):
            for _line, message, _comments, _context in extract_from_file(method, str(path), keywords=KEYWORDS,
                                                                          options=options):
                for msgid in (message if isinstance(message, tuple) else (message,)):
                    if not msgid:
                        continue
                    if "%" in msgid:
                        patterns.append(_pattern(msgid))
                    else:
                        plain.add(" ".join(msgid.split()))
    return frozenset(plain), tuple(patterns)


def is_catalog_text(text: str) -> bool:
    plain, patterns = catalog_texts()
    if text in plain or text.rstrip(":.") in plain:
        return True
    # "Status: Draft" or "Reason given to the State:" — a catalog text of two words or more in the node
    if any(len(p.split()) > 1 and p in text for p in plain if len(p) > 8):
        return True
    return any(p.fullmatch(text) for p in patterns if len(p.pattern) > 12)


# --- a page's visible text ---------------------------------------------------------------------------

class _Text(HTMLParser):
    SKIP = {"script", "style", "template"}
    VOID = {"br", "img", "input", "meta", "link", "hr", "source", "col", "area", "base", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.nodes: list[str] = []
        self.stack: list[bool] = []  # per open element: inside a part not to read or translate

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.VOID:
            return
        hidden = tag in self.SKIP or dict(attrs).get("translate") == "no"
        self.stack.append(hidden or bool(self.stack and self.stack[-1]))

    def handle_endtag(self, tag: str) -> None:
        if tag not in self.VOID and self.stack:
            self.stack.pop()

    def handle_data(self, data: str) -> None:
        text = " ".join(data.split())
        if text and not (self.stack and self.stack[-1]):
            self.nodes.append(text)


def text_nodes(html: str) -> list[str]:
    parser = _Text()
    parser.feed(html.split("<body", 1)[-1])
    return parser.nodes


def _words(text: str) -> list[str]:
    return re.findall(r"[^\W\d_]{2,}", text)


def _english_sentence(text: str) -> bool:
    """A text made from an English catalog text with values put in ("Reply due 1 April 2026."): the
    values may be translated while the sentence around them is not."""
    _plain, patterns = catalog_texts()
    for pattern in patterns:
        literal = re.sub(r"\\.|\.\+\?", " ", pattern.pattern)
        if len(_words(literal)) >= 2 and pattern.fullmatch(text):
            return True
    return False


def untranslated(english: str, translated: str) -> list[str]:
    """The texts of the translated page that read as on the English page and are the application's own,
    and the English sentences that hold translated values."""
    shown = set(text_nodes(translated))
    english_nodes = set(text_nodes(english))
    out = [text for text in dict.fromkeys(text_nodes(translated))
           if text not in english_nodes and len(_words(text)) >= 2 and _english_sentence(text)]
    for text in dict.fromkeys(text_nodes(english)):
        if text not in shown or len(_words(text)) < 2 or text in SAME_IN_EVERY_LANGUAGE:
            continue
        if "@" in text or re.fullmatch(r"[\w/.-]*\d[\w/.-]*", text):
            continue  # an e-mail address, a reference, a document symbol
        if is_catalog_text(text):
            out.append(text)
    return out


# --- the site, once per module ------------------------------------------------------------------------

@pytest.fixture(scope="module")
def site(module_db) -> Iterator[SimpleNamespace]:
    clock = FixedClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))  # as tests/api/conftest.py's api_clock
    app = make_app(module_db, clock)
    seeded = populate(app.extensions["tacase"]["sessions"], clock)
    server = SimpleNamespace(app=app, clock=clock, seeded=seeded, url="http://localhost")
    extra = _enrich(server, Path(app.config["DOCUMENTS_DIR"]))
    yield SimpleNamespace(server=server, extra=extra, clients={})
    app.extensions["tacase"]["engine"].dispose()


def _person(site: SimpleNamespace, who: str | None) -> Person | None:
    if who is None:
        return None
    return getattr(site.extra, who, None) or getattr(site.server.seeded, who)


def _client(site: SimpleNamespace, person: Person | None) -> FlaskClient:
    key = person.email if person else ""
    if key not in site.clients:
        client = site.server.app.test_client()
        if person is not None:
            sign_in(client, person, totp=person.code(site.server.clock) if person.secret else "")
        site.clients[key] = client
    return site.clients[key]


def _with_language(path: str, language: str) -> str:
    return path + ("&" if "?" in path else "?") + f"lang={language}"


def _get(client: FlaskClient, path: str, language: str) -> tuple[str, Any]:
    """GET in the language, following redirects with the language kept; returns the last path too."""
    for _hop in range(5):
        response = client.get(_with_language(path, language))
        if response.status_code not in (301, 302, 303, 307, 308):
            break
        path = response.headers["Location"]
    return path, response


# What the browser does on the pages with an action, as the form sent with the test client.
def _act(client: FlaskClient, kind: PageType, path: str, language: str) -> Any:
    path, page = _get(client, path, language)
    html = page.get_data(as_text=True)
    data: dict[str, str] = {}
    for name in ("csrf_token", "form_token", "version"):
        found = re.search(rf'name="{name}" type="hidden" value="([^"]+)"', html)
        if found:
            data[name] = found.group(1)
    if kind.name == "sign-in-error":
        data.update(email="focal.fiji@example.org", password="not the password")
    if kind.name == "request-form-errors":
        data["action"] = "submit"
    if kind.name == "call-answer-errors":  # a year in words (as _answer_a_year_in_words does)
        version = re.search(r'name="version" value="(\d+)"', html)
        data.update({"q-has_plan": "yes", "q-plan_year": "soon", "action": "save",
                     "version": version.group(1) if version else ""})
    return client.post(_with_language(path, language), data=data)


def _page(site: SimpleNamespace, kind: PageType, language: str) -> str:
    client = _client(site, _person(site, kind.who))
    path = kind.path(site)
    response = _act(client, kind, path, language) if kind.act else _get(client, path, language)[1]
    return response.get_data(as_text=True)


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", PAGES, ids=[p.name for p in PAGES])
def test_no_english_text_on_a_translated_page(site, kind, language):
    english, translated = _page(site, kind, "en"), _page(site, kind, language)
    assert f'<html lang="{language}"' in translated, f"the page did not change to {language}"
    left = untranslated(english, translated)
    assert not left, f"shown in English on the {language} page {kind.name}:\n" + "\n".join(left)


# --- the checker itself, without a database ------------------------------------------------------------

def test_the_checker_finds_a_catalog_text_left_in_english_and_lets_data_pass():
    english = ('<body><h1>Audit log</h1><p>Legal aid for remote islands</p><p>UPR-2026-0001</p>'
               '<dl translate="no"><dt>action</dt><dd>Audit log</dd></dl></body>')
    french = ('<body><h1>Audit log</h1><p>Legal aid for remote islands</p><p>UPR-2026-0001</p>'
              '<dl translate="no"><dt>action</dt><dd>Audit log</dd></dl></body>')
    assert untranslated(english, french) == ["Audit log"]
    assert untranslated(english, french.replace("<h1>Audit log", "<h1>Journal d'audit")) == []
    # an English sentence around a translated value is English all the same
    mixed = "Please reply by 1 avril 2026."
    english = "<body><p>Please reply by 1 April 2026.</p></body>"
    assert untranslated(english, f"<body><p>{mixed}</p></body>") == [mixed]
