"""Signed checkpoints on both databases: signing the head, the chain cut short and caught through a
checkpoint (the database's own, or a copy saved from the public route), the job, the year's last."""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import stat
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text
from sqlalchemy.exc import DBAPIError

from config import load_config
from tacase.audit import checkpoints, signing
from tacase.cli import main
from tacase.db.models import AuditCheckpoint
from tacase.db.session import make_engine
from tacase.jobs import tasks
from tacase.services import audit_log
from tacase.services.actors import SYSTEM
from tacase.services.clock import FixedClock
from tests.api.conftest import make_app

AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def add_events(sessions, n: int, at: dt.datetime = AT) -> None:
    with sessions() as session:
        for i in range(n):
            audit_log.record(session, SYSTEM, at, "test.event", data={"i": i})
        session.commit()


def sql(url: str, backend: str, *statements: str, table: str = "audit_events") -> None:
    """Run statements as someone who can drop the triggers would (on SQLite there are none)."""
    engine = make_engine(url)
    with engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER USER"))
        for statement in statements:
            conn.execute(text(statement))
        if backend == "postgresql":
            conn.execute(text(f"ALTER TABLE {table} ENABLE TRIGGER USER"))
    engine.dispose()


@pytest.fixture
def key_path(tmp_path):
    return tmp_path / "keys" / "audit-signing-key.pem"


@pytest.fixture
def cli(fresh_db, monkeypatch, key_path):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", fresh_db)
    monkeypatch.setenv("TACASE_AUDIT_SIGNING_KEY", str(key_path))
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_cutting_the_chain_short_is_caught_through_the_signed_checkpoint(cli, fresh_db, fresh_sessions,
                                                                        backend, key_path):
    add_events(fresh_sessions, 10)
    signed = cli("audit", "checkpoint")
    assert signed.exit_code == 0, signed.output
    assert signed.output.startswith("signed checkpoint: event 10, hash ")
    assert stat.S_IMODE(os.stat(key_path).st_mode) == 0o600  # made on first use (development)
    assert "nothing added" in cli("audit", "checkpoint").output
    ok = cli("audit", "verify")
    assert ok.exit_code == 0
    assert re.fullmatch(r"OK: 10 events, head [0-9a-f]{64}\n"
                        r"OK: 1 signed checkpoint agrees with the chain \(the furthest covers event 10\)\n",
                        ok.output)

    sql(fresh_db, backend, "DELETE FROM audit_events WHERE seq > 7")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1
    assert bad.output.startswith("BAD: the chain ends at 7 but a signed checkpoint covers 10")


def test_a_changed_event_disagrees_with_the_checkpoint(cli, fresh_db, fresh_sessions, backend):
    add_events(fresh_sessions, 5)
    cli("audit", "checkpoint")
    # Rewrite the last event and its hash consistently: the chain alone still verifies.
    sql(fresh_db, backend, "UPDATE audit_events SET hash = '" + "0" * 63 + "1' WHERE seq = 5")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1
    assert "BAD: event 5" in bad.output


def test_a_forged_signature_in_the_database_is_caught(cli, fresh_db, fresh_sessions, backend):
    add_events(fresh_sessions, 3)
    cli("audit", "checkpoint")
    sql(fresh_db, backend, "UPDATE audit_checkpoints SET signed_at = signed_at + INTERVAL '1 day'"
        if backend == "postgresql" else "UPDATE audit_checkpoints SET sequence = 2",
        table="audit_checkpoints")
    bad = cli("audit", "verify")
    assert bad.exit_code == 1
    assert "its signature does not verify" in bad.output


def test_a_copy_from_the_public_route_catches_what_the_database_lost(cli, fresh_db, fresh_sessions, backend,
                                                                     key_path, tmp_path):
    app = make_app(fresh_db, FixedClock(AT))
    client = app.test_client()
    empty = client.get("/public/audit/checkpoints")
    assert empty.status_code == 200 and empty.get_json() == []
    add_events(fresh_sessions, 6)
    cli("audit", "checkpoint")
    response = client.get("/public/audit/checkpoints")
    app.extensions["tacase"]["engine"].dispose()
    assert response.status_code == 200 and response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"] and response.headers.get("Set-Cookie") is None
    [published] = response.get_json()
    assert set(published) == {"sequence", "hash", "signed_at", "key_id", "algorithm", "public_key",
                              "signature"}
    assert published["sequence"] == 6 and published["algorithm"] == "Ed25519"
    copy = tmp_path / "checkpoints.json"
    copy.write_bytes(response.data)
    assert cli("audit", "verify", "--checkpoint", str(copy)).exit_code == 0

    # Someone who can drop the triggers cuts the chain and removes the checkpoints too.
    sql(fresh_db, backend, "DELETE FROM audit_checkpoints", table="audit_checkpoints")
    sql(fresh_db, backend, "DELETE FROM audit_events WHERE seq > 4")
    assert cli("audit", "verify").exit_code == 0  # nothing inside the database shows it
    bad = cli("audit", "verify", "--checkpoint", str(copy))
    assert bad.exit_code == 1
    assert bad.output.startswith("BAD: the chain ends at 4 but a signed checkpoint covers 6")


@pytest.mark.parametrize("content, words", [
    (b"{not json", "is not JSON"), (b'[{"sequence": 1}]', "lacks"), (b"[]", "holds no signed checkpoint")])
