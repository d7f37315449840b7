"""Languages of the web pages (Flask-Babel): one chosen in the address, the signed-in user's own
setting, else the browser's."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel.support import NullTranslations
from flask import Flask, g, request
from flask_babel import Babel, format_date, format_datetime, get_locale, get_translations, gettext

from tacase.services.accounts import LOCALES
from tacase.web.context import principal, runtime

# The languages the web pages have catalogs for (tacase/translations); English is the source text.
WEB_LOCALES = LOCALES
TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"


def select_locale() -> str:
    # A language chosen in the address (the public pages' chooser): a visitor needs no cookie for it.
    chosen = request.args.get("lang")
    if chosen in WEB_LOCALES:
        return chosen
    p = principal()
    if p is not None and p.user.locale in WEB_LOCALES:
        return p.user.locale
    # The browser's languages best first; "fr-CH" is French (werkzeug's best_match would take a
    # later exact "en" over it).
    for value, _quality in request.accept_languages:
        language = value.replace("_", "-").split("-")[0].lower()
        if language in WEB_LOCALES:
            return language
    return "en"


def select_timezone() -> str:
    return runtime().timezone  # deadlines are read on the duty station's clock, which is named


def due(instant: dt.datetime | None) -> str:
    """A deadline as the reader's language writes it: '13 March 2026, 17:00 (Europe/Zurich)'."""
    if instant is None:
        return ""
    return f"{format_datetime(instant, 'd MMMM y, HH:mm')} ({select_timezone()})"


def deadline(instant: dt.datetime | None) -> str:
    """A deadline as the reader's language writes it. One that falls at midnight on the duty
    station's clock is the end of the day before, a date-only deadline: '12 March 2026', not
    '13 March 2026, 00:00 (Europe/Zurich)'. Another keeps its time, as `due` writes it."""
    if instant is None:
        return ""
    local = instant.astimezone(ZoneInfo(select_timezone()))
    if local.time() == dt.time():
        return format_date(local.date() - dt.timedelta(days=1), "d MMMM y")
    return due(instant)


def day(value: dt.date | None) -> str:
    """A date as every page writes it: '29 January 2027' (its words in the reader's language)."""
    return format_date(value, "d MMMM y") if value else ""


def state_name(state: Any) -> str:
    """A State's name in the page's language (the reference data carries the six UN languages)."""
    if state is None:
        return ""
    language = str(get_locale() or "en")
    return state.names.get(language) or state.names["en"]


def page_translations() -> NullTranslations:
    """The catalog a page is written with. Flask-Babel finds it again for every text (several context
    lookups and the locale's name each time: a third of a long page's time); a page keeps it instead,
    for as long as the locale is the same object (`force_locale` swaps it)."""
    babel_ctx = getattr(g, "_flask_babel", None)
    kept = getattr(babel_ctx, "tacase_catalog", None)
    if kept is not None and kept[0] is getattr(babel_ctx, "babel_locale", None):
        return kept[1]
    locale = get_locale()  # makes Flask-Babel's per-request namespace and settles the locale
    catalog = get_translations()
    g._flask_babel.tacase_catalog = (locale, catalog)
    return catalog


def init_i18n(app: Flask) -> None:
    Babel(app, default_locale="en", default_translation_directories=str(TRANSLATIONS),
          locale_selector=select_locale, timezone_selector=select_timezone)
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: page_translations().ugettext(s),
        ngettext=lambda s, p, n: page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: page_translations().unpgettext(c, s, p, n),
        newstyle=True)
    app.jinja_env.globals["get_locale"] = get_locale
    # A text that comes with the data (a report's headings): translated, with no values put into it, so
    # that "80%" stays as it is (the templates' `_` always formats).
    app.jinja_env.globals["label"] = gettext
    app.jinja_env.filters["due"] = due
    app.jinja_env.filters["day"] = day
    app.jinja_env.filters["deadline"] = deadline
    app.jinja_env.filters["state_name"] = state_name
