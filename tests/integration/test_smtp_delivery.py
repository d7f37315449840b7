"""End to end over SMTP: a transition's mails reach a local SMTP server (aiosmtpd on 127.0.0.1);
a server that refuses gets retries and then the message is parked with its answer kept."""

from __future__ import annotations

import datetime as dt
import socket
import threading
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from sqlalchemy import select

from tacase.db.models import OutboxMessage
from tacase.mail import SmtpSender, parse_smtp_url
from tacase.services import accounts, cases, outbox, transitions
from tacase.services.actors import SYSTEM, Actor
from tests.conftest import Factory

MAIL_FROM = "tacase <no-reply@ohchr.example>"


class Sink:
    """Keeps what it accepts; `rcpt_reply` / `data_reply` make it refuse instead."""

    def __init__(self) -> None:
        self.messages: list = []
        self.rcpt_reply: str | None = None
        self.data_reply: str | None = None
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data_reply:
            return self.data_reply
        with self.lock:
            message = message_from_bytes(envelope.content, policy=default_policy)
            self.messages.append((envelope.rcpt_tos, message))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and (
        (auth_data.login, auth_data.password) == (b"tacase", b"s3cret:!"))
    return AuthResult(success=ok, handled=False)  # not handled: aiosmtpd answers 235 or 535 itself


@pytest.fixture
def smtp():
    sink = Sink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port(), authenticator=authenticate,
                            auth_require_tls=False)
    controller.start()
    yield sink, controller.port
    controller.stop()


def sender_for(url: str) -> SmtpSender:
    return SmtpSender(parse_smtp_url(url), MAIL_FROM)


def seed_transition(sessions, clock) -> str:
    """Two focal points of Fiji; one submits, the other hears of it."""
    with sessions() as s:
        focal = Actor.for_user(accounts.create_user(s, SYSTEM, clock, email="focal@example.org",
                                                    roles=["state_focal_point"], state_code="FJI",
                                                    password=None))
        accounts.create_user(s, SYSTEM, clock, email="colleague@example.org", roles=["state_focal_point"],
                             state_code="FJI", password=None, display_name="Colleague in Suva")
        case = cases.open_draft(s, focal, clock, type="upr_fund", fields=Factory(s, clock).complete_fields())
        transitions.fire_transition(s, focal, clock, case.reference, "submit")
        s.commit()
        return case.reference


def only_message(sessions) -> OutboxMessage:
    with sessions() as s:
        [message] = s.scalars(select(OutboxMessage))
        return message


def deliver(sessions, clock, sender):
    return outbox.deliver_due(sessions, clock, sender, worker="smtp-test", max_attempts=3, backoff_seconds=60)


def test_a_transitions_mail_arrives_with_text_html_and_its_message_id(fresh_sessions, clock, smtp):
    sink, port = smtp
    reference = seed_transition(fresh_sessions, clock)
    counts = deliver(fresh_sessions, clock, sender_for(f"smtp://127.0.0.1:{port}?timeout=5"))
    assert counts["sent"] == 1
    row = only_message(fresh_sessions)
    assert row.status == "sent" and row.sent_at == clock()
    [(rcpt, msg)] = sink.messages
    assert rcpt == ["colleague@example.org"] and msg["To"] == "colleague@example.org"
    assert msg["From"] == MAIL_FROM and msg["Subject"] == f"{reference}: Under review"
    assert msg["Message-ID"] == f"<tacase.outbox.{row.id}.20260302090000@ohchr.example>"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    assert text.startswith("Dear Colleague in Suva,") and f"/cases/{reference}" in text
    assert f'href="http://127.0.0.1:5000/cases/{reference}"' in html


def test_a_server_that_refuses_the_recipient_gets_retries_then_the_message_is_parked(
        fresh_sessions, clock, smtp):
    sink, port = smtp
    sink.rcpt_reply = "550 5.1.1 mailbox unavailable"
    seed_transition(fresh_sessions, clock)
    sender = sender_for(f"smtp://127.0.0.1:{port}")
    assert deliver(fresh_sessions, clock, sender)["failed"] == 1
    first = only_message(fresh_sessions)
    assert (first.status, first.attempts) == ("pending", 1)
    assert first.last_error == "recipient refused: colleague@example.org: 550 5.1.1 mailbox unavailable"
    assert first.next_attempt_at == clock() + dt.timedelta(seconds=60)
    clock.advance(seconds=60)
    assert deliver(fresh_sessions, clock, sender)["failed"] == 1
    clock.advance(seconds=120)
    assert deliver(fresh_sessions, clock, sender)["parked"] == 1
    parked = only_message(fresh_sessions)
    assert (parked.status, parked.attempts, parked.sent_at) == ("parked", 3, None)
    assert "550 5.1.1 mailbox unavailable" in parked.last_error
    assert sink.messages == []


