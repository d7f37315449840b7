"""Where a request's time goes, in process: the profile behind bench_scale's figures.

    .venv/bin/python -m tests.benchmarks.profile_requests --url postgresql://postgres@127.0.0.1/scratch

Seeds a scratch PostgreSQL database as bench_scale does (smaller), builds the production app in this
process and sends a draft, a transition and a work-queue page many times each through Flask's test
client under cProfile. For each it prints the milliseconds a request takes and the share of its time
spent in each part of the stack (by the file of the function that ran: the database driver, the ORM,
SQLAlchemy Core, Flask and its extensions, marshmallow, tacase itself), then the functions of tacase
that cost most, with `-v`. Everything in the database is dropped first: name a scratch database.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import secrets
import tempfile
import time
from collections import defaultdict

import psycopg

from tests.benchmarks import scale_seed

BUCKETS = (  # the first that matches a function's file names its part of the stack
    ("the database driver (psycopg)", ("/psycopg/", "/psycopg_c/", "/psycopg_binary/")),
    ("the ORM (sqlalchemy.orm)", ("/sqlalchemy/orm/",)),
    ("SQLAlchemy Core and its SQL compiler", ("/sqlalchemy/",)),
    ("marshmallow and flask-smorest", ("/marshmallow/", "/flask_smorest/", "/webargs/")),
    ("Flask, Werkzeug, flask-login, Flask-Limiter, Jinja", ("/flask/", "/werkzeug/", "/flask_login/",
                                                           "/flask_limiter/", "/limits/", "/jinja2/",
                                                           "/flask_wtf/", "/flask_babel/", "/babel/")),
    ("tacase's audit chain (hashing, canonical JSON)", ("/tacase/audit/", "/rfc8785/")),
    ("tacase", ("/tacase/",)),
)


def bucket_of(filename: str) -> str:
    for name, markers in BUCKETS:
        if any(m in filename for m in markers):
            return name
    return "the rest (the standard library, json, logging)"


def profile(label: str, client, requests: int, call, verbose: bool) -> None:
    call(0)  # caches warm, the token's last use written
    profiler = cProfile.Profile()
    start = time.perf_counter()
    profiler.enable()
    for i in range(1, requests + 1):
        call(i)
    profiler.disable()
    elapsed = time.perf_counter() - start
    stats = pstats.Stats(profiler)
    own: dict[str, float] = defaultdict(float)
    functions: dict[str, float] = defaultdict(float)
    total = 0.0
    for (filename, line, name), (_, _, self_time, _, _) in stats.stats.items():
        own[bucket_of(filename)] += self_time
        total += self_time
        if "/tacase/" in filename:
            functions[f"{filename.split('/tacase/', 1)[1]}:{line} {name}"] += self_time
    print(f"\n{label}: {elapsed / requests * 1e3:.2f} ms a request (profiled; unprofiled is faster)")
    for name, spent in sorted(own.items(), key=lambda kv: -kv[1]):
        print(f"  {spent / total:6.1%}  {name}")
    if verbose:
        print("  tacase's own functions that cost most:")
        for name, spent in sorted(functions.items(), key=lambda kv: -kv[1])[:12]:
            print(f"    {spent / requests * 1e3:6.3f} ms  {name}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", required=True, help="a scratch PostgreSQL database (it is emptied)")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("-v", "--verbose", action="store_true")
    args = parser.parse_args()

    scale_seed.reset(args.url)
    people, versions = scale_seed.people_and_workflows(args.url)
    scale_seed.insert_cases(args.url, versions, count=args.cases, prefix="L")
    scale_seed.insert_cases(args.url, versions, count=args.requests + 1, prefix="T", status_sql="'submitted'",
                            state_sql="'FJI'", type_sql="'upr_fund'", due_sql="now() + interval '20 days'")
    scale_seed.audit_chain(args.url, 10_000)
    scale_seed.settle(args.url)
    with psycopg.connect(scale_seed._plain(args.url)) as conn:
        found = conn.execute("SELECT reference FROM cases WHERE reference LIKE 'T-%' ORDER BY id")
        refs = [r[0] for r in found]

    os.environ.update({"TACASE_CONFIG": "production", "TACASE_DATABASE_URL": args.url,
                       "TACASE_SECRET_KEY": secrets.token_hex(32),
                       "TACASE_DOCUMENTS_DIR": tempfile.mkdtemp(prefix="profile-documents-")})
    from tacase.web.app import create_app

    app = create_app()
    client = app.test_client()
    focal = {"Authorization": f"Bearer {people.focal_token}"}
    reviewer = {"Authorization": f"Bearer {people.reviewer_token}"}

    def expect(response, status: int) -> None:
        if response.status_code != status:
            raise SystemExit(f"{response.status_code}: {response.get_data(as_text=True)[:300]}")

    def draft(_: int) -> None:
        expect(client.post("/api/v1/cases", headers=focal,
                           json={"type": "upr_fund", "title": "Legal aid for remote islands"}), 201)

    def transition(i: int) -> None:
        expect(client.post(f"/api/v1/cases/{refs[i]}/transitions", headers=reviewer, json={
            "trigger": "return_to_state", "data": {"questions": "Please detail the budget."}}), 200)

    def queue(_: int) -> None:
        expect(client.get("/api/v1/cases?per_page=50", headers=reviewer), 200)

    for label, call in (("open a draft", draft), ("a transition", transition), ("the work queue", queue)):
        profile(label, client, args.requests, call, args.verbose)


if __name__ == "__main__":
    main()
