"""What notifications say, and how mail is built: no database, no network."""

from __future__ import annotations

import datetime as dt
import json
import smtplib
from decimal import Decimal
from email import message_from_bytes
from email.policy import default as default_policy

import pytest

from tacase.mail import (
    FileSender,
    MailConfigError,
    OutgoingMail,
    SmtpSender,
    build_message,
    describe_error,
    make_sender,
    parse_smtp_url,
)
from tacase.services.messages import (
    KINDS,
    OFFICE_KINDS,
    STATE_KINDS,
    DigestItem,
    MailContext,
    context_from,
    facts_of,
    format_due,
    format_value,
    render,
    render_digest,
    render_mail,
    render_note,
    render_subject,
)

DUE = dt.datetime(2026, 3, 13, 16, 0, tzinfo=dt.UTC)  # 17:00 in Geneva (CET)


def context(kind: str, audience: str | None = None, **extra) -> MailContext:
    audience = audience or ("state" if kind in STATE_KINDS else "office")
    values = dict(
        kind=kind, audience=audience, recipient_name="Ana Tora", reference="UPR-2026-0007",
        title="Legal aid <reform> & access", public_status="Awaiting your reply",
        link="https://tacase.example.org/cases/UPR-2026-0007", reason="You receive this as a focal point.",
        timezone="Europe/Zurich", due_at=DUE, due_party="state" if audience == "state" else "office",
        previous_status="Under review",
    )
    if audience == "office":
        values["staff_status"] = "Returned to the State for information"
    values.update(extra)
    return MailContext(**values)


def test_due_dates_are_the_duty_stations_wall_clock_with_its_zone():
    assert format_due(DUE, "Europe/Zurich") == "Friday 13 March 2026, 17:00 (Europe/Zurich)"
    summer = dt.datetime(2026, 7, 3, 15, 0, tzinfo=dt.UTC)
    assert format_due(summer, "Europe/Zurich") == "Friday 3 July 2026, 17:00 (Europe/Zurich)"
    assert format_due(DUE, "America/New_York") == "Friday 13 March 2026, 12:00 (America/New_York)"


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_has_reference_status_due_date_and_link_in_text_and_html(kind):
    r = render(context(kind))
    for part in (r.text, r.html, r.fragment_text, r.fragment_html):
        assert "UPR-2026-0007" in part
        assert "Awaiting your reply" in part
        assert "Friday 13 March 2026, 17:00 (Europe/Zurich)" in part
        assert "https://tacase.example.org/cases/UPR-2026-0007" in part
    assert "UPR-2026-0007" in r.subject and "\n" not in r.subject
    assert r.text.startswith("Dear Ana Tora,") and "Dear" not in r.fragment_text
    assert r.html.startswith("<!DOCTYPE html>") and "<body" not in r.fragment_html


def test_html_is_escaped_and_text_is_not():
    r = render(context("information_request", fields=(("Questions", "Send <b>the budget</b> & plan"),)))
    assert "Legal aid &lt;reform&gt; &amp; access" in r.html
    assert "Send &lt;b&gt;the budget&lt;/b&gt; &amp; plan" in r.html and "<b>the budget</b>" not in r.html
    assert "Legal aid <reform> & access" in r.text and "Send <b>the budget</b> & plan" in r.text


def test_the_due_date_is_said_in_the_recipients_terms():
    state = render(context("information_request"))
    assert "Your reply is due by: Friday 13 March 2026" in state.text
    assert "Please reply in tacase by Friday 13 March 2026, 17:00 (Europe/Zurich)." in state.text
    waiting = render(context("status_change", due_party="office", public_status="Under review"))
    assert "OHCHR's step is due by: Friday" in waiting.text
    office = render(context("reminder"))
    assert "Due by: Friday 13 March 2026" in office.text
    assert office.subject == "Reminder: UPR-2026-0007 is due 13 March 2026"
    no_due = render(context("status_change", due_at=None, due_party=None))
    assert "due" not in no_due.text.lower().replace("you receive", "")


