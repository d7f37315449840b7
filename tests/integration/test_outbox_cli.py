"""`tacase outbox deliver` and `tacase outbox list`, in development (mail written to a file)."""

from __future__ import annotations

import mailbox

import pytest
from click.testing import CliRunner

from tacase.cli import main
from tacase.db.session import make_engine, make_session_factory
from tacase.services import accounts, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tests.conftest import Factory


@pytest.fixture
def cli(fresh_db, monkeypatch, tmp_path):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", fresh_db)
    monkeypatch.setenv("TACASE_MAIL_LOG_PATH", str(tmp_path / "mail.log"))
    monkeypatch.delenv("TACASE_SMTP_URL", raising=False)
    runner = CliRunner()
    return lambda *args: runner.invoke(main, list(args), catch_exceptions=False)


def seed(url: str, runtime, clock) -> str:
    engine = make_engine(url)
    try:
        with make_session_factory(engine, runtime)() as s:
            focal = Actor.for_user(accounts.create_user(s, SYSTEM, clock, email="focal@example.org",
                                                        roles=["state_focal_point"], state_code="FJI",
                                                        password=None))
            accounts.create_user(s, SYSTEM, clock, email="colleague@example.org",
                                 roles=["state_focal_point"], state_code="FJI", password=None)
            case = cases.open_draft(s, focal, clock, type="upr_fund",
                                    fields=Factory(s, clock).complete_fields())
            transitions.fire_transition(s, focal, clock, case.reference, "submit")
            s.commit()
            return case.reference
    finally:
        engine.dispose()


def test_deliver_writes_the_mail_log_and_list_shows_it(cli, fresh_db, runtime, clock, tmp_path):
    reference = seed(fresh_db, runtime, clock)
    assert f"'{reference}: Under review'" in cli("outbox", "list", "--status", "pending").output
    result = cli("outbox", "deliver")
    assert result.exit_code == 0
    assert result.output.strip() == "0 recovered, 1 claimed, 1 sent, 0 failed, 0 parked, 0 lost"
    box = mailbox.mbox(tmp_path / "mail.log")
    try:
        [message] = list(box)
    finally:
        box.close()
    assert message["To"] == "colleague@example.org" and message["Subject"] == f"{reference}: Under review"
    listed = cli("outbox", "list", "--status", "sent").output
    assert "sent" in listed and "colleague@example.org" in listed
    assert cli("outbox", "list", "--status", "parked").output == ""
    nothing = "0 recovered, 0 claimed, 0 sent, 0 failed, 0 parked, 0 lost"
    assert cli("outbox", "deliver").output.strip() == nothing


def test_a_bad_smtp_url_is_a_clear_error(cli, monkeypatch):
    monkeypatch.setenv("TACASE_SMTP_URL", "http://mail.example.org")
    result = CliRunner().invoke(main, ["outbox", "deliver"])
    assert result.exit_code == 1 and "must start with smtp://" in result.output


def test_deliver_claims_with_the_configured_lease(cli, fresh_db, runtime, clock, monkeypatch):
    """TACASE_OUTBOX_LEASE_SECONDS reaches the command's claims, as it reaches the scheduler's."""
    import datetime as dt

    from sqlalchemy import select

    from tacase import mail
    from tacase.db.models import OutboxMessage

    seed(fresh_db, runtime, clock)
    monkeypatch.setenv("TACASE_OUTBOX_LEASE_SECONDS", "900")
    leases = []
    engine = make_engine(fresh_db)

    def send_and_look(self, message) -> None:
        with make_session_factory(engine, runtime)() as s:
            row = s.scalar(select(OutboxMessage).where(OutboxMessage.id == message.outbox_id))
            leases.append(row.claimed_until - dt.datetime.now(dt.UTC))

    monkeypatch.setattr(mail.FileSender, "send", send_and_look)
    try:
        assert cli("outbox", "deliver").exit_code == 0
    finally:
        engine.dispose()
    assert leases and all(dt.timedelta(seconds=800) < lease <= dt.timedelta(seconds=900) for lease in leases)
