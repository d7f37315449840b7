"""`tacase report`: the Board's annual report and the human rights adviser programme report, as
HTML, PDF, CSV (a zip of one file per table) or XLSX (one sheet per table)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from tacase.cli_context import Context, pass_context
from tacase.reference import LANGUAGES

FORMATS = ("html", "pdf", "csv", "xlsx")


def register(main: click.Group) -> None:
    main.add_command(report)


@click.group(help="Reports for the Board of Trustees and the Council.")
def report() -> None:
    pass


def _year(_ctx: click.Context, _param: click.Parameter, value: str | None) -> int | None:
    from tacase.services.report_tables import checked_year

    if value is None:
        return None
    try:
        return checked_year(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from None


_format = click.option("--format", "fmt", type=click.Choice(FORMATS), default="pdf", show_default=True,
                       help="csv: a zip archive with one CSV file per table; xlsx: one sheet per table")
_out = click.option("--out", type=click.Path(dir_okay=False, writable=True, allow_dash=True),
                    help="the file to write ('-' for standard output)  [default: a name with the year in the "
                         "current directory]")
_language = click.option("--language", type=click.Choice(LANGUAGES), default="en", show_default=True,
                         help="the language of the words and of the names of States")


@report.command("annual", help="The Board's annual report of one calendar year (UTC).")
@click.option("--year", required=True, callback=_year, help="the calendar year, such as 2026")
@_format
@_out
@_language
@pass_context
def report_annual(ctx: Context, year: int, fmt: str, out: str | None, language: str) -> None:
    from tacase.services import annual_report, timeliness
    from tacase.services.clock import utcnow

    now = utcnow()
    with ctx.session() as session:
        timeliness.refresh(session, now)  # the processing times as of now, as the scheduler would
        document = annual_report.build(session, year, now, language=language).document(language)
    _write(document, fmt, out or f"tacase-annual-report-{year}", language)


@report.command("hra", help="The human rights adviser programme report: requests for adviser positions, "
                "their funding, and the demand that could not be met.")
@click.option("--year", callback=_year, help="only the requests received in this calendar year  "
              "[default: every year]")
@_format
@_out
@_language
@pass_context
def report_hra(ctx: Context, year: int | None, fmt: str, out: str | None, language: str) -> None:
    from tacase.services import hra_report
    from tacase.services.clock import utcnow

    with ctx.session() as session:
        document = hra_report.build(session, year, utcnow(), language=language).document(language)
    _write(document, fmt, out or f"tacase-hra-report-{year or 'all'}", language)


def _write(document, fmt: str, out: str, language: str) -> None:
    from tacase.exports import report_files
    from tacase.services.messages import TRANSLATIONS

    try:
        data = report_files.render(document, fmt, report_files.translations_for(language, str(TRANSLATIONS)))
    except (ImportError, OSError) as exc:  # WeasyPrint without Pango
        raise click.ClickException(f"the PDF could not be made ({exc}); `make system-packages` installs "
                                   "what it needs") from None
    if out == "-":
        sys.stdout.buffer.write(data)
        return
    path = Path(out)
    if not path.suffix:
        path = path.with_suffix("." + report_files.EXTENSIONS[fmt])
    part = path.with_name(f".{path.name}.part")
    part.write_bytes(data)
    part.replace(path)  # whole or not at all
    click.echo(f"{path}: {len(data)} bytes")
