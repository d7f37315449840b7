"""Delivering the outbox: at most once per message, retries with backoff, parking, dead workers'
claims, several workers at once, daily digests (SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt
import smtplib
import threading
import time
from collections import Counter
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from tacase.db.models import OutboxMessage
from tacase.services import outbox
from tacase.services.clock import FixedClock, utcnow
from tacase.services.messages import MailContext, facts_of


class Recorder:
    """A sender that keeps what it was given; it may fail, or run code while 'sending'."""

    def __init__(self, fail: BaseException | None = None, during=None) -> None:
        self.sent: list[int] = []
        self.fail, self.during = fail, during
        self.lock = threading.Lock()

    def send(self, mail) -> None:
        if self.during is not None:
            self.during(mail)
        if self.fail is not None:
            raise self.fail
        with self.lock:
            self.sent.append(mail.outbox_id)

    def close(self) -> None:
        self.closed = getattr(self, "closed", 0) + 1


class WorkerDied(BaseException):
    """Stands for a process killed in the middle of a send."""


def seed(sessions, count: int, now: dt.datetime, **values) -> list[int]:
    with sessions() as s:
        rows = [OutboxMessage(**{
            "created_at": now, "recipient_id": None, "to_address": f"person{i}@example.org",
            "subject": f"Message {i}", "body_text": f"Text {i}\n", "body_html": f"<p>Text {i}</p>\n",
            "kind": "status_change", "status": "pending", "attempts": 0, "next_attempt_at": now, **values})
            for i in range(count)]
        s.add_all(rows)
        s.commit()
        return [r.id for r in rows]


def rows(sessions) -> dict[int, OutboxMessage]:
    with sessions() as s:
        return {m.id: m for m in s.scalars(select(OutboxMessage))}


def deliver(sessions, clock, sender, worker: str = "w1", **kw) -> dict[str, int]:
    kw.setdefault("max_attempts", 4)
    kw.setdefault("backoff_seconds", 60)
    return outbox.deliver_due(sessions, clock, sender, worker=worker, **kw)


def test_due_messages_are_sent_once_and_recorded(fresh_sessions, clock):
    now = clock()
    due = seed(fresh_sessions, 2, now)
    [later] = seed(fresh_sessions, 1, now, attempts=1, next_attempt_at=now + dt.timedelta(hours=1))
    sender = Recorder()
    counts = deliver(fresh_sessions, clock, sender)
    assert counts == {"recovered": 0, "claimed": 2, "sent": 2, "failed": 0, "parked": 0, "lost": 0}
    assert sender.sent == due
    state = rows(fresh_sessions)
    for i in due:
        row = state[i]
        assert (row.status, row.attempts, row.sent_at, row.claimed_by) == ("sent", 1, now, None)
    assert state[later].status == "pending"
    assert deliver(fresh_sessions, clock, sender)["claimed"] == 0
    clock.advance(hours=1)
    assert deliver(fresh_sessions, clock, sender)["sent"] == 1 and sender.sent == [*due, later]


def test_a_new_message_written_at_a_replayed_later_moment_goes_at_once(fresh_sessions, clock):
    [ahead] = seed(fresh_sessions, 1, clock() + dt.timedelta(days=50))
    sender = Recorder()
    assert deliver(fresh_sessions, clock, sender)["sent"] == 1 and sender.sent == [ahead]


def test_stored_facts_are_written_out_when_the_mail_goes(fresh_sessions, clock):
    ctx = MailContext(
        kind="status_change", audience="state", recipient_name="Ana Tora", reference="UPR-2026-0007",
        title="Legal aid", public_status="Under review", previous_status="Draft",
        link="https://tacase.example.org/cases/UPR-2026-0007", reason="Because.", timezone="Europe/Zurich",
        fields=(("Amount", {"amount": Decimal("45000.00"), "currency": "USD"}),), locale="fr")
    [good] = seed(fresh_sessions, 1, clock(), facts=facts_of(ctx), body_text=None, body_html=None)
    [broken] = seed(fresh_sessions, 1, clock(), facts={"kind": "status_change"}, body_text=None,
                    body_html=None)
    seen = {}
    keep = Recorder(during=lambda mail: seen.setdefault(mail.outbox_id, mail))
    counts = deliver(fresh_sessions, clock, keep)
    # A message that cannot be written out fails its own attempt, with the reason; the other goes.
    assert counts["sent"] == 1 and counts["failed"] == 1 and list(seen) == [good]
    assert seen[good].subject == "UPR-2026-0007 : En cours d'examen"
    assert "Bonjour Ana Tora" in seen[good].body_text and "USD 45\u202f000,00" in seen[good].body_text
    assert '<html lang="fr">' in seen[good].body_html
    state = rows(fresh_sessions)
    assert state[good].status == "sent" and state[good].body_text is None  # the facts stay the record
    assert state[broken].status == "pending" and "cannot be written out" in state[broken].last_error


def test_failures_back_off_exponentially_then_park_with_the_error(fresh_sessions, clock):
    start = clock()
    [mid] = seed(fresh_sessions, 1, start)
    sender = Recorder(fail=smtplib.SMTPDataError(451, b"4.3.0 mailbox busy, try later"))
    waits = []
    for attempt in (1, 2, 3):
        counts = deliver(fresh_sessions, clock, sender)
        assert counts["failed"] == 1
        row = rows(fresh_sessions)[mid]
        assert (row.status, row.attempts, row.claimed_by) == ("pending", attempt, None)
        assert row.claimed_until is None
        assert row.last_error == "SMTPDataError: 451 4.3.0 mailbox busy, try later"
        waits.append((row.next_attempt_at - clock()).total_seconds())
        clock.advance(seconds=waits[-1] - 1)
        assert deliver(fresh_sessions, clock, sender)["claimed"] == 0  # not due yet
        clock.advance(seconds=1)
    assert waits == [60, 120, 240]
    assert deliver(fresh_sessions, clock, sender)["parked"] == 1
    row = rows(fresh_sessions)[mid]
    assert (row.status, row.attempts, row.sent_at) == ("parked", 4, None)
    assert "451 4.3.0 mailbox busy" in row.last_error
    clock.advance(days=30)
    assert deliver(fresh_sessions, clock, sender)["claimed"] == 0  # parked stays parked
    assert sender.sent == []


def test_a_retry_that_succeeds_clears_the_error(fresh_sessions, clock):
    [mid] = seed(fresh_sessions, 1, clock())
    deliver(fresh_sessions, clock, Recorder(fail=ConnectionRefusedError(111, "Connection refused")))
    assert rows(fresh_sessions)[mid].last_error.startswith("ConnectionRefusedError")
    clock.advance(minutes=1)
    assert deliver(fresh_sessions, clock, Recorder())["sent"] == 1
    row = rows(fresh_sessions)[mid]
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_backoff_is_capped_at_a_day():
    assert outbox.backoff(1, 60) == dt.timedelta(minutes=1)
    assert outbox.backoff(4, 60) == dt.timedelta(minutes=8)
    assert outbox.backoff(40, 60) == outbox.backoff(10_000, 60) == dt.timedelta(days=1)


def test_an_expired_claim_of_a_dead_worker_is_taken_back_and_sent(fresh_sessions, clock):
    [mid] = seed(fresh_sessions, 1, clock())
    with pytest.raises(WorkerDied):
        deliver(fresh_sessions, clock, Recorder(fail=WorkerDied()), worker="dead", lease_seconds=60)
    row = rows(fresh_sessions)[mid]
    lease_end = clock() + dt.timedelta(seconds=60)
    assert (row.status, row.claimed_by, row.claimed_until) == ("sending", "dead", lease_end)
    clock.advance(seconds=59)
    sender = Recorder()
    assert deliver(fresh_sessions, clock, sender, worker="alive")["claimed"] == 0  # still leased
    clock.advance(seconds=2)
    counts = deliver(fresh_sessions, clock, sender, worker="alive")
    assert (counts["recovered"], counts["sent"]) == (1, 1) and sender.sent == [mid]
    row = rows(fresh_sessions)[mid]
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 2, None)


def test_a_message_whose_workers_keep_dying_is_parked(fresh_sessions, clock):
    [mid] = seed(fresh_sessions, 1, clock())
    with pytest.raises(WorkerDied):
        deliver(fresh_sessions, clock, Recorder(fail=WorkerDied()), worker="dead", max_attempts=1)
    clock.advance(minutes=5)
    assert deliver(fresh_sessions, clock, Recorder(), max_attempts=1)["recovered"] == 1
    row = rows(fresh_sessions)[mid]
    assert (row.status, row.attempts) == ("parked", 1)
    assert row.last_error.startswith("claim by dead expired")


def test_a_long_batch_renews_its_claim_before_it_runs_out(fresh_sessions, clock):
    ids = seed(fresh_sessions, 4, clock())

    def slow(mail):
        with fresh_sessions() as s:  # this worker's claim still holds when each send starts
            assert s.get(OutboxMessage, mail.outbox_id).claimed_until > clock()
        clock.advance(seconds=25)

    sender = Recorder(during=slow)
    sender.timeout = 5
    counts = deliver(fresh_sessions, clock, sender, lease_seconds=60)
    assert counts["sent"] == 4 and counts["lost"] == 0 and sender.sent == ids


def test_a_claim_lost_while_sending_leaves_the_other_workers_outcome_alone(fresh_sessions, clock):
    [mid] = seed(fresh_sessions, 1, clock())
    other = Recorder()

    def stall(mail):
        clock.advance(minutes=10)  # far past the lease: another worker takes the message back
        assert deliver(fresh_sessions, clock, other, worker="w2")["sent"] == 1

    counts = deliver(fresh_sessions, clock, Recorder(during=stall), worker="w1", lease_seconds=60)
    assert counts["lost"] == 1
    row = rows(fresh_sessions)[mid]
    assert (row.status, row.attempts, row.claimed_by) == ("sent", 2, None) and other.sent == [mid]


def test_bad_arguments_are_refused(fresh_sessions, clock):
    with pytest.raises(ValueError, match="positive"):
        deliver(fresh_sessions, clock, Recorder(), batch=0)


@pytest.mark.parametrize("workers", [2, 3])
def test_concurrent_workers_deliver_each_message_exactly_once(fresh_sessions, backend, workers):
    ids = seed(fresh_sessions, 60, utcnow())
    sender = Recorder(during=lambda mail: time.sleep(0.002))
    barrier = threading.Barrier(workers)
    errors: list[BaseException] = []
    claims: Counter = Counter()

    def work(name: str) -> None:
        try:
            barrier.wait()
            while True:
                counts = outbox.deliver_due(fresh_sessions, utcnow, sender, worker=name, batch=5,
                                            max_attempts=3, backoff_seconds=60)
                claims[name] += counts["claimed"]
                if not counts["claimed"]:
                    return
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(f"worker{i}",)) for i in range(workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(sender.sent) == sorted(ids), "a message was sent twice or not at all"
    assert sum(claims.values()) == len(ids)
    with fresh_sessions() as s:
        assert dict(s.execute(select(OutboxMessage.status, func.count())
                              .group_by(OutboxMessage.status)).all()) == {"sent": 60}


def test_a_worker_skips_what_another_is_claiming_instead_of_waiting(fresh_sessions, backend, clock):
    if backend != "postgresql":
        pytest.skip("SQLite has one writer at a time: there is no row lock to skip")
    ids = seed(fresh_sessions, 4, clock())
    sender, done = Recorder(), threading.Event()
    with fresh_sessions() as holder:  # another worker, in the middle of its claim on the first two
        holder.execute(select(OutboxMessage.id).where(OutboxMessage.id.in_(ids[:2])).with_for_update())

        def other() -> None:
            deliver(fresh_sessions, clock, sender, worker="w2")
            done.set()

        thread = threading.Thread(target=other)
        thread.start()
        assert done.wait(timeout=20), "the second worker waited for the first one's locks"
        thread.join()
        assert sender.sent == ids[2:]
        holder.rollback()
    deliver(fresh_sessions, clock, sender)
    assert sorted(sender.sent) == ids


# --- digests ----------------------------------------------------------------------------------

def test_concurrent_digest_runs_make_one_digest_per_user(fresh_sessions, backend, clock):
    now = clock()
    seed(fresh_sessions, 6, now, status="digest")
    with fresh_sessions() as s:  # two recipients, three messages each
        for i, m in enumerate(s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))):
            m.to_address = f"user{i % 2}@example.org"
        s.commit()
    barrier = threading.Barrier(2)
    results, errors = [], []

    def run() -> None:
        try:
            barrier.wait()
            with fresh_sessions() as s:
                results.append(outbox.send_digests(s, FixedClock(now)))
                s.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(r["messages"] for r in results) == [0, 6]
    with fresh_sessions() as s:
        digests = list(s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest")))
        assert sorted(d.to_address for d in digests) == ["user0@example.org", "user1@example.org"]
        assert all(d.status == "pending" and d.body_text.count("== Message") == 3 for d in digests)


def test_a_digest_writes_out_each_waiting_mail_and_a_broken_one_by_its_subject(fresh_sessions, clock):
    ctx = MailContext(
        kind="assignment", audience="office", recipient_name="Desk", reference="UPR-2026-0009", title="T",
        public_status="Under review", staff_status="Screening", link="https://tacase.example.org/cases/x",
        reason="Because.", timezone="Europe/Zurich")
    seed(fresh_sessions, 1, clock(), status="digest", facts=facts_of(ctx), body_text=None, body_html=None,
         to_address="desk@example.org", subject="UPR-2026-0009 is assigned to you")
    seed(fresh_sessions, 1, clock(), status="digest", facts={"kind": "nonsense"}, body_text=None,
         body_html=None, to_address="desk@example.org", subject="A <broken> one")
    with fresh_sessions() as s:
        assert outbox.send_digests(s, clock) == {"digests": 1, "messages": 2}
        s.commit()
        [digest] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "digest"))
    assert "Status: Under review (staff: Screening)" in digest.body_text
    assert "Dear Desk" not in digest.body_text  # the fragment: the summary greets once
    assert "A <broken> one" in digest.body_text and "A &lt;broken&gt; one" in digest.body_html
