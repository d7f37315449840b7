"""The schedule, as data: what runs, how often. The scheduler reads it; the jobs are in tasks.py."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from config import BaseConfig


@dataclass(frozen=True)
class Job:
    name: str
    task: str  # a function name in tacase.jobs.tasks
    trigger: str  # "interval" or "cron" (APScheduler trigger names)
    every: dict[str, Any]  # the trigger's arguments
    about: str


def schedule(config: BaseConfig) -> tuple[Job, ...]:
    return (
        Job("sweep-deadlines", "sweep_deadlines", "interval", {"seconds": config.SWEEP_EVERY_SECONDS},
            "reminders, overdue flags, escalations and the State's notices"),
        Job("deliver-mail", "deliver_mail", "interval", {"seconds": config.DELIVER_EVERY_SECONDS},
            "send what the outbox holds; retry failures with backoff"),
        Job("daily-digest", "send_digests", "cron",
            {"hour": config.DIGEST_HOUR, "minute": 0, "timezone": config.DUTY_STATION_TIMEZONE},
            "one mail a day for users who asked for a digest"),
        Job("call-reminders", "send_call_reminders", "interval", {"hours": 1},
            "remind the States that have not answered a call, at its set days before the closing date"),
        Job("purge-idempotency-keys", "purge_idempotency_keys", "interval", {"hours": 1},
            "forget Idempotency-Keys older than a day"),
        Job("refresh-timeliness", "refresh_timeliness", "interval",
            {"seconds": config.PUBLIC_REFRESH_EVERY_SECONDS},
            "the published processing times, from the stored history"),
        Job("refresh-record-counts", "refresh_record_counts", "interval",
            {"seconds": config.PUBLIC_REFRESH_EVERY_SECONDS},
            "how many published requests each filter of the public record finds"),
        Job("build-open-data", "build_open_data", "interval",
            {"seconds": config.PUBLIC_REFRESH_EVERY_SECONDS},
            "the open-data files, when missing (after a change of consent) or older than "
            "PUBLIC_DATA_REBUILD_SECONDS"),
        Job("build-iati-file", "build_iati_file", "interval",
            {"seconds": config.PUBLIC_REFRESH_EVERY_SECONDS},
            "the IATI activity file, when missing (after a change of consent) or older than "
            "PUBLIC_DATA_REBUILD_SECONDS; the requests it leaves out, for /admin/iati"),
        Job("sync-calls", "sync_calls", "interval", {"minutes": 5},
            "record new and changed calls for input from the questionnaires folder"),
        Job("audit-checkpoint", "verify_audit_since_checkpoint", "interval", {"minutes": 10},
            "verify the audit events since the last checkpoint, and keep the new one"),
        Job("audit-verify-full", "verify_audit_chain", "cron",
            {"hour": 2, "minute": 30, "timezone": config.DUTY_STATION_TIMEZONE},
            "verify the whole audit chain, from the first event"),
        Job("audit-sign-checkpoint", "sign_audit_checkpoint", "cron",
            {"hour": 3, "minute": 0, "timezone": config.DUTY_STATION_TIMEZONE},
            "sign the audit chain's head with the key outside the database (a signed checkpoint)"),
    )
