"""Interactive API documentation (Swagger UI) served from the installed package: no CDN."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, send_from_directory, url_for
from markupsafe import escape
from swagger_ui_bundle import swagger_ui_path

from tacase.web.api.common import API_PREFIX
from tacase.web.auth import public

blp = Blueprint("docs", __name__, url_prefix=f"{API_PREFIX}/docs")

_OWN = Path(__file__).resolve().parent.parent / "static" / "docs"
_BUNDLE_FILES = frozenset({"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                           "favicon-32x32.png", "favicon-16x16.png"})

_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>tacase API</title>
<link rel="stylesheet" href="{css}">
<link rel="icon" type="image/png" href="{icon}">
</head>
<body data-openapi="{openapi}">
<div id="swagger-ui"><noscript>The interactive documentation needs JavaScript; the OpenAPI document
is at <a href="{openapi}">{openapi}</a>.</noscript></div>
<script src="{bundle}"></script>
<script src="{preset}"></script>
<script src="{init}"></script>
</body>
</html>
"""


@blp.get("")
@public
def page() -> Response:
    def asset(name: str) -> str:
        return str(escape(url_for("docs.asset", filename=name)))
    html = _PAGE.format(
        css=asset("swagger-ui.css"), icon=asset("favicon-32x32.png"), bundle=asset("swagger-ui-bundle.js"),
        preset=asset("swagger-ui-standalone-preset.js"), init=asset("init.js"),
        openapi=escape(f"{API_PREFIX}/openapi.json"),
    )
    return Response(html, mimetype="text/html")


@blp.get("/static/<filename>")
@public
def asset(filename: str) -> Response:
    if filename == "init.js":
        return send_from_directory(_OWN, filename, max_age=3600)
    if filename not in _BUNDLE_FILES:
        abort(404)
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
