"""What tacase is measured against: Flask and SQLAlchemy Core with nothing else.

    BARE_DATABASE_URL=postgresql://... gunicorn -w 2 tests.benchmarks.bare_app:app

The ceiling: POST /insert inserts one row and commits; GET /rows reads the 50 most recently updated
cases. No authentication, validation, workflow, audit or mail: what the same server and database do
when an application does nothing but its one write or its one read.

The floor: POST /floor/cases, POST /floor/cases/<ref>/return and GET /floor/cases send, in plain
SQL, the statements tacase cannot skip for a draft, a transition and the work queue (the token
read, the reference counter, the rows, the notifications, the audit event under the chain's lock;
the audit log's head, which tells whether the bounded total counted before still holds, the page,
the flags of its steps), and nothing else: no ORM, no validation, no
workflow engine, no links or labels in the answer. tacase against the floor is what its
code costs; the floor against the ceiling is what the work itself costs.

The public record's ceiling (bench_public): without sign-in, the same rows as tacase's public
answers read, rendered by a Jinja page (/public/record, /public/record/<ref>, /public/statistics)
or as JSON (/public/api/cases, /public/api/cases/<ref>, /public/api/statistics): 25 published
cases, newest first; one published case and its steps; one snapshot row (?name=, by default
"timeliness").
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os

from flask import Flask, abort, jsonify, request
from sqlalchemy import Column, DateTime, Integer, MetaData, String, Table, create_engine, insert, text

from tacase.audit.canonical import canonical_bytes, format_instant
from tacase.audit.chain import GENESIS, link_hash
from tacase.db.session import normalise_url

metadata = MetaData()
bench_rows = Table("bench_rows", metadata, Column("id", Integer, primary_key=True),
                   Column("body", String(300)), Column("created_at", DateTime(timezone=True)))

_CHAIN_LOCK = 0x7461636173650001  # the audit chain's lock, as tacase.audit.store takes it

_TOKEN = text("""SELECT u.id, u.state_code FROM api_tokens t JOIN users u ON u.id = t.user_id
                 WHERE t.token_hash = :hash AND t.revoked_at IS NULL AND t.expires_at > :now""")
_VERSION = text("SELECT id FROM workflow_versions WHERE type = :type ORDER BY version DESC LIMIT 1")
_COUNTER = text("""INSERT INTO reference_counters (prefix, year, last) VALUES ('FLR', :year, 1)
                   ON CONFLICT (prefix, year) DO UPDATE SET last = reference_counters.last + 1
                   RETURNING last""")
_NEW_CASE = text("""INSERT INTO cases (reference, type, workflow_version_id, state_code, status, title,
    objectives, activities, expected_results, recipient_institutions, sdg_targets, themes,
    consent_to_publish, extra, created_by_id, created_at, updated_at, step_started_at, version)
    VALUES (:reference, :type, :version_id, :state, 'draft', :title, '', '', '[]', '[]', '[]', '[]',
            false, '{}', :user, :now, :now, :now, 1) RETURNING id""")
_CASE = text("""SELECT c.id, c.status, c.version, c.state_code, c.step_started_at, w.sha256
                FROM cases c JOIN workflow_versions w ON w.id = c.workflow_version_id
                WHERE c.reference = :reference""")
_RECOMMENDATIONS = text("SELECT * FROM case_recommendations WHERE case_id = :id ORDER BY position")
_CLOSURES = text("SELECT day FROM calendar_closures WHERE day BETWEEN :start AND :end")
_RETURN = text("""UPDATE cases SET status = 'returned', version = version + 1, updated_at = :now,
    step_started_at = :now, due_at = :due, remind_at = :due, next_attention_at = :due, due_party = 'state'
    WHERE id = :id AND version = :version""")
_TRANSITION = text("""INSERT INTO case_transitions (case_id, trigger, from_state, to_state, actor_id, at,
    record, seconds_in_state) VALUES (:id, 'return_to_state', :from_state, 'returned', :user, :now,
    :record, 0)""")
_FOCAL_POINTS = text("""SELECT u.id, u.email FROM users u JOIN user_roles r ON r.user_id = u.id
                        WHERE u.state_code = :state AND r.role = 'state_focal_point'""")
_NOTIFY = text("""INSERT INTO notifications (user_id, case_id, kind, title, facts, created_at)
                  VALUES (:user, :id, 'returned', :title, :facts, :now)""")
_MAIL = text("""INSERT INTO outbox_messages (created_at, recipient_id, to_address, subject, facts, kind,
    case_id, status, attempts, next_attempt_at) VALUES (:now, :user, :email, :title, :facts, 'returned',
    :id, 'pending', 0, :now)""")
_COUNT = text("SELECT count(*) FROM (SELECT id FROM cases LIMIT 10001) AS bounded")
_QUEUE = text("""SELECT id, reference, type, state_code, status, title, assignee_id, created_at, updated_at,
    submitted_at, closed_at, due_at, due_party, paused_state, version, workflow_version_id, step_started_at
    FROM cases ORDER BY updated_at DESC, id DESC LIMIT 51""")
_STEP_EVENTS = text("""SELECT e.case_id, e.kind, e.at FROM deadline_events e
    JOIN unnest(CAST(:ids AS integer[]), CAST(:started AS timestamptz[])) AS s(case_id, started)
    ON e.case_id = s.case_id AND e.step_started_at = s.started""")
_PUBLISHED = "consent_to_publish AND submitted_at IS NOT NULL"  # the published-cases indexes' condition
_PUBLIC_PAGE = text(f"""SELECT reference, type, state_code, status, title, submitted_at, closed_at
    FROM cases WHERE {_PUBLISHED} ORDER BY submitted_at DESC, id DESC LIMIT 25""")
_PUBLIC_CASE = text(f"""SELECT id, reference, type, state_code, status, title, objectives, activities,
    submitted_at, closed_at FROM cases WHERE reference = :reference AND {_PUBLISHED}""")
_PUBLIC_STEPS = text("""SELECT trigger, from_state, to_state, at, record FROM case_transitions
    WHERE case_id = :id ORDER BY at, id""")
_SNAPSHOT = text("SELECT name, built_at, body FROM public_snapshots WHERE name = :name")
_LAYOUT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{{ title }}</title></head>
<body><header><h1>{{ title }}</h1></header><main>{% block main %}{% endblock %}</main></body></html>"""
_RECORD_HTML = _LAYOUT.replace("{% block main %}{% endblock %}", """<table>
{% for c in rows %}<tr><td><a href="/public/record/{{ c.reference }}">{{ c.reference }}</a></td>
<td>{{ c.title }}</td><td>{{ c.state_code }}</td><td>{{ c.type }}</td><td>{{ c.status }}</td>
<td>{{ c.submitted_at.date() }}</td><td>{{ c.closed_at.date() if c.closed_at else "" }}</td></tr>
{% endfor %}</table>""")
_CASE_HTML = _LAYOUT.replace("{% block main %}{% endblock %}", """<dl>
<dt>Reference</dt><dd>{{ case.reference }}</dd><dt>State</dt><dd>{{ case.state_code }}</dd>
<dt>Status</dt><dd>{{ case.status }}</dd><dt>Objectives</dt><dd>{{ case.objectives }}</dd>
<dt>Activities</dt><dd>{{ case.activities }}</dd>
<dt>Submitted</dt><dd>{{ case.submitted_at.date() }}</dd></dl>
<ol>{% for s in steps %}<li>{{ s.to_state }} on {{ s.at.date() }}
{% for k, v in s.record.items() %}<span>{{ k }}: {{ v }}</span>{% endfor %}</li>{% endfor %}</ol>""")
_STATISTICS_HTML = _LAYOUT.replace("{% block main %}{% endblock %}", """{% macro show(value) -%}
{% if value is mapping %}<table>{% for k, v in value.items() %}<tr><th>{{ k }}</th><td>{{ show(v) }}</td></tr>
{% endfor %}</table>{% elif value is iterable and value is not string %}<ul>{% for v in value %}
<li>{{ show(v) }}</li>{% endfor %}</ul>{% else %}{{ value }}{% endif %}
{%- endmacro %}<p>As of {{ row.built_at if row else "never" }}</p>{{ show(row.body if row else {}) }}""")

