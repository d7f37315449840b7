"""`tacase calls`: the calls for input defined in questionnaires/."""

from __future__ import annotations

import sys

import click

from tacase.cli_context import Context, pass_context


def register(main: click.Group) -> None:
    main.add_command(calls)


@click.group(help="The calls for input (questionnaires and calls for submissions) in questionnaires/.")
def calls() -> None:
    pass


@calls.command("validate", help="Load and check every call file in DIRECTORY (default: the configured "
               "questionnaires directory); exit code 1 and each problem on standard error if any.")
@click.argument("directory", type=click.Path(file_okay=False), required=False)
@pass_context
def calls_validate(ctx: Context, directory: str | None) -> None:
    from tacase.engine.calls import CallDefinitionError, load_dir

    try:
        definitions = load_dir(directory or ctx.config.QUESTIONNAIRES_DIR)
    except CallDefinitionError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    for key, d in sorted(definitions.items()):
        click.echo(f"OK: {key}.yaml: {d.kind} v{d.version}, {len(d.questions)} questions, "
                   f"{d.opens_on.isoformat()} to {d.closes_on.isoformat()}, sha256 {d.sha256[:12]}")
    if not definitions:
        click.echo("no call files (*.yaml)")


@calls.command("sync", help="Record new and changed call files in the database (the scheduler does it "
               "every five minutes); each version is kept for the responses given under it.")
@pass_context
def calls_sync(ctx: Context) -> None:
    from tacase.engine.calls import CallDefinitionError
    from tacase.services.calls import registry
    from tacase.services.clock import utcnow

    try:
        with ctx.session() as session:
            counts = registry.load_and_sync(session, ctx.config.QUESTIONNAIRES_DIR, utcnow(),
                                            ctx.config.DUTY_STATION_TIMEZONE)
    except CallDefinitionError as exc:
        for problem in exc.problems:
            click.echo(f"error: {problem}", err=True)
        sys.exit(1)
    click.echo("calls: {added} added, {changed} changed, {unchanged} unchanged".format(**counts))
