"""What the web pages cost, against a bare page doing the same first database read, in the same run.

    .venv/bin/python -m tests.benchmarks.bench_pages [--url URL] [--cases N]

In-process behind Werkzeug's test client, as a reviewer (bearer token, two-factor on):
  queue  GET /cases (25 cases sorted by due date, filters, labels, assignees, deadlines in words)
         against a bare route that selects 25 cases and renders them in a plain Jinja table
  case   GET /cases/{ref} (fields, actions with their guards, documents, comments, history read
         from the audit log, assignment) against the bare route rendering one case's row
  Each is also shown next to the JSON API's answer for the same thing.
Absolute times drift on shared machines; the ratios are the figures to compare.
"""

from __future__ import annotations

import pyotp
from flask import Flask, render_template_string
from sqlalchemy import select

from tacase.db.models import Case, User
from tacase.db.session import make_engine
from tacase.services import accounts, auth, cases, transitions
from tacase.services.actors import SYSTEM, Actor
from tacase.services.clock import utcnow
from tests.api.conftest import complete_fields
from tests.benchmarks.bench_api import arguments, scratch_app, timed

TABLE = ("<table>{% for c in rows %}<tr><td>{{ c.reference }}</td><td>{{ c.title }}</td>"
         "<td>{{ c.status }}</td><td>{{ c.due_at }}</td></tr>{% endfor %}</table>")


def bare_app(url: str) -> Flask:
    engine = make_engine(url)
    app = Flask("bare")

    @app.get("/cases")
    def queue():
        with engine.connect() as conn:
            rows = conn.execute(select(Case.reference, Case.title, Case.status, Case.due_at)
                                .order_by(Case.due_at.asc().nulls_last(), Case.id).limit(25)).all()
        return render_template_string(TABLE, rows=rows)

    @app.get("/cases/<reference>")
    def case(reference: str):
        with engine.connect() as conn:
            rows = conn.execute(select(Case.reference, Case.title, Case.status, Case.due_at)
                                .where(Case.reference == reference)).all()
        return render_template_string(TABLE, rows=rows)

    return app


def bench(url: str, n: int) -> dict[str, float]:
    app = scratch_app(url)
    sessions = app.extensions["tacase"]["sessions"]
    with sessions.begin() as s:
        focal = Actor.for_user(accounts.create_user(s, SYSTEM, utcnow, email="f@example.org",
                                                    roles=["state_focal_point"], state_code="FJI",
                                                    password=None))
        reviewer = accounts.create_user(s, SYSTEM, utcnow, email="r@example.org", roles=["reviewer"],
                                        password=None)
        reviewer.mfa_secret, reviewer.mfa_enabled = pyotp.random_base32(), True
        _, token = auth.create_token(s, Actor.for_user(reviewer), utcnow, name="bench", days=1)
        for _ in range(n):
            ref = cases.open_draft(s, focal, utcnow, type="upr_fund", fields=complete_fields()).reference
            transitions.fire_transition(s, focal, utcnow, ref, "submit")
    with sessions() as s:
        reference = s.scalar(select(Case.reference).order_by(Case.id).limit(1))
        assert s.scalar(select(User.mfa_enabled).where(User.email == "r@example.org"))
    headers = {"Authorization": f"Bearer {token}"}
    client, bare = app.test_client(), bare_app(url).test_client()

    def ok(response):
        assert response.status_code == 200, response.get_data(as_text=True)[:500]

    figures = {
        "queue_bare": timed([lambda: bare.get("/cases")] * n, ok),
        "queue_page": timed([lambda: client.get("/cases", headers=headers)] * n, ok),
        "queue_api": timed([lambda: client.get("/api/v1/cases?per_page=25&sort=due_at", headers=headers)] * n,
                           ok),
        "case_bare": timed([lambda: bare.get(f"/cases/{reference}")] * n, ok),
        "case_page": timed([lambda: client.get(f"/cases/{reference}", headers=headers)] * n, ok),
        "case_api": timed([lambda: client.get(f"/api/v1/cases/{reference}", headers=headers)] * n, ok),
    }
    app.extensions["tacase"]["engine"].dispose()
    return figures


def main() -> None:
    urls, cases = arguments(__doc__, 100)
    for url in urls:
        f = bench(url, cases)
        print(f"{url.split(':')[0]:<10} n={cases}")
        for what in ("queue", "case"):
            bare, page, api = f[f"{what}_bare"], f[f"{what}_page"], f[f"{what}_api"]
            print(f"  {what:<6} bare {bare:7.2f} ms   page {page:7.2f} ms   ratio {page / bare:5.1f}x   "
                  f"(JSON API {api:7.2f} ms)")


if __name__ == "__main__":
    main()
