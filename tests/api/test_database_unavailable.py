"""Losing the database mid-request answers 503 with Retry-After in the one error shape; a connection
that died while idle in the pool is replaced before a request uses it."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event, text

from tacase.db.session import make_engine


class Killer:
    """Cuts the connection under the next statement that contains `words`: on PostgreSQL its backend
    is terminated by another connection, on SQLite the driver's connection is closed."""

    def __init__(self, app: Any, url: str, backend: str) -> None:
        self.engine, self.url, self.backend = app.extensions["tacase"]["engine"], url, backend
        self.words: str | None = None
        event.listen(self.engine, "before_cursor_execute", self._before)

    def arm(self, words: str) -> None:
        self.words = words

    def _before(self, conn, _cursor, statement, *_args) -> None:
        if self.words is None or self.words not in statement:
            return
        self.words = None
        self.cut(conn.connection.dbapi_connection)

    def cut(self, dbapi_connection: Any) -> None:
        if self.backend == "sqlite":
            dbapi_connection.close()
            return
        pid = dbapi_connection.info.backend_pid
        admin = make_engine(self.url)
        try:
            with admin.connect() as conn:
                conn.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": pid})
        finally:
            admin.dispose()


@pytest.fixture
def killer(app, fresh_db, backend) -> Killer:
    return Killer(app, fresh_db, backend)


def test_a_connection_lost_mid_request_answers_503(client, world, killer):
    focal = world.account("state_focal_point", state="FJI")
    assert client.get("/api/v1/cases", headers=focal.auth).status_code == 200
    killer.arm("FROM cases")
    response = client.get("/api/v1/cases", headers=focal.auth)
    assert response.status_code == 503
    assert response.get_json()["code"] == "unavailable"
    assert int(response.headers["Retry-After"]) > 0
    # The dead connection left the pool with the error: the next request is served.
    assert client.get("/api/v1/cases", headers=focal.auth).status_code == 200


def test_a_write_lost_mid_request_answers_503_and_saves_nothing(client, world, killer):
    focal = world.account("state_focal_point", state="FJI")
    killer.arm("INSERT INTO audit_events")
    response = client.post("/api/v1/cases", headers=focal.auth, json={"type": "upr_fund", "title": "Lost"})
    assert response.status_code == 503
    listed = client.get("/api/v1/cases", headers=focal.auth).get_json()
    assert listed["items"] == []


def test_a_page_lost_mid_request_answers_the_503_page(app, client, world, killer):
    focal = world.account("state_focal_point", state="FJI")
    killer.arm("FROM cases")
    response = client.get("/", headers=focal.auth)
    assert response.status_code == 503 and response.mimetype == "text/html"
    assert "Retry-After" in response.headers


def test_connections_that_died_idle_in_the_pool_are_replaced(client, world, killer):
    focal = world.account("state_focal_point", state="FJI")
    assert client.get("/api/v1/cases", headers=focal.auth).status_code == 200
    pool = killer.engine.pool
    # Every connection the pool holds now dies while nobody uses it.
    held = [pool.connect() for _ in range(pool.checkedin())]
    for connection in held:
        killer.cut(connection.dbapi_connection)
    for connection in held:
        connection.close()
    assert client.get("/api/v1/cases", headers=focal.auth).status_code == 200
