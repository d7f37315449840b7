"""The `tacase` command. Each command builds what it needs from the configuration, calls the
services as the system (or a named user), and commits once."""

from __future__ import annotations

import datetime as dt
import json
import sys

import click

from tacase import cli_audit, cli_calls, cli_export, cli_iati, cli_report
from tacase.cli_context import Context, pass_context
from tacase.engine.definitions import WorkflowError, load_dir
from tacase.engine.machine import mermaid


@click.group(help="tacase: requests for human-rights technical assistance, handled on the record.")
def main() -> None:
    pass


# --- database -----------------------------------------------------------------------------

@main.group(help="The database schema.")
def db() -> None:
    pass


@db.command("upgrade", help="Apply the migrations (creates the SQLite file if needed).")
@click.option("--revision", default="head", show_default=True)
@pass_context
def db_upgrade(ctx: Context, revision: str) -> None:
    from tacase.db.migrate import upgrade

    _ensure_sqlite_dir(ctx.config.DATABASE_URL)
    upgrade(ctx.config.DATABASE_URL, revision)
    click.echo(f"database at {revision}")


def _ensure_sqlite_dir(url: str) -> None:
    from pathlib import Path

    if url.startswith("sqlite:///") and url != "sqlite:///:memory:":
        Path(url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)


# --- demo data ------------------------------------------------------------------------------

@main.group(invoke_without_command=True,
            help="Load demo accounts and cases (once; running it again adds nothing).")
@click.option("--print-accounts", is_flag=True, help="List the demo accounts and their password.")
@click.pass_context
def demo(click_ctx: click.Context, print_accounts: bool) -> None:
    from tacase.services.calls.demo import DEMO_CALL_USERS
    from tacase.services.clock import utcnow
    from tacase.services.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

    if click_ctx.invoked_subcommand is not None:
        return
    ctx = click_ctx.ensure_object(Context)
    if ctx.config.NAME == "production":
        raise click.ClickException("demo data is never loaded in production")
    with ctx.session() as session:
        result = load_demo(session, utcnow, questionnaires_dir=ctx.config.QUESTIONNAIRES_DIR,
                           documents_dir=ctx.config.DOCUMENTS_DIR)
    if result["loaded"]:
        click.echo(f"demo data loaded: {result['users']} accounts, {result['cases']} cases, "
                   f"{result['call_responses']} responses to calls")
    elif result["call_responses"]:
        click.echo(f"demo answers to calls added: {result['call_responses']} responses")
    else:
        click.echo("demo data already present: nothing added")
    if print_accounts:
        click.echo(f"demo accounts (password for all: {DEMO_PASSWORD}):")
        for email, name, roles, state in DEMO_USERS:
            click.echo(f"  {email:<26} {', '.join(roles):<18} {state or '':<4} {name}")
        for state, email, name, _ministry, _submitted in DEMO_CALL_USERS:
            click.echo(f"  {email:<26} {'invited to a call':<18} {state:<4} {name}")
        click.echo("staff and Board accounts also need a 6-digit code: `tacase demo totp EMAIL` prints it")


@demo.command("totp", help="Print the current sign-in code of a demo staff account (development only).")
@click.argument("email")
@pass_context
def demo_totp(ctx: Context, email: str) -> None:
    from tacase.services.clock import utcnow
    from tacase.services.demo import current_totp

    if ctx.config.NAME == "production":
        raise click.ClickException("demo tools are never available in production")
    with ctx.session() as session:
        code = current_totp(session, email, utcnow())
    if code is None:
        raise click.ClickException(f"{email} has no two-factor secret (is it a demo staff account?)")
    click.echo(code)


# --- workflows ------------------------------------------------------------------------------

@main.group(help="The workflow definitions in workflows/.")
def workflows() -> None:
    pass


@workflows.command("validate", help="Load and check every workflow file.")
@click.option("--dir", "directory", type=click.Path(file_okay=False), default=None)
@pass_context
def workflows_validate(ctx: Context, directory: str | None) -> None:
    try:
        definitions = load_dir(directory or ctx.config.WORKFLOWS_DIR)
    except WorkflowError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    for name, d in sorted(definitions.items()):
        click.echo(f"OK: {d.source}: {name} v{d.version}, {len(d.states)} states, "
                   f"{len(d.transitions)} transitions, sha256 {d.sha256[:12]}")


@workflows.command("show", help="Describe a workflow, or draw it as a Mermaid state diagram.")
@click.argument("request_type")
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "json"]), default="text",
              show_default=True)
