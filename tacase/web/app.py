"""The Flask application factory."""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify
from flask_smorest import Api

from config import BaseConfig, load_config
from tacase import __version__
from tacase.db.session import make_engine, make_session_factory
from tacase.services.clock import Clock, utcnow
from tacase.services.list_memory import ListMemory
from tacase.services.runtime import Runtime
from tacase.web import public_answers
from tacase.web.api import (
    audit,
    auth,
    calendar,
    call_authoring,
    call_results,
    calls,
    cases,
    docs,
    documents,
    notifications,
    reference,
    tokens,
    users,
)
from tacase.web.api import public as public_api
from tacase.web.api import public_calls as _public_calls  # noqa: F401  (routes on the public API)
from tacase.web.api import public_data as public_data_api
from tacase.web.api import public_statistics as _public_statistics  # noqa: F401  (routes on the public API)
from tacase.web.api.common import API_PREFIX, document_shared_answers
from tacase.web.api.examples import ExamplesPlugin
from tacase.web.api.fields import document_fields, document_request_bodies, field_choices
from tacase.web.api.schemas import ErrorSchema
from tacase.web.auth import init_auth, public
from tacase.web.context import close_db
from tacase.web.errors import register_error_handlers
from tacase.web.i18n import init_i18n
from tacase.web.input_guard import screen_request
from tacase.web.json_body import JSONProvider
from tacase.web.request import Request
from tacase.web.security import init_security_headers
from tacase.web.views import bp as web_pages
from tacase.web.views.present import init_presenters
from tacase.web.views.public_data import downloads as public_downloads

API_DESCRIPTION = """\
Requests from UN Member States for human-rights advisory services, technical cooperation and
grants, handled on the record.

**Authentication.** Either sign in with `POST /auth/login` (a session cookie; send the returned
`csrf_token` in `X-CSRFToken` on every write) or create a personal token with `POST /tokens` and
send `Authorization: Bearer <token>`. Staff and Board accounts need two-factor authentication.

**Errors** share one shape: `{"code", "message", "errors"}`, `errors` naming the fields at fault.

**Concurrency.** `GET /cases/{reference}` returns an `ETag`; send it in `If-Match` to change the
case. `POST /cases` honours `Idempotency-Key`.
"""


class TacaseApi(Api):
    ERROR_SCHEMA = ErrorSchema


def _api_config(app: Flask) -> None:
    app.config.update(
        API_TITLE="tacase", API_VERSION=__version__, OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX=API_PREFIX, OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": API_DESCRIPTION},
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        },
    )


def create_app(config: BaseConfig | None = None, *, clock: Clock | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__, instance_relative_config=False)
    app.request_class = Request
    app.config.from_mapping(config.as_flask_mapping())
    app.json = JSONProvider(app)
    app.json.sort_keys = False
    runtime = Runtime.from_config(config)
    engine = make_engine(config.DATABASE_URL, echo=config.SQL_ECHO)
    app.extensions["tacase"] = {
        "config": config,
        "runtime": runtime,
        "engine": engine,
        "sessions": make_session_factory(engine, runtime),
        "clock": clock or utcnow,
        "list_memory": (ListMemory(config.LIST_MEMORY_ENTRIES, config.LIST_MEMORY_SECONDS)
                        if config.LIST_MEMORY_ENTRIES else None),
    }
    register_error_handlers(app)
    app.before_request(documents.allow_upload_size)  # before the gate, which may read the form
    init_auth(app)
    app.before_request(screen_request)  # after the authentication gate
    init_security_headers(app, hsts=bool(config.SESSION_COOKIE_SECURE))
    app.teardown_appcontext(close_db)

    _api_config(app)
    api = TacaseApi(app, spec_kwargs={"extra_plugins": [ExamplesPlugin()]})
    app.extensions["tacase"]["field_choices"] = choices = field_choices(runtime)
    document_fields(api, choices)
    document_shared_answers(api)
    document_request_bodies(api, runtime)
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme(
        "cookieAuth", {"type": "apiKey", "in": "cookie", "name": config.SESSION_COOKIE_NAME})
    public_answers.install(app)
    public_api.limit_per_address(app)
    public_data_api.limit_per_address(app)
    for module in (auth, tokens, cases, calls, call_authoring, documents, audit, reference, users, calendar,
                   notifications, call_results, public_api, public_data_api):
        api.register_blueprint(module.blp)
    register_error_handlers(app)  # again: flask-smorest installed its own, which drops headers
    app.register_blueprint(docs.blp)
    init_i18n(app)
    init_presenters(app)
    app.register_blueprint(web_pages)  # the pages for browsers, "/" included
    app.register_blueprint(public_downloads)  # the public record's files, which caches may keep

    @app.get(API_PREFIX)
    @public
    def index() -> Any:
        return jsonify({
            "name": "tacase",
            "version": __version__,
            "about": "Requests for human-rights technical assistance, handled on the record.",
            "api": f"{API_PREFIX}/docs",
            "request_types": [
                {"type": d.type, "title": d.title} for d in runtime.workflows.current.values()
            ],
        })

    @app.get("/healthz")
    @public
    def healthz() -> Any:
        return jsonify({"status": "ok"})

    return app
