"""Only one scheduler acts at a time; the others wait to take over.

PostgreSQL: a session-level advisory lock held on a connection of its own; if the process dies, its
connection closes and the lock is free at once. SQLite: a lease row that the leader renews and
that anyone may take once it has expired.
"""

from __future__ import annotations

import datetime as dt
import logging

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from tacase.db.models import SchedulerLease
from tacase.services.clock import Clock

log = logging.getLogger(__name__)

LOCK_KEY = 0x7461636173650003
LEASE_NAME = "scheduler"


class PostgresLeader:
    def __init__(self, engine: Engine, holder: str) -> None:
        self.engine, self.holder = engine, holder
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        conn = self.engine.connect()
        try:
            got = conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LOCK_KEY}).scalar()
            conn.commit()
        except DBAPIError:
            conn.close()
            return False
        if got:
            self._conn = conn
            return True
        conn.close()
        return False

    def still_leader(self) -> bool:
        """The lock lives as long as its connection: check that the connection does."""
        if self._conn is None:
            return False
        try:
            self._conn.execute(text("SELECT 1"))
            self._conn.commit()
            return True
        except DBAPIError:
            self._conn = None
            return False

    def release(self) -> None:
        if self._conn is not None:
            try:
                self._conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LOCK_KEY})
                self._conn.commit()
            except DBAPIError:
                pass
            self._conn.close()
            self._conn = None


class LeaseLeader:
    def __init__(self, sessions: sessionmaker[Session], holder: str, clock: Clock,
                 ttl: dt.timedelta = dt.timedelta(seconds=30)) -> None:
        self.sessions, self.holder, self.clock, self.ttl = sessions, holder, clock, ttl

    def try_acquire(self) -> bool:
        now = self.clock()
        with self.sessions() as s:
            lease = s.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))
            if lease is None:
                s.add(SchedulerLease(name=LEASE_NAME, holder=self.holder, expires_at=now + self.ttl))
            elif lease.holder == self.holder or lease.expires_at <= now:
                lease.holder, lease.expires_at = self.holder, now + self.ttl
            else:
                return False
            s.commit()
            return True

    def still_leader(self) -> bool:
        """Renew the lease; False once someone else holds it."""
        return self.try_acquire()

    def release(self) -> None:
        with self.sessions() as s:
            lease = s.scalar(select(SchedulerLease).where(SchedulerLease.name == LEASE_NAME))
            if lease is not None and lease.holder == self.holder:
                s.delete(lease)
                s.commit()


def leader_for(engine: Engine, sessions: sessionmaker[Session], holder: str, clock: Clock,
               lease_seconds: float = 30) -> PostgresLeader | LeaseLeader:
    if engine.dialect.name == "postgresql":
        return PostgresLeader(engine, holder)
    return LeaseLeader(sessions, holder, clock, dt.timedelta(seconds=lease_seconds))
