"""The ceiling tacase is measured against: Flask and SQLAlchemy Core with nothing else.

    BARE_DATABASE_URL=postgresql://... gunicorn -w 2 tests.benchmarks.bare_app:app

POST /insert inserts one row and commits; GET /rows reads the 50 most recently updated cases.
No authentication, validation, workflow, audit or mail: what the same server and database do
when an application does nothing but its one write or its one read.
"""

from __future__ import annotations

import datetime as dt
import os

from flask import Flask, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, text

from tacase.db.session import normalise_url

metadata = MetaData()
bench_rows = Table("bench_rows", metadata, Column("id", Integer, primary_key=True),
                   Column("body", String(300)), Column("created_at", DateTime(timezone=True)))


def create(url: str) -> Flask:
    engine = create_engine(normalise_url(url), pool_pre_ping=True)
    app = Flask("bare")

    @app.post("/insert")
    def insert_one():
        body = request.get_json(silent=True) or {}
        with engine.begin() as conn:
            row_id = conn.execute(insert(bench_rows).values(
                body=str(body.get("title", ""))[:300], created_at=dt.datetime.now(dt.UTC))
                .returning(bench_rows.c.id)).scalar_one()
        return jsonify({"id": row_id}), 201

    @app.get("/rows")
    def rows():
        with engine.connect() as conn:
            found = conn.execute(text(
                "SELECT reference, title, status, updated_at FROM cases ORDER BY updated_at DESC LIMIT 50"
            )).all()
        return jsonify([dict(r._mapping) for r in found])

    return app


def make_table(url: str) -> None:
    engine = create_engine(normalise_url(url))
    metadata.create_all(engine)
    engine.dispose()


app = create(os.environ["BARE_DATABASE_URL"]) if "BARE_DATABASE_URL" in os.environ else None