def test_a_temporary_refusal_is_retried_and_then_delivered(fresh_sessions, clock, smtp):
    sink, port = smtp
    sink.data_reply = "451 4.3.0 try again later"
    seed_transition(fresh_sessions, clock)
    sender = sender_for(f"smtp://127.0.0.1:{port}")
    assert deliver(fresh_sessions, clock, sender)["failed"] == 1
    assert only_message(fresh_sessions).last_error == "SMTPDataError: 451 4.3.0 try again later"
    sink.data_reply = None
    clock.advance(minutes=1)
    assert deliver(fresh_sessions, clock, sender)["sent"] == 1
    assert len(sink.messages) == 1 and only_message(fresh_sessions).attempts == 2


def test_credentials_in_the_url_sign_in(fresh_sessions, clock, smtp):
    sink, port = smtp
    seed_transition(fresh_sessions, clock)
    wrong = deliver(fresh_sessions, clock, sender_for(f"smtp://tacase:nope@127.0.0.1:{port}"))
    assert wrong["failed"] == 1 and "535" in only_message(fresh_sessions).last_error
    clock.advance(minutes=1)
    right = deliver(fresh_sessions, clock, sender_for(f"smtp://tacase:s3cret%3A%21@127.0.0.1:{port}"))
    assert right["sent"] == 1 and len(sink.messages) == 1


def test_no_server_at_all_is_a_failure_to_retry(fresh_sessions, clock):
    seed_transition(fresh_sessions, clock)
    counts = deliver(fresh_sessions, clock, sender_for(f"smtp://127.0.0.1:{free_port()}?timeout=2"))
    assert counts["failed"] == 1
    assert only_message(fresh_sessions).last_error.startswith("ConnectionRefusedError")


def seed_mails(sessions, clock, count: int, *, refused: tuple[int, ...] = ()) -> None:
    with sessions() as s:
        s.add_all([OutboxMessage(
            created_at=clock(), recipient_id=None, subject=f"Message {i}", body_text="Text",
            body_html="<p>HTML</p>",
            to_address=f"{'nobody' if i in refused else 'person'}{i}@example.org", kind="status_change",
            case_id=None, status="pending", attempts=0, next_attempt_at=clock()) for i in range(count)])
        s.commit()


def test_a_batch_shares_one_connection_and_one_tls_context(fresh_sessions, clock, smtp, monkeypatch):
    import ssl

    sink, port = smtp
    seed_mails(fresh_sessions, clock, 12)
    contexts = []
    real = ssl.create_default_context
    monkeypatch.setattr(ssl, "create_default_context", lambda *a, **k: contexts.append(1) or real(*a, **k))
    sender = sender_for(f"smtp://127.0.0.1:{port}")
    assert deliver(fresh_sessions, clock, sender)["sent"] == 12
    assert len(sink.messages) == 12
    assert sender.connections == 1 and contexts == []  # plain smtp:// needs no TLS context at all


def test_a_refused_recipient_leaves_the_connection_to_the_next_message(fresh_sessions, clock, smtp):
    sink, port = smtp

    async def refuse_nobody(server, session, envelope, address, rcpt_options):
        if address.startswith("nobody"):
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    sink.handle_RCPT = refuse_nobody
    seed_mails(fresh_sessions, clock, 6, refused=(2,))
    sender = sender_for(f"smtp://127.0.0.1:{port}")
    counts = deliver(fresh_sessions, clock, sender)
    assert (counts["sent"], counts["failed"]) == (5, 1)
    assert sender.connections == 1


def test_a_connection_that_breaks_is_opened_again_for_the_next_message(fresh_sessions, clock, smtp):
    _sink, port = smtp
    seed_mails(fresh_sessions, clock, 4)
    sender = sender_for(f"smtp://127.0.0.1:{port}")
    sent = []
    real_send = sender.send

    def send_then_break(mail):
        real_send(mail)
        sent.append(mail.outbox_id)
        if len(sent) == 2:
            sender._conn.sock.shutdown(socket.SHUT_RDWR)  # the server went away between two messages

    sender.send = send_then_break
    counts = deliver(fresh_sessions, clock, sender)
    assert counts["sent"] + counts["failed"] == 4 and counts["sent"] >= 3
    assert sender.connections == 2
