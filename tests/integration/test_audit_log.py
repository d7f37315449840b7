"""The audit log in the database: appended with each change, verified, tampering caught."""

from __future__ import annotations

import datetime as dt
import itertools
import json

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from tacase.audit.chain import GENESIS, link_hash
from tacase.audit.store import verify_chain
from tacase.db.models import AuditEvent
from tacase.services import transitions


@pytest.fixture
def chain(session, make, clock):
    """Six events: two users, a draft, and three transitions."""
    fji = make.focal("FJI")
    reviewer = make.user("reviewer")
    case = make.draft(fji)
    transitions.fire_transition(session, fji, clock, case.reference, "submit")
    transitions.fire_transition(session, reviewer, clock, case.reference, "return_to_state",
                                data={"questions": "More detail on the budget"})
    transitions.fire_transition(session, fji, clock, case.reference, "resubmit",
                                data={"reply": "Attached"})
    session.commit()  # the events join the chain at the commit
    return session.scalars(select(AuditEvent).order_by(AuditEvent.seq)).all()


def tamper(session, sql: str, **params) -> None:
    """Edit the log as an intruder would: past the append-only triggers on PostgreSQL."""
    session.flush()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
    session.execute(text(sql), params)
    if dialect == "postgresql":
        session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    session.expire_all()


def test_chain_links_and_verifies(session, chain):
    assert [e.seq for e in chain] == list(range(1, len(chain) + 1))
    assert chain[0].prev_hash == GENESIS
    for before, after in itertools.pairwise(chain):
        assert after.prev_hash == before.hash
    for event in chain:
        assert event.hash == link_hash(event.prev_hash, event.body)
        body = json.loads(event.body)
        assert body["seq"] == event.seq and body["action"] == event.action
        # RFC 8785: keys sorted, no insignificant whitespace
        assert event.body == json.dumps(body, sort_keys=True, separators=(",", ":"),
                                         ensure_ascii=False).encode()
    result = verify_chain(session)
    assert result.ok and result.events == len(chain) and result.head == chain[-1].hash


def test_changed_byte_is_caught(session, chain):
    victim = chain[4]
    body = victim.body.replace(b'"action":"', b'"action":"X', 1)
    tamper(session, "UPDATE audit_events SET body = :b WHERE seq = :s", b=body, s=victim.seq)
    result = verify_chain(session)
    assert not result.ok and result.first_bad_seq == victim.seq
    assert result.events == victim.seq - 1


def test_deleted_row_is_caught(session, chain):
    tamper(session, "DELETE FROM audit_events WHERE seq = 3")
    result = verify_chain(session)
    assert not result.ok and result.first_bad_seq == 3 and "missing" in result.reason


def test_inserted_row_is_caught(session, chain):
    # Make room after event 5 and insert a forged event that links correctly to event 5.
    last = chain[-1].seq
    for seq in range(last, 5, -1):
        tamper(session, "UPDATE audit_events SET seq = :n WHERE seq = :s", n=seq + 1, s=seq)
    forged = json.dumps({"seq": 6, "action": "case.updated", "actor": {}, "case": None,
                         "data": {}, "at": "2026-03-02T09:00:00.000000Z"},
                        sort_keys=True, separators=(",", ":")).encode()
    prev = chain[4].hash
    tamper(session, "INSERT INTO audit_events (seq, at, actor_id, action, case_id, prev_hash, hash, "
           "body) VALUES (6, :at, NULL, 'case.updated', NULL, :p, :h, :b)",
           at=chain[4].at, p="f" * 64, h=link_hash(prev, forged), b=forged)
    result = verify_chain(session)
    assert not result.ok and result.first_bad_seq == 6


def test_swapped_rows_are_caught(session, chain):
    tamper(session, "UPDATE audit_events SET seq = 1000 WHERE seq = 4")
    tamper(session, "UPDATE audit_events SET seq = 4 WHERE seq = 5")
    tamper(session, "UPDATE audit_events SET seq = 5 WHERE seq = 1000")
    result = verify_chain(session)
    assert not result.ok and result.first_bad_seq == 4


def test_column_edit_is_caught(session, chain):
    tamper(session, "UPDATE audit_events SET actor_id = 999 WHERE seq = 5")
    result = verify_chain(session)
    assert not result.ok and result.first_bad_seq == 5


