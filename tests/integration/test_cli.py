"""The `tacase` command on a fresh database of its own, as an administrator would run it."""

from __future__ import annotations

import re
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, text

from tacase.cli import main
from tacase.db.models import AuditEvent, Case, User
from tacase.db.session import make_engine
from tacase.services.demo import PATHS

ROOT_WORKFLOWS = "workflows"


@pytest.fixture
def cli(fresh_db, monkeypatch):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", fresh_db)
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, list(args), input=input, catch_exceptions=False)

    return invoke


def count(url: str, model) -> int:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(model)).scalar_one()
    finally:
        engine.dispose()


def test_db_upgrade_creates_a_new_sqlite_file(tmp_path, monkeypatch):
    path = tmp_path / "nested" / "db.sqlite3"
    monkeypatch.setenv("TACASE_DATABASE_URL", f"sqlite:///{path}")
    result = CliRunner().invoke(main, ["db", "upgrade"], catch_exceptions=False)
    assert result.exit_code == 0 and path.exists()


def test_demo_loads_once_and_covers_every_state(cli, fresh_db):
    first = cli("demo", "--print-accounts")
    assert first.exit_code == 0, first.output
    assert "demo data loaded" in first.output and "board@example.org" in first.output
    users, cases, events = count(fresh_db, User), count(fresh_db, Case), count(fresh_db, AuditEvent)
    second = cli("demo")
    assert "nothing added" in second.output
    assert (count(fresh_db, User), count(fresh_db, Case), count(fresh_db, AuditEvent)) == (
        users, cases, events)
    engine = make_engine(fresh_db)
    with engine.connect() as conn:
        statuses = set(conn.execute(select(Case.status)).scalars())
        states = set(conn.execute(select(Case.state_code)).scalars())
        roles = set(conn.execute(text("SELECT role FROM user_roles")).scalars())
    engine.dispose()
    assert statuses == set(PATHS) - {"resubmitted"}
    assert len(states) >= 4
    assert roles == {"state_focal_point", "reviewer", "approver", "board", "admin"}
    verify = cli("audit", "verify")
    assert verify.exit_code == 0
    assert re.fullmatch(rf"OK: {events} events, head [0-9a-f]{{64}}\n", verify.output)


def test_demo_refused_in_production(cli, monkeypatch):
    monkeypatch.setenv("TACASE_CONFIG", "production")
    monkeypatch.setenv("TACASE_SECRET_KEY", "x" * 40)
    result = CliRunner().invoke(main, ["demo"])
    assert result.exit_code != 0 and "production" in result.output


def test_audit_verify_names_the_first_bad_event(cli, fresh_db, backend):
    cli("demo")
    engine = make_engine(fresh_db)
    with engine.begin() as conn:
        if backend == "postgresql":
            conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER USER"))
        conn.execute(text("UPDATE audit_events SET action = 'case.forged' WHERE seq = 12"))
        if backend == "postgresql":
            conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER USER"))
    engine.dispose()
    result = cli("audit", "verify")
    assert result.exit_code == 1
    assert result.output.startswith("BAD: event 12:")


def test_workflows_validate_and_show(cli, tmp_path, monkeypatch):
    result = cli("workflows", "validate")
    assert result.exit_code == 0
    assert result.output.count("OK:") == 5
    mermaid = cli("workflows", "show", "upr_fund", "--format", "mermaid")
    assert mermaid.output.startswith("stateDiagram-v2\n")
    assert "reviewed --> approved: approve" in mermaid.output
    text_out = cli("workflows", "show", "hra_deployment")
    assert "four_eyes" in text_out.output
    unknown = CliRunner().invoke(main, ["workflows", "show", "nope"])
    assert unknown.exit_code != 0 and "unknown request type" in unknown.output

    broken = tmp_path / "wf"
    shutil.copytree(ROOT_WORKFLOWS, broken)
    path = broken / "advisory.yaml"
    path.write_text(path.read_text().replace("roles: [approver]", "roles: [approver, pope]", 1))
    bad = CliRunner().invoke(main, ["workflows", "validate", "--dir", str(broken)])
    assert bad.exit_code == 1
    assert "advisory.yaml: transition 'approve': unknown role 'pope'" in bad.output


def test_users_create_reads_password_from_stdin(cli, fresh_db):
    ok = cli("users", "create", "--email", "New.Reviewer@Example.org", "--role", "reviewer",
             input="a sufficiently long passphrase\n")
    assert ok.exit_code == 0, ok.output
    assert "new.reviewer@example.org" in ok.output
    weak = cli("users", "create", "--email", "x@example.org", "--role", "reviewer",
               input="short\n")
    assert weak.exit_code == 1 and "password" in weak.output
    no_state = cli("users", "create", "--email", "y@example.org", "--role", "state_focal_point",
                   input="a sufficiently long passphrase\n")
    assert no_state.exit_code == 1 and "state" in no_state.output
    assert count(fresh_db, User) == 1


