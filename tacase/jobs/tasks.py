"""The jobs the scheduler runs. Each calls services as the system, with the clock passed in, and
commits once; each is safe to run again or from two processes (the database decides)."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config import BaseConfig
from tacase.audit import checkpoints, signing, store
from tacase.audit.chain import START, Verification
from tacase.services import iati, idempotency, open_data, outbox, public_record, timeliness
from tacase.services.calls import registry as calls
from tacase.services.calls import reminders as call_reminders
from tacase.services.clock import Clock
from tacase.services.deadline_sweep import SweepReport
from tacase.services.deadline_sweep import sweep_deadlines as sweep

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    config: BaseConfig
    sessions: sessionmaker[Session]
    clock: Clock
    sender: Any
    worker: str


# Events per transaction: each commit chains its events, and the chain's lock lasts only that long,
# so web requests writing meanwhile wait for a few inserts at most.
SWEEP_BATCH = 10


def sweep_in_batches(sessions: sessionmaker[Session], clock: Clock, *, escalate_after_working_days: int,
                     batch: int = SWEEP_BATCH) -> SweepReport:
    """Sweep as of one instant, committing every `batch` events; each event still happens once
    (the database's unique constraint), whether this run, another or a crash comes in between."""
    now = clock()
    total = SweepReport(at=now)
    while True:
        with sessions() as session:
            report = sweep(session, lambda: now, escalate_after_working_days=escalate_after_working_days,
                           limit=batch)
            session.commit()
        if report.skipped:
            total.skipped = total.total == 0  # another sweep holds the lock: it goes on from here
            return total
        for kind, count in report.counts.items():
            total.counts[kind] += count
        if report.total < batch:
            return total


def sweep_deadlines(ctx: JobContext) -> None:
    report = sweep_in_batches(ctx.sessions, ctx.clock,
                              escalate_after_working_days=ctx.config.ESCALATE_AFTER_WORKING_DAYS)
    if report.total:
        log.info("sweep at %s: %s", report.at.isoformat(), report.describe())
    elif report.skipped:
        log.info("sweep at %s skipped: another sweep is running", report.at.isoformat())


def deliver_with_settings(config: BaseConfig, sessions: sessionmaker[Session], clock: Clock, sender: Any,
                          *, worker: str, batch: int = 50) -> dict[str, int]:
    """One delivery pass with the outbox settings of the configuration (the scheduler and
    `tacase outbox deliver` alike)."""
    return outbox.deliver_due(
        sessions, clock, sender, worker=worker, batch=batch,
        max_attempts=config.OUTBOX_MAX_ATTEMPTS, backoff_seconds=config.OUTBOX_BACKOFF_SECONDS,
        lease_seconds=config.OUTBOX_LEASE_SECONDS,
    )


def deliver_mail(ctx: JobContext) -> None:
    result = deliver_with_settings(ctx.config, ctx.sessions, ctx.clock, ctx.sender, worker=ctx.worker)
    if any(result.values()):
        log.info("mail: %s", ", ".join(f"{v} {k}" for k, v in result.items()))


def send_digests(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        outbox.send_digests(session, ctx.clock, now=ctx.clock())
        session.commit()


def send_call_reminders(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        result = call_reminders.send_due_reminders(session, ctx.clock)
        session.commit()
    if result["states"]:
        log.info("call reminders: %s", ", ".join(f"{v} {k}" for k, v in result.items()))


def verify_audit(sessions: sessionmaker[Session], clock: Clock, *, full: bool) -> Verification:
    """Verify the chain (all of it, or since the last checkpoint) and keep the run's result."""
    with sessions() as session:
        result = store.verify_chain(session, START if full else store.latest_checkpoint(session))
        store.record_verification(session, result, clock(), full=full)
        session.commit()
    if not result.ok:
        log.error("the audit chain is broken at event %s: %s (%s events verify before it)",
                  result.first_bad_seq, result.reason, result.events)
    return result


def verify_audit_since_checkpoint(ctx: JobContext) -> None:
    verify_audit(ctx.sessions, ctx.clock, full=False)


def verify_audit_chain(ctx: JobContext) -> None:
    result = verify_audit(ctx.sessions, ctx.clock, full=True)
    if result.ok:
        log.info("the audit chain verifies: %s events, head %s", result.events, result.head)


# What the signing job said already about a missing key: said once per process, not every day.
_SAID: set[str] = set()


def sign_audit_checkpoint(ctx: JobContext) -> None:
    """Sign the chain's head (once per head and key: a second run, or a second process, adds none)."""
    try:
        key = signing.key_from_settings(ctx.config.AUDIT_SIGNING_KEY,
                                        create=ctx.config.AUDIT_SIGNING_KEY_CREATE)
    except signing.NoSigningKey as exc:
        if "no-key" not in _SAID:
            _SAID.add("no-key")
            log.warning("signed checkpoints are off: %s", exc)
        return
    except signing.SigningKeyError as exc:
        log.error("no signed checkpoint: %s", exc)
        return
    with ctx.sessions() as session:
        signed = checkpoints.sign_head(session, key, ctx.clock())
        session.commit()
    if signed is not None and signed[1]:
        log.info("signed checkpoint of event %s, key %s", signed[0].sequence, signed[0].key_id)


def purge_idempotency_keys(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        idempotency.purge_expired(session, ctx.clock())
        session.commit()


def refresh_timeliness(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        timeliness.refresh(session, ctx.clock())
        session.commit()


def refresh_record_counts(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        public_record.refresh_counts(session, ctx.clock())
        session.commit()


def licence(config: BaseConfig) -> open_data.Licence:
    return open_data.Licence(config.PUBLIC_DATA_LICENCE_NAME, config.PUBLIC_DATA_LICENCE_URL)


def build_open_data(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        built = open_data.build_if_due(session, ctx.clock(), licence(ctx.config),
                                       every=dt.timedelta(seconds=ctx.config.PUBLIC_DATA_REBUILD_SECONDS))
        session.commit()
    if built:
        log.info("open-data files built")


def build_iati_file(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        built = iati.build_if_due(session, ctx.clock(), iati.publisher_of(ctx.config),
                                  every=dt.timedelta(seconds=ctx.config.PUBLIC_DATA_REBUILD_SECONDS))
        session.commit()
    if built:
        log.info("IATI activity file built")


def sync_calls(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        counts = calls.load_and_sync(session, ctx.config.QUESTIONNAIRES_DIR, ctx.clock(),
                                     ctx.config.DUTY_STATION_TIMEZONE)
        session.commit()
    if counts["added"] or counts["changed"]:
        log.info("calls for input: %(added)d added, %(changed)d changed", counts)