@click.option("--public", is_flag=True, help="Use the labels the public and States see.")
@pass_context
def workflows_show(ctx: Context, request_type: str, fmt: str, public: bool) -> None:
    try:
        definitions = load_dir(ctx.config.WORKFLOWS_DIR)
    except WorkflowError as exc:
        raise click.ClickException(str(exc)) from None
    if request_type not in definitions:
        raise click.ClickException(
            f"unknown request type {request_type!r}; known: {', '.join(sorted(definitions))}"
        )
    d = definitions[request_type]
    if fmt == "mermaid":
        click.echo(mermaid(d, public=public), nl=False)
        return
    if fmt == "json":
        click.echo(json.dumps(d.raw, indent=2, default=str))
        return
    click.echo(f"{d.title} ({d.type} v{d.version}, references {d.reference_prefix}-YYYY-NNNN)")
    click.echo("states:")
    for s in d.states.values():
        rule = ""
        if s.deadline:
            kind = "working" if s.deadline.working else "calendar"
            rule = f"  [{s.deadline.days} {kind} days, {s.deadline.party}'s clock]"
        paused = "  [office clock paused]" if s.office_clock_paused else ""
        click.echo(f"  {s.name:<10} {s.staff_label} / {s.public_label}{rule}{paused}")
    click.echo("transitions:")
    for t in d.transitions:
        needs = ", ".join(f.name + ("*" if f.required else "") for f in t.record)
        guards = ", ".join(g.name for g in t.guards)
        click.echo(f"  {t.trigger:<16} {','.join(t.sources)} -> {t.dest}  by {', '.join(t.roles)}"
                   + (f"  guards: {guards}" if guards else "") + (f"  records: {needs}" if needs else ""))


# --- deadlines --------------------------------------------------------------------------------

def parse_instant(value: str) -> dt.datetime:
    """ISO 8601 with an offset or Z; a date alone is its start in UTC; no offset means UTC."""
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not an ISO 8601 instant such as 2026-03-20T09:00:00Z") from None
    return moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment.astimezone(dt.UTC)


@main.group(help="Reminders, overdue flags and escalations.")
def deadlines() -> None:
    pass


@deadlines.command("list", help="Open steps by due date: when each is reminded and due.")
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@pass_context
def deadlines_list(ctx: Context, limit: int) -> None:
    from sqlalchemy import select

    from tacase.db.models import Case

    with ctx.session() as session:
        rows = session.execute(
            select(Case.reference, Case.status, Case.due_party, Case.remind_at, Case.due_at)
            .where(Case.due_at.is_not(None)).order_by(Case.due_at).limit(limit)).all()
    if not rows:
        click.echo("no open step has a deadline")
    for r in rows:
        remind = r.remind_at.strftime("%Y-%m-%dT%H:%MZ") if r.remind_at else "-"
        click.echo(f"{r.reference:<16} {r.status:<10} {r.due_party:<7} remind {remind:<18} "
                   f"due {r.due_at.strftime('%Y-%m-%dT%H:%MZ')}")


@deadlines.command("sweep", help="Flag, remind and escalate as of now, or as of --now to replay a moment.")
@click.option("--now", "at", default=None, help="ISO 8601 instant, e.g. 2026-03-20T09:00:00Z")
@pass_context
def deadlines_sweep(ctx: Context, at: str | None) -> None:
    from tacase.jobs.tasks import sweep_in_batches
    from tacase.services.clock import FixedClock, utcnow

    clock = FixedClock(parse_instant(at)) if at else utcnow
    report = sweep_in_batches(ctx.session_factory, clock,
                              escalate_after_working_days=ctx.config.ESCALATE_AFTER_WORKING_DAYS)
    if report.skipped:
        click.echo(f"sweep at {report.at.isoformat()} skipped: another sweep is running and does "
                   "what is due")
        return
    click.echo(f"sweep at {report.at.isoformat()}: {report.describe()}")


@main.command("scheduler", help="Run the scheduler: sweeps deadlines and sends mail. Start one or "
              "several; one leads, the others wait to take over.")
@click.option("--heartbeat", default=5.0, show_default=True, type=click.FloatRange(0.5, 300),
              help="seconds between leadership checks (and tries to take over)")
@pass_context
def scheduler(ctx: Context, heartbeat: float) -> None:
    import logging

    from tacase.jobs.process import run_scheduler

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    run_scheduler(ctx.config, heartbeat_seconds=heartbeat)


# --- mail -------------------------------------------------------------------------------------

@main.group(help="Mail waiting in the outbox (the scheduler delivers it; these are for operators).")
def outbox() -> None:
    pass


@outbox.command("deliver", help="One delivery pass: send what is due, print the counts.")
@click.option("--batch", default=50, show_default=True, type=click.IntRange(1, 1000))
@pass_context
def outbox_deliver(ctx: Context, batch: int) -> None:
    import os
    import socket

    from tacase.jobs.tasks import deliver_with_settings
    from tacase.mail import MailConfigError, make_sender
    from tacase.services.clock import utcnow

    try:
        sender = make_sender(ctx.config)
    except MailConfigError as exc:
        raise click.ClickException(str(exc)) from None
    worker = f"cli:{socket.gethostname()}:{os.getpid()}"
    counts = deliver_with_settings(ctx.config, ctx.session_factory, utcnow, sender, worker=worker,
                                   batch=batch)
    click.echo(", ".join(f"{v} {k}" for k, v in counts.items()))