def test_demo_staff_accounts_sign_in_with_the_printed_code(cli, fresh_db):
    from config import load_config
    from tacase.web import create_app

    assert "tacase demo totp" in cli("demo", "--print-accounts").output
    code = cli("demo", "totp", "reviewer@example.org").output.strip()
    assert re.fullmatch(r"[0-9]{6}", code)
    app = create_app(load_config("testing", environ={"TACASE_DATABASE_URL": fresh_db}))
    try:
        client = app.test_client()
        login = {"email": "reviewer@example.org", "password": "tacase-demo-2026!"}
        assert client.post("/api/v1/auth/login", json=login).get_json()["code"] == "totp_required"
        answer = client.post("/api/v1/auth/login", json={**login, "totp": code})
        assert answer.status_code == 200
        assert answer.get_json()["user"]["mfa_enrolment_required"] is False
    finally:
        app.extensions["tacase"]["engine"].dispose()


def test_demo_totp_refuses_accounts_without_a_secret(fresh_db, monkeypatch):
    monkeypatch.setenv("TACASE_CONFIG", "development")
    monkeypatch.setenv("TACASE_DATABASE_URL", fresh_db)
    result = CliRunner().invoke(main, ["demo", "totp", "nobody@example.org"])
    assert result.exit_code == 1
    assert "no two-factor secret" in result.output


def test_deadlines_sweep_replays_a_moment(cli, fresh_db):
    cli("demo")
    later = cli("deadlines", "sweep", "--now", "2030-01-07T09:00:00Z")
    assert later.output.startswith("sweep at 2030-01-07T09:00:00+00:00: ")
    assert re.search(r"[1-9][0-9]* overdue", later.output)
    again = cli("deadlines", "sweep", "--now", "2030-01-07T09:00:00Z")
    assert re.search(r": 0 reminders, 0 overdue, 0 escalations", again.output)
    bad = CliRunner().invoke(main, ["deadlines", "sweep", "--now", "next tuesday"])
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_deadlines_list_shows_reminder_and_due_times(cli):
    assert "no open step" in cli("deadlines", "list").output
    cli("demo")
    lines = cli("deadlines", "list", "--limit", "3").output.splitlines()
    assert len(lines) == 3 and all(" remind " in line and " due " in line for line in lines)


def test_calls_sync_records_the_shipped_calls_once(cli, fresh_db, tmp_path, monkeypatch):
    from tacase.db.models import Call

    first = cli("calls", "sync")
    assert first.exit_code == 0 and "2 added" in first.output
    assert count(fresh_db, Call) == 2
    again = cli("calls", "sync")
    assert "0 added, 0 changed, 2 unchanged" in again.output
    broken = tmp_path / "calls"
    broken.mkdir()
    (broken / "bad.yaml").write_text("key: bad\nversion: 0\n")
    monkeypatch.setenv("TACASE_QUESTIONNAIRES_DIR", str(broken))
    refused = CliRunner().invoke(main, ["calls", "sync"])
    assert refused.exit_code == 1 and "bad.yaml" in refused.output


def test_demo_answers_the_calls_once_with_every_kind_of_answer(cli, fresh_db, tmp_path, monkeypatch):
    from tacase.db.models import CallAnswer, CallDocument, CallResponse

    monkeypatch.setenv("TACASE_DOCUMENTS_DIR", str(tmp_path / "documents"))
    first = cli("demo", "--print-accounts")
    assert first.exit_code == 0, first.output
    assert "health.ken@example.org" in first.output and "responses to calls" in first.output
    engine = make_engine(fresh_db)
    with engine.connect() as conn:
        rows = conn.execute(select(CallResponse.state_code, CallResponse.respondent_kind,
                                   CallResponse.respondent_type, CallResponse.status,
                                   CallResponse.consent_to_publish)).all()
        counted = set(conn.execute(select(CallAnswer.question)).scalars())
        documents = conn.execute(select(func.count()).select_from(CallDocument)).scalar_one()
    engine.dispose()
    states = {(r.state_code, r.status) for r in rows if r.respondent_kind == "state"}
    assert states == {("ECU", "submitted"), ("FJI", "submitted"), ("KEN", "submitted"), ("MNG", "draft")}
    ministries = sorted((r.state_code, r.status) for r in rows if r.respondent_kind == "ministry")
    assert ministries == [("ECU", "draft"), ("KEN", "draft"), ("KEN", "submitted")]
    stakeholders = [r for r in rows if r.respondent_kind == "stakeholder"]
    assert {r.respondent_type for r in stakeholders} == {"nhri", "civil_society", "academia"}
    assert all(r.status == "submitted" and r.consent_to_publish for r in stakeholders)
    assert {"has_action_plan", "priority_areas", "main_obstacle", "data_capacity",
            "training_budget"} <= counted
    assert documents >= 3 and len(list((tmp_path / "documents" / "calls").iterdir())) == documents
    calls, responses = count(fresh_db, CallResponse), count(fresh_db, AuditEvent)
    again = cli("demo")
    assert "nothing added" in again.output
    assert (count(fresh_db, CallResponse), count(fresh_db, AuditEvent)) == (calls, responses)
    assert cli("audit", "verify").exit_code == 0
