"""`tacase export iati`: the IATI activity file, written to a file or checked."""

from __future__ import annotations

import sys

import click

from tacase.cli_context import Context, pass_context


def register(main: click.Group) -> None:
    from tacase.cli_export import export

    export.add_command(export_iati)


@click.command("iati", help="Write the IATI 2.03 activity file (every published request from its approval "
               "onwards, the same as /public/data/iati-activities.xml serves), or with --check list the "
               "requests it leaves out and why (exit code 1 if any).")
@click.option("--out", type=click.Path(dir_okay=False, writable=True, allow_dash=True), default="-",
              show_default=True, help="the file to write (- for standard output)")
@click.option("--check", is_flag=True, help="write nothing; print each request left out and why")
@pass_context
def export_iati(ctx: Context, out: str, check: bool) -> None:
    from pathlib import Path

    from tacase.services import iati
    from tacase.services.clock import utcnow

    publisher, now = iati.publisher_of(ctx.config), utcnow()
    with ctx.session() as session:
        if check:
            count, left_out = iati.check(session, publisher, now)
            for item in left_out:
                click.echo(f"{item.reference}: left out: {'; '.join(item.reasons)}")
            click.echo(f"{count} activities in the file; requests left out: {len(left_out)}")
            sys.exit(1 if left_out else 0)
        left_out: list[iati.LeftOut] = []
        if out == "-":
            for piece in iati.chunks(session, publisher, now, left_out=left_out):
                click.get_binary_stream("stdout").write(piece)
        else:
            path = Path(out)
            part = path.with_name(f".{path.name}.part")
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                with part.open("wb") as f:
                    for piece in iati.chunks(session, publisher, now, left_out=left_out):
                        f.write(piece)
                part.replace(path)  # whole or not at all
            except OSError as exc:
                part.unlink(missing_ok=True)
                raise click.ClickException(f"cannot write {path}: {exc.strerror}") from None
            click.echo(f"{path}: {path.stat().st_size} bytes")
    for item in left_out:
        click.echo(f"{item.reference}: left out: {'; '.join(item.reasons)}", err=True)