@outbox.command("list", help="The latest messages, newest first.")
@click.option("--status", default=None,
              type=click.Choice(["pending", "sending", "sent", "parked", "digest", "digested"]))
@click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 1000))
@pass_context
def outbox_list(ctx: Context, status: str | None, limit: int) -> None:
    from tacase.services.outbox import list_messages

    with ctx.session() as session:
        for m in list_messages(session, status=status, limit=limit):
            error = f" last error: {m.last_error}" if m.last_error else ""
            click.echo(f"{m.id:>7} {m.status:<9} tries {m.attempts:<2} {m.created_at:%Y-%m-%d %H:%M}Z "
                       f"{m.to_address} {m.subject!r}{error}")


# --- users ------------------------------------------------------------------------------------

@main.group(help="User accounts.")
def users() -> None:
    pass


@users.command("create", help="Create an account; the password is read from standard input.")
@click.option("--email", required=True)
@click.option("--role", "roles", multiple=True, required=True,
              help="state_focal_point, reviewer, approver, board or admin (repeat for several)")
@click.option("--state", "state_code", default=None, help="ISO alpha-3 code, for focal points")
@click.option("--name", "display_name", default=None)
@pass_context
def users_create(ctx: Context, email: str, roles: tuple[str, ...], state_code: str | None,
                 display_name: str | None) -> None:
    from tacase.services.accounts import create_user
    from tacase.services.actors import SYSTEM
    from tacase.services.clock import utcnow
    from tacase.services.errors import ValidationFailed

    if sys.stdin.isatty():
        password = click.prompt("password", hide_input=True, confirmation_prompt=True)
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    try:
        with ctx.session() as session:
            user = create_user(session, SYSTEM, utcnow, email=email, roles=list(roles),
                               password=password, display_name=display_name,
                               state_code=state_code.upper() if state_code else None)
    except ValidationFailed as exc:
        for name, messages in exc.errors.items():
            click.echo(f"error: {name}: {'; '.join(messages)}", err=True)
        sys.exit(1)
    click.echo(f"created user {user.id} {user.email} ({', '.join(sorted(user.roles))})")


# --- serving ----------------------------------------------------------------------------------

def welcome_lines(url: str, *, accounts: bool) -> list[str]:
    """What a newcomer needs once the server listens: where to go and, with demo data, who to be."""
    from tacase.services.demo import DEMO_PASSWORD, DEMO_USERS

    lines = ["", "=" * 72, f"tacase is running: open {url}", f"API documentation: {url}/api/v1/docs"]
    if accounts:
        lines.append(f"demo accounts (password for all: {DEMO_PASSWORD}):")
        lines.extend(f"  {email:<26} {', '.join(roles):<18} {state or '':<4} {name}"
                     for email, name, roles, state in DEMO_USERS)
        lines.append("staff and Board accounts also need a 6-digit code: `tacase demo totp EMAIL` prints it")
    lines.extend(["Ctrl-C stops it.", "=" * 72])
    return lines


@main.command("run", help="Run the development server (single process, auto-reload off).")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--welcome", is_flag=True,
              help="Once the server listens, print the address to open and the demo accounts.")
def run(host: str, port: int, welcome: bool) -> None:
    from tacase.web import create_app

    app = create_app()
    if not welcome:
        app.run(host=host, port=port, debug=False, use_reloader=False)
        return
    from werkzeug.serving import make_server

    server = make_server(host, port, app, threaded=True)  # listening once this returns
    shown_host = f"[{host}]" if ":" in host else host
    for line in welcome_lines(f"http://{shown_host}:{server.server_port}",
                              accounts=app.config.get("NAME") != "production"):
        click.echo(line)
    sys.stdout.flush()
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


@main.command("serve", help="Serve the app with gunicorn (production); the scheduler runs elsewhere.")
@click.option("--bind", default="127.0.0.1:8000", show_default=True, help="host:port or unix:path")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@click.option("--threads", default=1, show_default=True, type=click.IntRange(1, 64))
@click.option("--timeout", default=None, type=click.IntRange(1, 600),
              help="seconds a request may take before its worker is stopped  "
                   "[default: TACASE_REQUEST_TIMEOUT_SECONDS, 30]")
@pass_context
def serve(ctx: Context, bind: str, workers: int, threads: int, timeout: int | None) -> None:
    from tacase.web.server import serve as run_gunicorn

    if timeout is not None:  # the app's Idempotency-Key leases follow the timeout the workers have
        ctx.config.REQUEST_TIMEOUT_SECONDS = timeout
    run_gunicorn(ctx.config, bind=bind, workers=workers, threads=threads,
                 timeout=ctx.config.REQUEST_TIMEOUT_SECONDS)


for _module in (cli_audit, cli_calls, cli_export, cli_iati, cli_report):
    _module.register(main)


if __name__ == "__main__":  # pragma: no cover
    main()
