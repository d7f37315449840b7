"""A pooled PostgreSQL connection is pinged at checkout only when it may be dead: when its socket has
something to say (the server ended it) or when it sat idle long enough for a silent loss. A connection
in steady use goes to its request without a round trip."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tacase.db import liveness
from tacase.db.session import normalise_url


@pytest.fixture
def pg_url(engine):
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite pings every checkout: it costs microseconds there")
    return engine.url.render_as_string(hide_password=False)


def watched(url: str, ping_after_idle: float):
    engine = create_engine(normalise_url(url), pool_size=1, max_overflow=0)
    liveness.install(engine, ping_after_idle=ping_after_idle)
    pings: list[int] = []
    ping = engine.dialect.do_ping

    def counted(dbapi_connection):
        pings.append(1)
        return ping(dbapi_connection)

    engine.dialect.do_ping = counted
    return engine, pings


def test_a_connection_in_steady_use_is_not_pinged(pg_url):
    engine, pings = watched(pg_url, ping_after_idle=60)
    try:
        for _ in range(5):
            with engine.connect() as conn:
                assert conn.execute(text("SELECT 1")).scalar() == 1
        assert pings == []
    finally:
        engine.dispose()


def test_a_connection_idle_past_the_limit_is_pinged_first(pg_url):
    engine, pings = watched(pg_url, ping_after_idle=0)
    try:
        for _ in range(3):
            with engine.connect() as conn:
                conn.execute(text("SELECT 1"))
        assert len(pings) == 2  # a connection just opened needs none
    finally:
        engine.dispose()


def test_a_connection_the_server_ended_is_replaced_before_use(pg_url):
    engine, pings = watched(pg_url, ping_after_idle=60)
    try:
        with engine.connect() as conn:
            first = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        admin = create_engine(normalise_url(pg_url))
        with admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": first})
        admin.dispose()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != first
        assert len(pings) == 1
    finally:
        engine.dispose()
