"""`tacase audit`: the tamper-evident audit log and its signed checkpoints."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from tacase.cli_context import Context, pass_context

# A saved copy of the public checkpoints is small; anything much larger is not one.
MAX_COPY_BYTES = 10 * 1024 * 1024


def register(main: click.Group) -> None:
    main.add_command(audit)


@click.group(help="The tamper-evident audit log.")
def audit() -> None:
    pass


def _read_copies(path: Path) -> list:
    """The checkpoints of a copy kept elsewhere (the public route's JSON, saved to a file)."""
    from tacase.audit import signing

    try:
        if path.stat().st_size > MAX_COPY_BYTES:
            raise click.ClickException(f"{path} is too large to be a copy of the signed checkpoints")
        document = json.loads(path.read_bytes())
    except OSError as exc:
        raise click.ClickException(f"{path} cannot be read: {exc.strerror}") from None
    except ValueError:
        raise click.ClickException(
            f"{path} is not JSON: save the answer of /public/audit/checkpoints") from None
    try:
        copies = signing.from_json(document)
    except signing.CheckpointFormatError as exc:
        raise click.ClickException(f"{path} is not a copy of the signed checkpoints: {exc}") from None
    if not copies:
        raise click.ClickException(f"{path} holds no signed checkpoint")
    return copies


@audit.command("verify", help="Recompute the hash chain and check it against every signed checkpoint; "
                              "exit 1 at the first bad event or checkpoint.")
@click.option("--since-last", is_flag=True,
              help="only the events after the last verification checkpoint (by default: the whole chain)")
@click.option("--checkpoint", "copy", type=click.Path(path_type=Path, dir_okay=False),
              help="also check the signed checkpoints of this file: the JSON of /public/audit/checkpoints "
                   "as saved elsewhere")
@pass_context
def audit_verify(ctx: Context, since_last: bool, copy: Path | None) -> None:
    from tacase.audit import checkpoints
    from tacase.jobs.tasks import verify_audit
    from tacase.services.clock import utcnow

    copies = _read_copies(copy) if copy is not None else []
    result = verify_audit(ctx.session_factory, utcnow, full=not since_last)
    if not result.ok:
        click.echo(f"BAD: event {result.first_bad_seq}: {result.reason} "
                   f"({result.events} events verified before it)")
        sys.exit(1)
    with ctx.session() as session:
        report = checkpoints.check(session, copies=copies)
    if report.problems:
        for problem in report.problems:
            click.echo(f"BAD: {problem.sentence()}")
        sys.exit(1)
    click.echo(f"OK: {result.events} events, head {result.head}")
    if report.checked:
        agree = "signed checkpoint agrees" if report.checked == 1 else "signed checkpoints agree"
        click.echo(f"OK: {report.checked} {agree} with the chain "
                   f"(the furthest covers event {report.furthest})")


def _key(ctx: Context):
    from tacase.audit import signing

    try:
        return signing.key_from_settings(ctx.config.AUDIT_SIGNING_KEY,
                                         create=ctx.config.AUDIT_SIGNING_KEY_CREATE)
    except signing.SigningKeyError as exc:
        raise click.ClickException(str(exc)) from None


@audit.command("keygen", help="Make an Ed25519 key for signed checkpoints (PEM, mode 0600) and print its "
                              "public key.")
@click.option("--out", type=click.Path(path_type=Path, dir_okay=False),
              help="where to write the key (by default: TACASE_AUDIT_SIGNING_KEY's path)")
@pass_context
def audit_keygen(ctx: Context, out: Path | None) -> None:
    from tacase.audit import signing

    if out is None:
        if not ctx.config.AUDIT_SIGNING_KEY.strip():
            raise click.ClickException(
                "say where to write the key: --out FILE, or set TACASE_AUDIT_SIGNING_KEY")
        out = Path(ctx.config.AUDIT_SIGNING_KEY).expanduser()
    try:
        key = signing.new_key_file(out)
    except signing.SigningKeyError as exc:
        raise click.ClickException(str(exc)) from None
    public = signing.public_key_text(key)
    click.echo(f"wrote {out} (readable by its owner only); keep it outside the database and its backups")
    click.echo(f"public key ({signing.ALGORITHM}, base64): {public}")
    click.echo(f"key id: {signing.key_id_of(signing.raw_public_key(key))}")
    if Path(ctx.config.AUDIT_SIGNING_KEY).expanduser() != out:
        click.echo(f"to sign with it, set TACASE_AUDIT_SIGNING_KEY={out}")


@audit.command("checkpoint", help="Sign the chain's head with the key of TACASE_AUDIT_SIGNING_KEY and keep "
                                  "the signed checkpoint (published at /public/audit/checkpoints).")
@pass_context
def audit_checkpoint(ctx: Context) -> None:
    from tacase.audit import checkpoints
    from tacase.services.clock import utcnow

    key = _key(ctx)
    with ctx.session() as session:
        signed = checkpoints.sign_head(session, key, utcnow())
    if signed is None:
        click.echo("the audit log is empty: nothing to sign")
        return
    checkpoint, new = signed
    if new:
        click.echo(f"signed checkpoint: event {checkpoint.sequence}, hash {checkpoint.hash}, "
                   f"key {checkpoint.key_id}")
    else:
        click.echo(f"event {checkpoint.sequence} is signed already by key {checkpoint.key_id}: nothing added")