@pytest.mark.parametrize("statement", [
    "UPDATE audit_events SET action = 'x' WHERE seq = 1",
    "DELETE FROM audit_events WHERE seq = 1",
    "TRUNCATE audit_events",
])
def test_postgresql_refuses_update_delete_truncate(session, chain, backend, statement):
    if backend != "postgresql":
        pytest.skip("the triggers exist on PostgreSQL")
    session.flush()
    with pytest.raises(DBAPIError, match="append-only"), session.begin_nested():
        session.execute(text(statement))
    assert verify_chain(session).ok


def test_empty_log_verifies(session):
    result = verify_chain(session)
    assert result.ok and result.events == 0 and result.head == GENESIS


# --- events join the chain when their transaction commits --------------------------------------

def _record(session, action: str):
    from tacase.services import audit_log
    from tacase.services.actors import SYSTEM

    return audit_log.record(session, SYSTEM, dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC), action)


def _actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.seq)))


def test_events_are_chained_at_the_commit_in_the_order_recorded(fresh_sessions):
    with fresh_sessions() as s:
        first, second = _record(s, "test.first"), _record(s, "test.second")
        assert first.seq is None and _actions(s) == []  # nothing holds the chain's lock yet
        s.commit()
        assert (first.seq, second.seq) == (1, 2)
    with fresh_sessions() as s:
        assert _actions(s) == ["test.first", "test.second"] and verify_chain(s).ok


def test_what_a_rolled_back_transaction_or_savepoint_recorded_never_joins(fresh_sessions):
    with fresh_sessions() as s:
        _record(s, "test.kept")
        try:
            with s.begin_nested():
                _record(s, "test.in_a_failed_savepoint")
                raise ValueError
        except ValueError:
            pass
        with s.begin_nested():
            _record(s, "test.in_a_savepoint")
        s.commit()
    with fresh_sessions() as s:
        _record(s, "test.rolled_back")
        s.rollback()
        _record(s, "test.after_the_rollback")
        s.commit()
    with fresh_sessions() as s:
        _record(s, "test.never_committed")  # the session closes without a commit
    with fresh_sessions() as s:
        assert _actions(s) == ["test.kept", "test.in_a_savepoint", "test.after_the_rollback"]
        assert verify_chain(s).ok


# --- checkpoints: verifications start where the last one found the chain whole --------------------

def test_a_verification_starts_at_the_last_checkpoint_and_a_full_one_at_the_first(session, chain):
    from tacase.audit import store
    from tacase.services import audit_queries
    from tacase.services.actors import Actor

    board = Actor(id=1, name="board@example.org", roles=frozenset({"board"}))
    first = store.verify_chain(session)
    store.record_verification(session, first, dt.datetime.now(dt.UTC), full=True)
    _record(session, "test.after_the_checkpoint")
    session.commit()
    checkpoint = store.latest_checkpoint(session)
    assert (checkpoint.seq, checkpoint.head) == (first.events, first.head)
    status = audit_queries.verify(session, board)
    assert status.ok and status.verified_from == first.events
    assert status.verification.events == first.events + 1
    # An edit before the checkpoint is no business of the runs that start after it: the full run
    # (nightly, or asked for) finds it, and from then on every status says so.
    tamper(session, "UPDATE audit_events SET actor_id = 999 WHERE seq = 2")
    assert store.verify_chain(session, store.latest_checkpoint(session)).ok
    full = store.verify_chain(session)
    assert not full.ok and full.first_bad_seq == 2
    store.record_verification(session, full, dt.datetime.now(dt.UTC), full=True)
    status = audit_queries.verify(session, board)
    assert not status.ok and status.last_full.first_bad_seq == 2
    assert not audit_queries.verify(session, board, full=True).verification.ok


def test_an_edit_of_the_checkpoints_own_event_is_caught_from_there(session, chain):
    from tacase.audit import store

    first = store.verify_chain(session)
    store.record_verification(session, first, dt.datetime.now(dt.UTC), full=False)
    session.commit()
    tamper(session, "UPDATE audit_events SET hash = :h WHERE seq = :s", h="0" * 64, s=first.events)
    result = store.verify_chain(session, store.latest_checkpoint(session))
    assert not result.ok and result.first_bad_seq == first.events


def test_the_scheduler_keeps_checkpoints_and_verifies_the_whole_chain_each_night():
    from config import load_config
    from tacase.jobs.schedule import schedule

    jobs = {job.name: job for job in schedule(load_config("testing", environ={}))}
    assert jobs["audit-checkpoint"].task == "verify_audit_since_checkpoint"
    assert jobs["audit-verify-full"].trigger == "cron"
