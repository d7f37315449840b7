"""HTTP-level speed: what the API costs compared with a bare Flask route doing the same database work.

    .venv/bin/python -m tests.benchmarks.bench_api [--url URL] [--cases N]

Both apps run in-process behind Werkzeug's test client (the same WSGI stack, no network), in the
same run, against the same database:
  list   GET /api/v1/cases?per_page=25 (bearer token, scoping, filters, counting, labels)
         against a bare route that selects 25 cases and returns them as JSON
  fire   POST /api/v1/cases/{ref}/transitions {"trigger": "submit"} (token, CSRF exemption,
         permission, guards, machine, deadline, audit append, one commit) against a bare route
         doing the UPDATE and the history INSERT with one commit
Absolute times drift on shared machines; the ratios are the figures to compare.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time

from flask import Flask, jsonify
from sqlalchemy import insert, select, update

from config import load_config
from tacase.db.base import Base
from tacase.db.models import Case, CaseTransition
from tacase.db.session import make_engine
from tacase.services import accounts, auth
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import utcnow
from tacase.web import create_app
from tests.api.conftest import complete_fields


def bare_app(url: str) -> Flask:
    engine = make_engine(url)
    app = Flask("bare")

    @app.get("/cases")
    def list_cases():
        with engine.connect() as conn:
            rows = conn.execute(select(Case.reference, Case.title, Case.status, Case.updated_at)
                                .order_by(Case.updated_at.desc()).limit(25)).all()
        return jsonify([dict(r._mapping) for r in rows])

    @app.post("/cases/<int:case_id>/submit")
    def submit(case_id: int):
        with engine.begin() as conn:
            conn.execute(update(Case).where(Case.id == case_id)
                         .values(status="submitted", version=Case.version + 1))
            conn.execute(insert(CaseTransition).values(
                case_id=case_id, trigger="submit", from_state="draft", to_state="submitted",
                actor_id=None, at=dt.datetime.now(dt.UTC), record={}, seconds_in_state=0.0))
        return jsonify({"ok": True})

    return app


def timed(calls, check) -> float:
    start = time.perf_counter()
    for call in calls:
        check(call())
    return (time.perf_counter() - start) / len(calls) * 1000


def scratch_app(url: str) -> Flask:
    """The app on empty tables made afresh: the URL must name a scratch database."""
    engine = make_engine(url)
    Base.metadata.drop_all(engine)
    Base.metadata.create_all(engine)
    engine.dispose()
    return create_app(load_config("testing", environ={"TACASE_DATABASE_URL": url}))


def arguments(doc: str, cases: int) -> tuple[list[str], int]:
    """The database URLs (a temporary SQLite file unless given) and the number of cases."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--url", action="append", help="database URL (repeatable); a scratch one")
    parser.add_argument("--cases", type=int, default=cases)
    args = parser.parse_args()
    return args.url or [f"sqlite:///{os.path.join(tempfile.mkdtemp(), 'bench.sqlite3')}"], args.cases


def bench(url: str, n: int) -> dict[str, float]:
    app = scratch_app(url)
    sessions = app.extensions["tacase"]["sessions"]
    with sessions.begin() as s:
        user = accounts.create_user(s, SYSTEM, utcnow, email="f@example.org", roles=["state_focal_point"],
                                    state_code="FJI", password=None)
        _, token = auth.create_token(s, Actor.for_user(user), utcnow, name="bench", days=1)
    headers = {"Authorization": f"Bearer {token}"}
    client = app.test_client()
    refs = [client.post("/api/v1/cases", json={"type": "upr_fund", **complete_fields()}, headers=headers)
            .get_json()["reference"] for _ in range(2 * n)]
    with sessions() as s:
        ids = dict(s.execute(select(Case.reference, Case.id)).all())
    bare = bare_app(url).test_client()

    def ok(response):
        assert response.status_code == 200, response.get_data(as_text=True)

    figures = {
        "list_bare": timed([lambda: bare.get("/cases")] * n, ok),
        "list_api": timed([lambda: client.get("/api/v1/cases?per_page=25", headers=headers)] * n, ok),
        "fire_bare": timed([lambda r=r: bare.post(f"/cases/{ids[r]}/submit") for r in refs[:n]], ok),
        "fire_api": timed([lambda r=r: client.post(f"/api/v1/cases/{r}/transitions", headers=headers,
                                                   json={"trigger": "submit"}) for r in refs[n:]], ok),
    }
    app.extensions["tacase"]["engine"].dispose()
    return figures


def main() -> None:
    urls, cases = arguments(__doc__, 200)
    for url in urls:
        f = bench(url, cases)
        print(f"{url.split(':')[0]:<10} n={cases}")
        print(f"  list 25   bare {f['list_bare']:7.2f} ms   api {f['list_api']:7.2f} ms   "
              f"ratio {f['list_api'] / f['list_bare']:.1f}x")
        print(f"  fire      bare {f['fire_bare']:7.2f} ms   api {f['fire_api']:7.2f} ms   "
              f"ratio {f['fire_api'] / f['fire_bare']:.1f}x")


if __name__ == "__main__":
    main()
