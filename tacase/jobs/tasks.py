"""The jobs the scheduler runs. Each calls services as the system, with the clock passed in, and
commits once; each is safe to run again or from two processes (the database decides)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from config import BaseConfig
from tacase.services import idempotency, outbox
from tacase.services.clock import Clock
from tacase.services.deadline_sweep import sweep_deadlines as sweep

log = logging.getLogger(__name__)


@dataclass
class JobContext:
    config: BaseConfig
    sessions: sessionmaker[Session]
    clock: Clock
    sender: Any
    worker: str


def sweep_deadlines(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        report = sweep(session, ctx.clock,
                       escalate_after_working_days=ctx.config.ESCALATE_AFTER_WORKING_DAYS)
        session.commit()
    if report.total:
        log.info("sweep at %s: %s", report.at.isoformat(), report.describe())


def deliver_mail(ctx: JobContext) -> None:
    result = outbox.deliver_due(
        ctx.sessions, ctx.clock, ctx.sender, worker=ctx.worker,
        max_attempts=ctx.config.OUTBOX_MAX_ATTEMPTS, backoff_seconds=ctx.config.OUTBOX_BACKOFF_SECONDS,
        lease_seconds=ctx.config.OUTBOX_LEASE_SECONDS,
    )
    if any(result.values()):
        log.info("mail: %s", ", ".join(f"{v} {k}" for k, v in result.items()))


def send_digests(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        outbox.send_digests(session, ctx.clock, now=ctx.clock())
        session.commit()


def purge_idempotency_keys(ctx: JobContext) -> None:
    with ctx.sessions() as session:
        idempotency.purge_expired(session, ctx.clock())
        session.commit()