def test_a_copy_that_is_not_one_gets_a_clear_error(cli, tmp_path, content, words):
    copy = tmp_path / "copy.json"
    copy.write_bytes(content)
    result = cli("audit", "verify", "--checkpoint", str(copy))
    assert result.exit_code == 1 and words in result.output and "Traceback" not in result.output
    missing = cli("audit", "verify", "--checkpoint", str(tmp_path / "nowhere.json"))
    assert missing.exit_code == 1 and "cannot be read" in missing.output


def test_without_a_key_the_command_says_what_to_set(cli, fresh_sessions, monkeypatch):
    add_events(fresh_sessions, 1)
    monkeypatch.setenv("TACASE_AUDIT_SIGNING_KEY", "")
    result = cli("audit", "checkpoint")
    assert result.exit_code == 1 and "set TACASE_AUDIT_SIGNING_KEY" in result.output


def test_keygen_writes_a_private_file_and_prints_the_public_key(cli, tmp_path):
    out = tmp_path / "elsewhere.pem"
    result = cli("audit", "keygen", "--out", str(out))
    assert result.exit_code == 0, result.output
    public = re.search(r"public key \(Ed25519, base64\): (\S+)", result.output).group(1)
    assert public == signing.public_key_text(signing.load_key_file(out))
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    again = cli("audit", "keygen", "--out", str(out))
    assert again.exit_code == 1 and "never overwritten" in again.output


def test_an_empty_log_has_nothing_to_sign(cli):
    result = cli("audit", "checkpoint")
    assert result.exit_code == 0 and "nothing to sign" in result.output


def test_the_table_is_append_only_on_postgresql(fresh_db, fresh_sessions, backend, key_path):
    if backend != "postgresql":
        pytest.skip("the triggers are PostgreSQL's")
    add_events(fresh_sessions, 2)
    with fresh_sessions() as session:
        checkpoints.sign_head(session, signing.new_key_file(key_path), AT)
        session.commit()
    for statement in ("UPDATE audit_checkpoints SET sequence = 1", "DELETE FROM audit_checkpoints",
                      "TRUNCATE audit_checkpoints"):
        with fresh_sessions() as session, pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(statement))


def job_context(sessions, key: str, clock) -> tasks.JobContext:
    return tasks.JobContext(config=load_config("testing", environ={"TACASE_AUDIT_SIGNING_KEY": key}),
                            sessions=sessions, clock=clock, sender=None, worker="test")


def test_the_job_signs_once_per_head_and_says_once_when_no_key_is_set(fresh_sessions, key_path, caplog,
                                                                       monkeypatch):
    monkeypatch.setattr(tasks, "_SAID", set())
    add_events(fresh_sessions, 3)
    clock = FixedClock(AT)
    with caplog.at_level(logging.WARNING, logger="tacase.jobs.tasks"):
        tasks.sign_audit_checkpoint(job_context(fresh_sessions, "", clock))
        tasks.sign_audit_checkpoint(job_context(fresh_sessions, "", clock))
    assert [r.getMessage() for r in caplog.records].count(
        "signed checkpoints are off: no audit signing key is configured: set TACASE_AUDIT_SIGNING_KEY to the "
        "path of a key file (`tacase audit keygen --out FILE` makes one)") == 1
    signing.new_key_file(key_path)
    context = job_context(fresh_sessions, str(key_path), clock)
    tasks.sign_audit_checkpoint(context)
    tasks.sign_audit_checkpoint(context)  # the same head: nothing more
    add_events(fresh_sessions, 2)
    clock.advance(days=1)
    tasks.sign_audit_checkpoint(context)
    with fresh_sessions() as session:
        assert session.scalar(select(func.count()).select_from(AuditCheckpoint)) == 2
        assert [c.sequence for c in checkpoints.published(session)] == [5, 3]
        assert checkpoints.check(session).ok


def test_the_last_checkpoint_of_a_year(fresh_sessions, key_path):
    key = signing.new_key_file(key_path)
    for day, events in ((dt.datetime(2025, 12, 31, 23, 0, tzinfo=dt.UTC), 2),
                        (dt.datetime(2026, 6, 1, tzinfo=dt.UTC), 3),
                        (dt.datetime(2026, 12, 31, 22, 0, tzinfo=dt.UTC), 1),
                        (dt.datetime(2027, 1, 1, 1, 0, tzinfo=dt.UTC), 1)):
        add_events(fresh_sessions, events, day)
        with fresh_sessions() as session:
            checkpoints.sign_head(session, key, day)
            session.commit()
    with fresh_sessions() as session:
        assert checkpoints.last_checkpoint_of_year(session, 2026).sequence == 6
        assert checkpoints.last_checkpoint_of_year(session, 2025).sequence == 2
        assert checkpoints.last_checkpoint_of_year(session, 2024) is None
        assert checkpoints.last_checkpoint_of_year(session, 9999) is None
        # On Geneva's clock 31 December 2025 at 23:00 UTC is already 2026.
        geneva = ZoneInfo("Europe/Zurich")
        assert checkpoints.last_checkpoint_of_year(session, 2025, geneva) is None
        assert checkpoints.last_checkpoint_of_year(session, 2026, geneva).sequence == 6
        assert json.loads(json.dumps(checkpoints.latest(session).as_dict()))["sequence"] == 7
