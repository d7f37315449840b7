"""`tacase export`: files made from the public record."""

from __future__ import annotations

import click

from tacase.cli_context import Context, pass_context


def register(main: click.Group) -> None:
    main.add_command(export)


# --- open data --------------------------------------------------------------------------------

@click.group(help="Files made from the public record.")
def export() -> None:
    pass


@export.command("open-data", help="Write the open-data files (cases.csv and cases.json: every published "
                "request, the same as /public/data serves) into a directory.")
@click.option("--out", required=True, type=click.Path(file_okay=False, writable=True),
              help="the directory to write into (made if missing)")
@pass_context
def export_open_data(ctx: Context, out: str) -> None:
    from pathlib import Path

    from tacase.jobs.tasks import licence
    from tacase.services import open_data, public_record
    from tacase.services.clock import utcnow

    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    now = utcnow()
    with ctx.session() as session:
        for name in open_data.NAMES:
            path, part = folder / name, folder / f".{name}.part"
            with part.open("w", encoding="utf-8", newline="") as f:
                for piece in open_data.chunks(session, name.rsplit(".", 1)[1], public_record.PublicFilter(),
                                              licence(ctx.config), now):
                    f.write(piece)
            part.replace(path)  # whole or not at all
            click.echo(f"{path}: {path.stat().st_size} bytes")


