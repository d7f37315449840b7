"""Mails in the recipient's language: French, Spanish, English, and English for anything else."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tacase.services.accounts import LOCALES
from tacase.services.messages import (
    KINDS,
    LANGUAGES,
    REASON_ASSIGNEE,
    REASON_FOCAL_POINT,
    STATE_KINDS,
    DigestItem,
    MailContext,
    format_due,
    format_value,
    render,
    render_digest,
    translate,
)

DUE = dt.datetime(2026, 3, 13, 16, 0, tzinfo=dt.UTC)  # 17:00 in Geneva (CET)
# Sentences of the English templates that a translated mail must not carry.
ENGLISH = ("Dear ", "Open the case", "Office of the United Nations High Commissioner", "daily digest",
           "You receive", "Case:", "Status:", "is due", "assigned to", "overdue", "reply")


def context(kind: str = "status_change", locale: str = "en", **extra) -> MailContext:
    audience = "state" if kind in STATE_KINDS else "office"
    values = dict(
        kind=kind, audience=audience, recipient_name="Ana <Tora>", reference="UPR-2026-0007",
        title="Legal aid <reform> & access", public_status="Under review", previous_status="Draft",
        link="https://tacase.example.org/cases/UPR-2026-0007", reason=REASON_ASSIGNEE,
        timezone="Europe/Zurich", due_at=DUE, due_party="state" if audience == "state" else "office",
        locale=locale,
    )
    if audience == "office":
        values["staff_status"] = "Screening and review"
    values.update(extra)
    return MailContext(**values)


def test_the_mail_languages_are_the_accounts_languages():
    assert LANGUAGES == LOCALES


def test_a_french_status_change_is_french_in_subject_body_labels_and_dates():
    r = render(context(locale="fr"))
    assert r.subject == "UPR-2026-0007 : En cours d'examen"
    assert r.text.startswith("Bonjour Ana <Tora>,")
    assert "Le statut du dossier UPR-2026-0007 est passé de « Projet » à « En cours d'examen »." in r.text
    assert "Statut : En cours d'examen" in r.text and "Dossier : UPR-2026-0007 - Legal aid" in r.text
    assert "OHCHR's step" not in r.text
    assert "vendredi 13 mars 2026, 17:00 (Europe/Zurich)" in r.text
    assert "mars" in r.html and "March" not in r.text + r.html
    assert '<html lang="fr">' in r.html
    assert ("est passé de &laquo;&nbsp;Projet&nbsp;&raquo; à &laquo;&nbsp;En cours d&#39;examen&nbsp;&raquo;"
            in r.html)
    for part in (r.text, r.html, r.fragment_text, r.fragment_html):
        for english in ENGLISH:
            assert english not in part, english


def test_a_spanish_status_change_is_spanish():
    r = render(context(locale="es"))
    assert r.subject == "UPR-2026-0007: En examen"
    assert r.text.startswith("Estimado/a Ana <Tora>:")
    assert "La situación del expediente UPR-2026-0007 pasó de «Borrador» a «En examen»." in r.text
    assert "viernes, 13 de marzo de 2026, 17:00 (Europe/Zurich)" in r.text and "marzo" in r.html
    assert '<html lang="es">' in r.html
    for english in ENGLISH:
        assert english not in r.text and english not in r.html, english


def test_an_english_mail_is_the_same_as_ever():
    r = render(context())
    assert r.subject == "UPR-2026-0007: Under review"
    assert r.text.startswith("Dear Ana <Tora>,")
    assert 'The status of UPR-2026-0007 changed from "Draft" to "Under review".' in r.text
    assert "changed from &ldquo;Draft&rdquo; to &ldquo;Under review&rdquo;." in r.html
    assert "<strong>UPR-2026-0007</strong>" in r.html and '<html lang="en">' in r.html
    assert "Friday 13 March 2026, 17:00 (Europe/Zurich)" in r.text


@pytest.mark.parametrize("locale", ["de", "xx", "", "FR", "fr_CA"])
def test_an_unknown_language_reads_english(locale):
    assert render(context(locale=locale)) == render(context())
    assert render_digest("Ana", [], locale=locale) == render_digest("Ana", [])


@pytest.mark.parametrize("locale", ["fr", "es"])
def test_the_html_part_is_escaped_in_every_language(locale):
    r = render(context("information_request", locale=locale,
                       fields=(("Questions", "Send <b>the budget</b> & plan"),)))
    assert "Legal aid &lt;reform&gt; &amp; access" in r.html and "Ana &lt;Tora&gt;" in r.html
    assert "Send &lt;b&gt;the budget&lt;/b&gt; &amp; plan" in r.html and "<b>the budget</b>" not in r.html
    assert "<strong>UPR-2026-0007</strong>" in r.html and "&lt;strong&gt;" not in r.html
    assert "Legal aid <reform> & access" in r.text and "Send <b>the budget</b> & plan" in r.text


@pytest.mark.parametrize("locale", ["fr", "es"])
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_is_translated_whole(kind, locale):
    r = render(context(kind, locale=locale, assignee_name="R. Eviewer" if kind == "escalation" else None))
    english = render(context(kind, assignee_name="R. Eviewer" if kind == "escalation" else None))
    assert r.subject != english.subject and "UPR-2026-0007" in r.subject
    for part in (r.text, r.html, r.fragment_text, r.fragment_html):
        assert "UPR-2026-0007" in part and "https://tacase.example.org/cases/UPR-2026-0007" in part
        for sentence in ENGLISH:
            assert sentence not in part, sentence
    undated = render(context(kind, locale=locale, due_at=None, due_party=None))
    assert "%(" not in undated.subject + undated.text and "UPR-2026-0007" in undated.subject


def test_recorded_values_and_field_labels_are_written_in_the_readers_language():
    fields = (("Budget requested", {"amount": Decimal("50000.00"), "currency": "USD"}),
              ("Start date", dt.date(2026, 6, 1)), ("Questions", True))
    french = render(context("information_request", locale="fr", fields=fields)).text
    assert "Budget demandé :\nUSD 50\u202f000,00" in french and "1 juin 2026" in french and "oui" in french
    spanish = render(context("information_request", locale="es", fields=fields)).text
    assert "Presupuesto solicitado:\nUSD 50.000,00" in spanish and "1 de junio de 2026" in spanish
    assert format_value(True, "es") == "sí" and format_value(False, "fr") == "non"
    assert format_value({"amount": 5, "currency": "EUR"}, "fr") == "EUR 5"
    assert format_value({"amount": Decimal("50000.00"), "currency": "USD"}) == "USD 50,000.00"
    assert format_due(DUE, "Europe/Zurich", "fr") == "vendredi 13 mars 2026, 17:00 (Europe/Zurich)"


def test_the_office_reads_both_labels_and_why_in_its_language():
    r = render(context("overdue", locale="fr"))
    assert "Statut : En cours d'examen (personnel : Tri et examen)" in r.text
    assert "Vous recevez ce message parce que le dossier vous est attribué." in r.text
    assert "Échéance : vendredi 13 mars 2026" in r.text and r.subject == "En retard : UPR-2026-0007"


def test_the_states_reason_names_it_in_the_readers_language():
    assert translate("fr", REASON_FOCAL_POINT, state="Fidji") == (
        "Vous recevez ce message en tant que point focal de votre État (Fidji) pour ses demandes au HCDH.")
    assert "ACNUDH" in translate("es", REASON_FOCAL_POINT, state="Fiji")
    assert translate("en", REASON_FOCAL_POINT, state="Fiji") == (
        "You receive this as a focal point of Fiji for its requests to OHCHR.")


def test_reminder_subjects_without_a_date_read_whole():
    assert render(context("reminder", due_at=None)).subject == "Reminder: UPR-2026-0007 is due soon"
    assert render(context("reminder", locale="fr", due_at=None)).subject == (
        "Rappel : UPR-2026-0007 arrive bientôt à échéance")
    assert render(context("state_reminder", locale="es")).subject == (
        "Recordatorio: su respuesta sobre UPR-2026-0007 debe llegar a más tardar el 13 de marzo de 2026")


@pytest.mark.parametrize(("locale", "one", "two"), [
    ("en", "tacase: your daily summary (1 update)", "tacase: your daily summary (2 updates)"),
    ("fr", "tacase : votre résumé quotidien (1 mise à jour)",
     "tacase : votre résumé quotidien (2 mises à jour)"),
    ("es", "tacase: su resumen diario (1 novedad)", "tacase: su resumen diario (2 novedades)"),
])
def test_a_digest_is_in_the_readers_language(locale, one, two):
    r = render(context("information_request", locale=locale))
    item = DigestItem(r.subject, r.fragment_text, r.fragment_html)
    single = render_digest("Ana & Co", [item], locale)
    double = render_digest("Ana & Co", [item, item], locale)
    assert (single.subject, double.subject) == (one, two)
    assert r.fragment_html.strip() in double.html and "Ana &amp; Co" in double.html
    assert f'<html lang="{locale}">' in double.html
    if locale != "en":
        for english in ("Dear", "summary:", "daily digest", "Office of the United Nations"):
            assert english not in double.text and english not in double.html
