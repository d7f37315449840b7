"""Checking a pooled PostgreSQL connection before a request uses it, without a round trip.

A connection the server dropped (a restart, a terminated backend, a failover) must not fail the
request that draws it from the pool. A ping on every checkout costs a round trip on every request;
but a server that ends a connection says so on its socket (an error message, then the end of the
stream), and an idle connection's socket otherwise has nothing to read. So a connection is pinged
only when its socket has something to say, or when it has sat unused long enough that a silent loss
(a network that vanished without a word) is possible.
"""

from __future__ import annotations

import select
import time
from typing import Any

from sqlalchemy import Engine, event, exc

PING_AFTER_IDLE_SECONDS = 30.0


def _has_news(dbapi_connection: Any) -> bool:
    """True when the server sent something to a connection that asked for nothing (or it is gone)."""
    if dbapi_connection.closed or getattr(dbapi_connection, "broken", False):
        return True
    try:
        readable, _, _ = select.select([dbapi_connection.fileno()], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


def install(engine: Engine, *, ping_after_idle: float = PING_AFTER_IDLE_SECONDS) -> None:
    """Ping a connection at checkout only when its socket or its idle time calls for it."""

    @event.listens_for(engine, "checkin")
    def _note_return(_dbapi_connection: Any, record: Any) -> None:
        record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        idle = time.monotonic() - record.info.get("returned_at", time.monotonic())
        if idle < ping_after_idle and not _has_news(dbapi_connection):
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            # The pool drops this connection and draws (or opens) another.
            raise exc.DisconnectionError(f"a pooled connection was lost: {error}") from error