_LOCK = text("SELECT pg_advisory_xact_lock(:key)")
_HEAD = text("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
_APPEND = text("""INSERT INTO audit_events (seq, at, actor_id, action, case_id, prev_hash, hash, body)
                  VALUES (:seq, :at, :actor_id, :action, :case_id, :prev_hash, :hash, :body)""")


def _caller(conn, now: dt.datetime):
    plain = request.headers.get("Authorization", "").removeprefix("Bearer ")
    found = conn.execute(_TOKEN, {"hash": hashlib.sha256(plain.encode()).hexdigest(), "now": now}).first()
    if found is None:
        abort(401)
    return found


def _append(conn, now: dt.datetime, user: int, action: str, case: dict, data: dict) -> None:
    conn.execute(_LOCK, {"key": _CHAIN_LOCK})
    head = conn.execute(_HEAD).first()
    seq, prev = (head.seq + 1, head.hash) if head else (1, GENESIS)
    body = canonical_bytes({"seq": seq, "at": format_instant(now), "actor": {"id": user, "type": "user"},
                            "action": action, "case": case, "data": data})
    conn.execute(_APPEND, {"seq": seq, "at": now, "actor_id": user, "action": action, "case_id": case["id"],
                           "prev_hash": prev, "hash": link_hash(prev, body), "body": body})


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

    @app.post("/floor/cases")
    def floor_draft():
        body = request.get_json(silent=True) or {}
        now = dt.datetime.now(dt.UTC)
        with engine.begin() as conn:
            user = _caller(conn, now)
            version_id = conn.execute(_VERSION, {"type": body.get("type")}).scalar_one()
            number = conn.execute(_COUNTER, {"year": now.year}).scalar_one()
            reference = f"FLR-{now.year}-{number:07d}"
            case_id = conn.execute(_NEW_CASE, {
                "reference": reference, "type": body.get("type"), "version_id": version_id,
                "state": user.state_code, "title": str(body.get("title", ""))[:300], "user": user.id,
                "now": now}).scalar_one()
            case = {"id": case_id, "reference": reference, "state": user.state_code}
            _append(conn, now, user.id, "case.create", case, {"status": "draft"})
        return jsonify({"reference": reference}), 201

    @app.post("/floor/cases/<reference>/return")
    def floor_transition(reference: str):
        body = request.get_json(silent=True) or {}
        now = dt.datetime.now(dt.UTC)
        due = now + dt.timedelta(days=14)
        with engine.begin() as conn:
            user = _caller(conn, now)
            case = conn.execute(_CASE, {"reference": reference}).first()
            if case is None or case.status != "submitted":
                abort(409)
            conn.execute(_RECOMMENDATIONS, {"id": case.id}).all()
            conn.execute(_CLOSURES, {"start": now.date(), "end": due.date()}).all()
            changed = conn.execute(_RETURN, {"id": case.id, "version": case.version, "now": now, "due": due})
            if changed.rowcount != 1:
                abort(409)
            record = json.dumps(body.get("data") or {})
            conn.execute(_TRANSITION, {"id": case.id, "from_state": case.status, "user": user.id, "now": now,
                                       "record": record})
            title = f"{reference} was returned to you"
            facts = json.dumps({"kind": "returned", "reference": reference, "due": format_instant(due)})
            for person in conn.execute(_FOCAL_POINTS, {"state": case.state_code}).all():
                values = {"user": person.id, "email": person.email, "id": case.id, "title": title,
                          "facts": facts, "now": now}
                conn.execute(_NOTIFY, values)
                conn.execute(_MAIL, values)
            _append(conn, now, user.id, "case.transition", {"id": case.id, "reference": reference,
                                                            "state": case.state_code},
                    {"trigger": "return_to_state", "from": case.status, "to": "returned"})
        return jsonify({"reference": reference, "status": "returned"})

    kept_totals: dict[tuple, int] = {}  # by the audit log's head, as tacase keeps its lists' totals

    @app.get("/floor/cases")
    def floor_queue():
        with engine.connect() as conn:
            _caller(conn, dt.datetime.now(dt.UTC))
            head = tuple(conn.execute(_HEAD).first() or ())
            total = kept_totals.get(head)
            if total is None:
                total = conn.execute(_COUNT).scalar_one()
                kept_totals.clear()
                kept_totals[head] = total
            found = conn.execute(_QUEUE).all()[:50]
            flags: dict[int, dict[str, str]] = {}
            for event in conn.execute(_STEP_EVENTS, {"ids": [r.id for r in found],
                                                     "started": [r.step_started_at for r in found]}):
                flags.setdefault(event.case_id, {})[event.kind] = event.at.isoformat()
        items = [{**{k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in r._mapping.items()},
                  "flags": flags.get(r.id, {})} for r in found]
        return jsonify({"items": items, "total": total})

    # Compiled once, as Flask's template loader caches a page's template.
    record_html, case_html, statistics_html = (app.jinja_env.from_string(source) for source in (
        _RECORD_HTML, _CASE_HTML, _STATISTICS_HTML))

    @app.get("/public/record")
    def public_record_page():
        with engine.connect() as conn:
            found = conn.execute(_PUBLIC_PAGE).all()
        return record_html.render(title="Record of cooperation", rows=found)

    @app.get("/public/api/cases")
    def public_cases():
        with engine.connect() as conn:
            found = conn.execute(_PUBLIC_PAGE).all()
        return jsonify({"items": [_plain_row(r) for r in found], "page": 1})

    def published(reference: str):
        with engine.connect() as conn:
            case = conn.execute(_PUBLIC_CASE, {"reference": reference}).first()
            if case is None:
                abort(404)
            return case, conn.execute(_PUBLIC_STEPS, {"id": case.id}).all()

    @app.get("/public/record/<reference>")
    def public_case_page(reference: str):
        case, steps = published(reference)
        return case_html.render(title=case.title, case=case, steps=steps)

    @app.get("/public/api/cases/<reference>")
    def public_case(reference: str):
        case, steps = published(reference)
        return jsonify({**_plain_row(case), "steps": [_plain_row(s) for s in steps]})

    def snapshot():
        with engine.connect() as conn:
            return conn.execute(_SNAPSHOT, {"name": request.args.get("name", "timeliness")}).first()

    @app.get("/public/statistics")
    def public_statistics_page():
        return statistics_html.render(title="Processing times", row=snapshot())

    @app.get("/public/api/statistics")
    def public_statistics():
        row = snapshot()
        return jsonify({"built_at": row.built_at.isoformat(), **row.body} if row else {})

    return app


def _plain_row(row) -> dict:
    return {k: v.isoformat() if isinstance(v, dt.datetime) else v for k, v in row._mapping.items()}


def make_table(url: str) -> None:
    engine = create_engine(normalise_url(url))
    metadata.create_all(engine)
    engine.dispose()


app = create(os.environ["BARE_DATABASE_URL"]) if "BARE_DATABASE_URL" in os.environ else None
