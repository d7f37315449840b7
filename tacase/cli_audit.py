"""`tacase audit`: the tamper-evident audit log."""

from __future__ import annotations

import sys

import click

from tacase.cli_context import Context, pass_context


def register(main: click.Group) -> None:
    main.add_command(audit)


@click.group(help="The tamper-evident audit log.")
def audit() -> None:
    pass


@audit.command("verify", help="Recompute the hash chain; exit 1 at the first bad event.")
@click.option("--since-last", is_flag=True,
              help="only the events after the last checkpoint (by default: the whole chain)")
@pass_context
def audit_verify(ctx: Context, since_last: bool) -> None:
    from tacase.jobs.tasks import verify_audit
    from tacase.services.clock import utcnow

    result = verify_audit(ctx.session_factory, utcnow, full=not since_last)
    if result.ok:
        click.echo(f"OK: {result.events} events, head {result.head}")
        return
    click.echo(f"BAD: event {result.first_bad_seq}: {result.reason} "
               f"({result.events} events verified before it)")
    sys.exit(1)


