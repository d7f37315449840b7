"""The mail inviting a colleague to answer a call: the State, the call, the closing date and the link,
in the inviting focal point's language, with nothing a recipient could take for markup."""

from __future__ import annotations

import datetime as dt

import pytest

from tacase.engine import calls as call_defs
from tacase.services.calls.invitation_mail import render_invitation
from tests.integration.call_fixtures import RAW

LINK = "https://tacase.example.org/calls/invitations/abc_DEF-123"
EXPIRES = dt.datetime(2026, 4, 30, 22, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(("locale", "state", "closing"), [
    ("en", "Fiji", "31 March 2026"), ("fr", "Fidji", "31 mars 2026"), ("es", "Fiji", "31 de marzo de 2026"),
    ("xx", "Fiji", "31 March 2026"), (None, "Fiji", "31 March 2026")])
def test_the_invitation_names_state_call_closing_date_and_link(locale, state, closing):
    definition = call_defs.parse(RAW, "test")
    subject, text, html = render_invitation(definition, state_code="FJI", ministry="Ministry of Health",
                                            inviter="Mere", link=LINK, expires_at=EXPIRES, locale=locale)
    for body in (text, html):
        assert LINK in body and closing in body and "Ministry of Health" in body and "Mere" in body
    assert state in subject and definition.title.text(locale or "en") in subject
    assert "\n" not in subject


def test_names_are_escaped_in_the_html_mail():
    definition = call_defs.parse(RAW, "test")
    _subject, text, html = render_invitation(definition, state_code="FJI", ministry="<b>Health</b>",
                                             inviter="A & B", link=LINK, expires_at=EXPIRES, locale="en")
    assert "<b>Health</b>" not in html and "&lt;b&gt;Health&lt;/b&gt;" in html and "A &amp; B" in html
    assert "<b>Health</b>" in text