def test_a_states_mail_cannot_carry_staff_labels_or_assignees():
    with pytest.raises(ValueError, match="never reach the State"):
        context("status_change", staff_status="Screening and review")
    with pytest.raises(ValueError, match="never reach the State"):
        context("state_reminder", assignee_name="R. Eviewer")
    with pytest.raises(ValueError, match="unknown notification kind"):
        context("gossip", audience="office")


def test_office_mails_show_both_labels():
    r = render(context("overdue", public_status="Under review", staff_status="Screening and review"))
    assert "Status: Under review (staff: Screening and review)" in r.text


@pytest.mark.parametrize("kind", OFFICE_KINDS)
def test_office_kinds_say_why_the_recipient_gets_them(kind):
    r = render(context(kind, reason="You receive this because the case is assigned to you."))
    assert "because the case is assigned to you" in r.text and "because the case is assigned to you" in r.html


def test_escalation_names_the_assignee_or_says_nobody():
    assert "It is assigned to R. Eviewer." in render(context("escalation", assignee_name="R. Eviewer")).text
    assert "Nobody is assigned to it." in render(context("escalation")).text


def test_recorded_values_read_as_people_write_them():
    assert format_value({"amount": Decimal("50000.00"), "currency": "USD"}) == "USD 50,000.00"
    assert format_value(dt.date(2026, 6, 1)) == "1 June 2026"
    assert format_value(True) == "yes"
    assert format_value(["a", "b"]) == "a; b"
    assert format_value("highly_satisfactory") == "highly_satisfactory"


RECORDED = (
    ("Amount approved", {"amount": Decimal("50000.00"), "currency": "USD"}),
    ("Start date", dt.date(2026, 6, 1)),
    ("Met on", dt.datetime(2026, 5, 4, 9, 30, tzinfo=dt.UTC)),
    ("Co-funded", False),
    ("Partners", ["Ministry of Justice", "Bar association"]),
    ("Share", Decimal("0.125")),
    ("Workshops", 3),
    ("Nothing", None),
)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("locale", ["en", "fr", "es"])
def test_the_stored_facts_write_the_same_mail_as_the_context(kind, locale):
    ctx = context(kind, fields=RECORDED, locale=locale,
                  **({"assignee_name": "Desk officer"} if kind == "escalation" else {}))
    facts = facts_of(ctx)
    stored = json.loads(json.dumps(facts))  # what a JSON column gives back
    assert context_from(stored) == ctx
    assert render(context_from(stored)) == render(ctx)
    whole = render(ctx)
    assert render_mail(ctx) == (whole.subject, whole.text, whole.html)
    assert render_mail(ctx, fragment=True) == (whole.subject, whole.fragment_text, whole.fragment_html)
    assert render_note(ctx) == whole.fragment_text and render_subject(ctx) == whole.subject


def test_facts_refuse_what_json_could_not_give_back():
    with pytest.raises(TypeError, match="cannot carry a set"):
        facts_of(context("status_change", fields=(("Tags", {"a"}),)))
    with pytest.raises(ValueError, match="timezone-aware"):
        facts_of(context("status_change", fields=(("Met on", dt.datetime(2026, 5, 4)),)))
    with pytest.raises(ValueError, match="unknown notification kind"):
        context_from({**facts_of(context("status_change")), "kind": "party"})


def test_a_digest_has_one_greeting_and_every_item():
    first, second = render(context("information_request")), render(context("state_reminder"))
    digest = render_digest("Ana Tora", [DigestItem(r.subject, r.fragment_text, r.fragment_html)
                                        for r in (first, second)])
    assert digest.subject == "tacase: your daily summary (2 updates)"
    assert digest.text.count("Dear Ana Tora") == 1 and digest.html.count("Dear Ana Tora") == 1
    assert first.subject in digest.text and second.subject in digest.text
    # The stored fragments are inserted as HTML, not escaped a second time.
    assert first.fragment_html.strip() in digest.html and "&lt;p&gt;" not in digest.html


# --- building and sending mail ------------------------------------------------------------------

