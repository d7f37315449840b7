"""`tacase scheduler`: wait to be the leader, then run the schedule with APScheduler.

APScheduler's own job stores cannot share work between processes (its FAQ says so), so the
schedule lives in memory, one process leads, and every job is idempotent in the database anyway.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from collections.abc import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler

from config import BaseConfig
from tacase.db.session import make_engine, make_session_factory
from tacase.jobs import tasks
from tacase.jobs.leader import leader_for
from tacase.jobs.schedule import schedule
from tacase.mail import make_sender
from tacase.services.clock import utcnow
from tacase.services.runtime import Runtime

log = logging.getLogger(__name__)
HEARTBEAT = "heartbeat"


def _run_logged(name: str, task: Callable[[tasks.JobContext], None], ctx: tasks.JobContext
                ) -> Callable[[], None]:
    def run() -> None:
        try:
            task(ctx)
        except Exception:
            # Logged and left for the next run: a failed job never stops the scheduler.
            log.exception("job %s failed", name)
    return run


def run_scheduler(config: BaseConfig, *, holder: str | None = None, heartbeat_seconds: float = 5.0,
                  stop: threading.Event | None = None) -> None:
    holder = holder or f"{socket.gethostname()}:{os.getpid()}"
    stop = stop or threading.Event()
    engine = make_engine(config.DATABASE_URL)
    sessions = make_session_factory(engine, Runtime.from_config(config))
    leader = leader_for(engine, sessions, holder, utcnow, config.SCHEDULER_LEASE_SECONDS)
    ctx = tasks.JobContext(config=config, sessions=sessions, clock=utcnow, sender=make_sender(config),
                           worker=holder)
    current: dict[str, BlockingScheduler] = {}

    def on_signal(signum: int, _frame: object) -> None:
        log.info("scheduler %s stopping (signal %s)", holder, signum)
        stop.set()
        if "scheduler" in current:
            current["scheduler"].shutdown(wait=False)

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    waiting_logged = False
    try:
        while not stop.is_set():
            if not leader.try_acquire():
                if not waiting_logged:
                    log.info("scheduler %s standing by: another scheduler has the lead", holder)
                    waiting_logged = True
                stop.wait(heartbeat_seconds)
                continue
            waiting_logged = False
            log.info("scheduler %s leads", holder)
            try:
                _lead(config, ctx, leader, heartbeat_seconds, stop, current)
            finally:
                leader.release()
                current.pop("scheduler", None)
    finally:
        engine.dispose()


def _lead(config: BaseConfig, ctx: tasks.JobContext, leader, heartbeat_seconds: float,
          stop: threading.Event, current: dict[str, BlockingScheduler]) -> None:
    # The jobs run one at a time, on one thread: a delivery never waits behind a sweep's writes in
    # the same process (on SQLite they would share one write lock), which keeps the moment between
    # a mail accepted and its outcome recorded as short as it can be. The heartbeat has a thread of
    # its own, so a long job never makes the leader look dead.
    scheduler = BlockingScheduler(
        timezone="UTC", executors={"default": ThreadPoolExecutor(1), HEARTBEAT: ThreadPoolExecutor(1)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 300})
    for job in schedule(config):
        scheduler.add_job(_run_logged(job.name, getattr(tasks, job.task), ctx), job.trigger, id=job.name,
                          name=job.about, **job.every,
                          **({"next_run_time": utcnow()} if job.trigger == "interval" else {}))

    def heartbeat() -> None:
        if stop.is_set() or not leader.still_leader():
            if not stop.is_set():
                log.warning("scheduler %s lost the lead; waiting again", ctx.worker)
            scheduler.shutdown(wait=False)

    scheduler.add_job(heartbeat, "interval", seconds=heartbeat_seconds, id="leader-heartbeat",
                      executor=HEARTBEAT)
    current["scheduler"] = scheduler
    if stop.is_set():
        return
    scheduler.start()
