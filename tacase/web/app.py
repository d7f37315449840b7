"""The Flask application factory."""

from __future__ import annotations

from flask import Flask, jsonify

from config import BaseConfig, load_config
from tacase import __version__
from tacase.db.session import make_engine, make_session_factory
from tacase.services.runtime import Runtime


def create_app(config: BaseConfig | None = None) -> Flask:
    config = config or load_config()
    app = Flask(__name__, instance_relative_config=False)
    app.config.from_mapping(config.as_flask_mapping())
    runtime = Runtime.from_config(config)
    engine = make_engine(config.DATABASE_URL, echo=config.SQL_ECHO)
    app.extensions["tacase"] = {
        "config": config,
        "runtime": runtime,
        "engine": engine,
        "sessions": make_session_factory(engine, runtime),
    }

    @app.get("/")
    def index():
        return jsonify({
            "name": "tacase",
            "version": __version__,
            "about": "Requests for human-rights technical assistance, handled on the record.",
            "request_types": [
                {"type": d.type, "title": d.title} for d in runtime.workflows.current.values()
            ],
        })

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app
