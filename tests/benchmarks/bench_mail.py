"""Mails per second from the outbox into a local SMTP sink, with one and with three workers.

    .venv/bin/python -m tests.benchmarks.bench_mail [--url URL] [--mails N]

Starts an SMTP server on the loopback (aiosmtpd) that counts what it accepts, writes N pending
outbox messages, and in the same run times:
  bare          smtplib alone sending N messages over one connection (no database): the ceiling
  per message   the outbox delivering with a new connection and TLS context per message (how
                tacase sent before batches shared them)
  1 worker      the outbox delivering, batch after batch, in one process
  3 workers     three processes delivering the same outbox at once (SKIP LOCKED on PostgreSQL;
                on SQLite they take turns at the one write lock)
and prints mails per second for each and the ratio to the bare sender. Tables are dropped and
recreated: use a scratch database (a temporary SQLite file by default).
"""

from __future__ import annotations

import argparse
import datetime as dt
import multiprocessing
import os
import smtplib
import socket
import ssl
import tempfile
import time
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from sqlalchemy import insert, select

from tacase.db.base import Base
from tacase.db.models import OutboxMessage
from tacase.db.session import make_engine, make_session_factory
from tacase.mail import SmtpSender, parse_smtp_url
from tacase.services import outbox
from tacase.services.clock import utcnow

MAIL_FROM = "tacase <no-reply@ohchr.example>"


class Counter:
    def __init__(self) -> None:
        self.accepted = 0

    async def handle_DATA(self, server, session, envelope):
        self.accepted += 1
        return "250 OK"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PerMessageSender(SmtpSender):
    """A connection and a TLS context for every message, as one message at a time was sent."""

    def send(self, mail) -> None:
        ssl.create_default_context()
        super().send(mail)
        self.close()


def seed(url: str, n: int) -> None:
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    now = dt.datetime.now(dt.UTC)
    body = "Dear colleague,\n\n" + "A line of the message.\n" * 20
    with engine.begin() as conn:
        conn.execute(insert(OutboxMessage), [dict(
            created_at=now, recipient_id=None, to_address=f"person{i}@example.org", subject=f"Case {i}",
            body_text=body, body_html=f"<p>{body}</p>", kind="status_change", case_id=None, status="pending",
            attempts=0, next_attempt_at=now) for i in range(n)])
    engine.dispose()


def deliver_all(url: str, smtp_url: str, worker: str, per_message: bool = False) -> int:
    engine = make_engine(url)
    sessions = make_session_factory(engine)
    sender_class = PerMessageSender if per_message else SmtpSender
    sender = sender_class(parse_smtp_url(smtp_url), MAIL_FROM)
    sent = 0
    while True:
        counts = outbox.deliver_due(sessions, utcnow, sender, worker=worker, batch=50)
        sent += counts["sent"]
        if not counts["claimed"]:
            break
    engine.dispose()
    return sent


def bare(port: int, n: int) -> float:
    msg = EmailMessage()
    msg["From"], msg["Subject"] = MAIL_FROM, "bare"
    msg.set_content("Dear colleague,\n\n" + "A line of the message.\n" * 20)
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as conn:
        for i in range(n):
            del msg["To"]
            msg["To"] = f"person{i}@example.org"
            conn.send_message(msg)
    return n / (time.perf_counter() - start)


def timed(url: str, n: int, smtp_url: str, workers: int, *, per_message: bool = False) -> float:
    seed(url, n)
    start = time.perf_counter()
    if workers == 1:
        sent = deliver_all(url, smtp_url, "bench-1", per_message)
    else:
        with multiprocessing.get_context("spawn").Pool(workers) as pool:
            sent = sum(pool.starmap(deliver_all, [(url, smtp_url, f"bench-{i}") for i in range(workers)]))
    elapsed = time.perf_counter() - start
    engine = make_engine(url)
    with engine.connect() as conn:
        left = conn.execute(select(OutboxMessage.id).where(OutboxMessage.status != "sent")).all()
    engine.dispose()
    assert sent == n and not left, (sent, len(left))
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=None, help="scratch database (default: a temporary SQLite file)")
    parser.add_argument("--mails", type=int, default=600)
    args = parser.parse_args()
    url = args.url or f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench-mail.sqlite3')}"
    sink = Counter()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    smtp_url = f"smtp://127.0.0.1:{port}"
    try:
        figures = {"bare": bare(port, args.mails)}
        figures["per message"] = timed(url, args.mails, smtp_url, 1, per_message=True)
        figures["1 worker"] = timed(url, args.mails, smtp_url, 1)
        figures["3 workers"] = timed(url, args.mails, smtp_url, 3)
    finally:
        controller.stop()
    print(f"{url.split(':')[0]}, {args.mails} mails into a local SMTP sink")
    for name, rate in figures.items():
        print(f"  {name:<12} {rate:8.1f} mails/s   {rate / figures['bare']:5.2f} x bare")


if __name__ == "__main__":
    main()
