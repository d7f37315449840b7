"""What the services need besides a session: the workflows in force and the business calendar.

It is built once from the configuration and travels in the session's `info`, so every service
keeps the plain (session, actor, clock) signature.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from tacase.engine.calendar import BusinessCalendar
from tacase.engine.registry import WorkflowRegistry


@dataclass
class Runtime:
    workflows: WorkflowRegistry
    station: str = "CH-GE"
    timezone: str = "Europe/Zurich"
    # Where links in mails and notifications point.
    public_url: str = "http://127.0.0.1:5000"

    def __post_init__(self) -> None:
        self._calendar = BusinessCalendar(self.station, self.timezone)

    def calendar(self) -> BusinessCalendar:
        return self._calendar

    @classmethod
    def from_config(cls, config) -> Runtime:
        return cls(
            workflows=WorkflowRegistry.from_dir(config.WORKFLOWS_DIR),
            station=config.DUTY_STATION,
            timezone=config.DUTY_STATION_TIMEZONE,
            public_url=config.PUBLIC_URL,
        )


def runtime_of(session: Session) -> Runtime:
    runtime = session.info.get("runtime")
    if runtime is None:
        raise RuntimeError("this session was not made by a factory that knows the runtime")
    return runtime