MAIL = OutgoingMail(outbox_id=42, to_address="ana@example.org", subject="UPR-2026-0007: Under review",
                    body_text="Plain words\nFrom the office\n", body_html="<p>Plain words</p>\n",
                    created_at=dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


def test_the_message_id_is_stable_and_derived_from_the_outbox_row():
    first = build_message(MAIL, "tacase <no-reply@ohchr.example>")
    again = build_message(MAIL, "tacase <no-reply@ohchr.example>")
    assert first["Message-ID"] == again["Message-ID"] == "<tacase.outbox.42.20260302090000@ohchr.example>"
    other = build_message(OutgoingMail(**{**MAIL.__dict__, "outbox_id": 43}), "no-reply@ohchr.example")
    assert other["Message-ID"] != first["Message-ID"]
    assert first["Auto-Submitted"] == "auto-generated"
    parsed = message_from_bytes(first.as_bytes(), policy=default_policy)
    assert parsed.get_body(("plain",)).get_content() == MAIL.body_text
    assert parsed.get_body(("html",)).get_content() == MAIL.body_html


@pytest.mark.parametrize(("url", "expected"), [
    ("smtp://mail.example.org", ("mail.example.org", 25, False, False, None, None, 20.0)),
    ("smtp://u%40x:p%3Ass@mail.example.org:2525?starttls=1&timeout=5",
     ("mail.example.org", 2525, False, True, "u@x", "p:ss", 5.0)),
    ("smtp://mail.example.org?starttls=true", ("mail.example.org", 587, False, True, None, None, 20.0)),
    ("smtps://user:secret@mail.example.org", ("mail.example.org", 465, True, False, "user", "secret", 20.0)),
])
def test_smtp_urls(url, expected):
    s = parse_smtp_url(url)
    assert (s.host, s.port, s.tls, s.starttls, s.username, s.password, s.timeout) == expected


@pytest.mark.parametrize(("url", "message"), [
    ("http://mail.example.org", "must start with smtp://"),
    ("smtp://", "names no host"),
    ("smtp://mail.example.org:99999", "not a valid URL"),
    ("smtps://mail.example.org?starttls=1", "TLS already"),
    ("smtp://mail.example.org?timeout=soon", "timeout"),
    ("smtp://mail.example.org?timeout=0", "timeout"),
    ("smtp://mail.example.org?tls=1", "unknown options"),
])
def test_bad_smtp_urls_are_refused_clearly(url, message):
    with pytest.raises(MailConfigError, match=message):
        parse_smtp_url(url)


class Config:
    SMTP_URL = ""
    MAIL_FROM = "tacase <no-reply@ohchr.example>"
    MAIL_LOG_PATH = ""


def test_the_sender_follows_the_configuration(tmp_path):
    config = Config()
    config.MAIL_LOG_PATH = str(tmp_path / "mail.log")
    assert isinstance(make_sender(config), FileSender)
    config.SMTP_URL = "smtp://mail.example.org?starttls=1"
    assert isinstance(make_sender(config), SmtpSender)
    config.MAIL_FROM = "nobody"
    with pytest.raises(MailConfigError, match="not a mail address"):
        make_sender(config)


def test_the_development_sender_appends_an_mbox_and_logs_a_line(tmp_path, caplog):
    import logging
    import mailbox

    path = tmp_path / "instance" / "mail.log"
    sender = FileSender(path, "tacase <no-reply@ohchr.example>")
    with caplog.at_level(logging.DEBUG, logger="tacase.mail"):
        sender.send(MAIL)
        sender.send(OutgoingMail(**{**MAIL.__dict__, "outbox_id": 43}))
    box = mailbox.mbox(path)
    try:
        messages = list(box)
    finally:
        box.close()
    assert [m["Message-ID"] for m in messages] == [
        "<tacase.outbox.42.20260302090000@ohchr.example>", "<tacase.outbox.43.20260302090000@ohchr.example>"]
    assert len([r for r in caplog.records if "ana@example.org" in r.getMessage()]) == 2


def test_errors_are_described_with_the_servers_words():
    refused = smtplib.SMTPRecipientsRefused({"a@example.org": (550, b"5.1.1 no such user")})
    assert describe_error(refused) == "recipient refused: a@example.org: 550 5.1.1 no such user"
    assert describe_error(smtplib.SMTPDataError(451, b"try later")) == "SMTPDataError: 451 try later"
    refused_connection = ConnectionRefusedError(111, "Connection refused")
    assert describe_error(refused_connection).startswith("ConnectionRefusedError")
