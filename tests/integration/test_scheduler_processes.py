"""Several `tacase scheduler` processes against one database and a local SMTP sink (aiosmtpd):
one leads, every overdue step is flagged once, every message is delivered once, and when the
leader is killed another takes over without sending anything twice or losing anything."""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from tacase.audit.store import verify_chain
from tacase.db.models import DeadlineEvent, OutboxMessage
from tacase.mail import OutgoingMail, message_id
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import FixedClock
from tests.conftest import Factory

pytestmark = pytest.mark.slow


class Sink:
    """An SMTP server on the loopback that keeps what it receives."""

    def __init__(self) -> None:
        self.messages: list = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"

    def ids(self) -> Counter:
        with self.lock:
            return Counter(m["Message-ID"] for m in self.messages)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def sink():
    handler = Sink()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield handler, controller.port
    controller.stop()


def seed(sessions, n: int) -> None:
    """n submitted cases, long overdue (submitted in January), and approvers to escalate to."""
    clock = FixedClock(dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC))
    with sessions() as s:
        focal = Actor.for_user(accounts.create_user(
            s, SYSTEM, clock, email=f"focal{n}@example.org", roles=["state_focal_point"],
            state_code="FJI", password=None))
        for i in range(2):
            accounts.create_user(s, SYSTEM, clock, email=f"approver{n}-{i}@example.org",
                                 roles=["approver"], password=None)
        factory = Factory(s, clock)
        for _ in range(n):
            case = cases.open_draft(s, focal, clock, type="upr_fund", fields=factory.complete_fields())
            transitions.fire_transition(s, focal, clock, case.reference, "submit")
        s.commit()


class Schedulers:
    def __init__(self, url: str, smtp_port: int, logs: Path) -> None:
        self.env = {**os.environ, "TACASE_CONFIG": "development", "TACASE_DATABASE_URL": url,
                    "TACASE_SMTP_URL": f"smtp://127.0.0.1:{smtp_port}",
                    "TACASE_SWEEP_EVERY_SECONDS": "1", "TACASE_DELIVER_EVERY_SECONDS": "1",
                    "TACASE_OUTBOX_LEASE_SECONDS": "5", "TACASE_SCHEDULER_LEASE_SECONDS": "3",
                    "TACASE_MAIL_LOG_PATH": str(logs / "mail.log")}
        self.logs = logs
        self.procs: list[tuple[subprocess.Popen, Path]] = []

    def start(self, count: int) -> None:
        tacase = os.path.join(os.path.dirname(sys.executable), "tacase")
        for _ in range(count):
            log = self.logs / f"scheduler-{len(self.procs)}.log"
            out = log.open("w")
            proc = subprocess.Popen([tacase, "scheduler", "--heartbeat", "0.5"], env=self.env,
                                    stdout=out, stderr=subprocess.STDOUT)
            out.close()
            self.procs.append((proc, log))

    def leaders(self) -> list[subprocess.Popen]:
        return [p for p, log in self.procs
                if p.poll() is None and any(line.endswith(" leads") for line in log.read_text().splitlines())]

    def stop(self) -> None:
        for proc, _ in self.procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc, _ in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:  # pragma: no cover - reported by the assertion
                proc.kill()
                proc.wait()


def wait_for(condition, timeout: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.25)


def outbox_state(sessions) -> Counter:
    with sessions() as s:
        return Counter(dict(s.execute(
            select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)).all()))


def all_delivered(sessions, sink: Sink, expected_min: int):
    def check() -> bool:
        state = outbox_state(sessions)
        return (state["pending"] == 0 and state["sending"] == 0 and state["sent"] >= expected_min
                and sum(sink.ids().values()) >= state["sent"])
    return check


def test_three_schedulers_flag_once_and_deliver_once(fresh_db, fresh_sessions, backend, sink, tmp_path):
    handler, port = sink
    seed(fresh_sessions, 6)
    schedulers = Schedulers(fresh_db, port, tmp_path)
    try:
        schedulers.start(3)
        wait_for(lambda: len(schedulers.leaders()) == 1, what="a leader")
        # Overdue and escalated for each case, then every message out.
        wait_for(lambda: _count_events(fresh_sessions) == 12, what="the sweep")
        wait_for(all_delivered(fresh_sessions, handler, 1), what="delivery")
        assert len(schedulers.leaders()) == 1
    finally:
        schedulers.stop()
    with fresh_sessions() as s:
        kinds = Counter(dict(s.execute(
            select(DeadlineEvent.kind, func.count()).group_by(DeadlineEvent.kind)).all()))
        assert kinds == {"overdue": 6, "escalation": 6}
        sent = s.scalar(select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "sent"))
        assert verify_chain(s).ok
    ids = handler.ids()
    assert max(ids.values()) == 1, "a message arrived twice"
    assert len(ids) == sent


def test_killing_the_leader_hands_over_without_duplicates_or_losses(fresh_db, fresh_sessions, backend,
                                                                   sink, tmp_path):
    """Nothing is lost, and nothing is sent twice but what the killed leader had in hand: a mail the
    server accepted in the instant before its outcome was recorded goes again, with the same
    Message-ID, so that the receiving server drops the copy (at least once, never silently lost)."""
    handler, port = sink
    seed(fresh_sessions, 4)
    schedulers = Schedulers(fresh_db, port, tmp_path)
    try:
        schedulers.start(2)
        wait_for(lambda: len(schedulers.leaders()) == 1, what="a leader")
        first = schedulers.leaders()[0]
        wait_for(lambda: _count_events(fresh_sessions) >= 1, what="the first sweep")
        first.send_signal(signal.SIGKILL)  # mid-run: no goodbye, no unlock
        first.wait()
        in_hand = _message_ids(fresh_sessions, OutboxMessage.status == "sending")
        seed(fresh_sessions, 3)  # work that only the next leader can do
        wait_for(lambda: len(schedulers.leaders()) == 1 and schedulers.leaders()[0] is not first,
                 what="a new leader")
        wait_for(lambda: _count_events(fresh_sessions) == 14, what="the sweep after the handover")
        wait_for(all_delivered(fresh_sessions, handler, 1), what="delivery after the handover")
    finally:
        schedulers.stop()
    ids = handler.ids()
    twice = {message_id for message_id, times in ids.items() if times > 1}
    assert twice <= in_hand, "a message the killed leader did not have in hand arrived twice"
    assert max(ids.values()) <= 2
    with fresh_sessions() as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)
                        .where(OutboxMessage.status != "sent")) == 0
    assert set(ids) == _message_ids(fresh_sessions)  # every message arrived
    with fresh_sessions() as s:
        assert verify_chain(s).ok


def _message_ids(sessions, *conditions) -> set[str]:
    with sessions() as s:
        rows = s.scalars(select(OutboxMessage).where(*conditions)).all()
        mails = [OutgoingMail(r.id, r.to_address, r.subject, r.body_text, r.body_html, r.created_at)
                 for r in rows]
        return {message_id(mail, "tacase.invalid") for mail in mails}


def _count_events(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(DeadlineEvent)) or 0
