"""Every error leaves in one JSON shape: {"code", "message", "errors"?, ...details}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from markupsafe import escape
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException

from tacase.services.auth import LoginFailed
from tacase.services.errors import (
    Conflict,
    Forbidden,
    GuardFailed,
    NotFound,
    ServiceError,
    StaleVersion,
    TooLarge,
    TransitionNotAllowed,
    UnsupportedType,
    ValidationFailed,
)

log = logging.getLogger(__name__)

_CODES = {400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
          405: "method_not_allowed", 406: "not_acceptable", 409: "conflict",
          412: "precondition_failed", 413: "payload_too_large", 415: "unsupported_media_type",
          422: "validation_failed", 428: "precondition_required", 429: "rate_limited",
          500: "internal_error", 503: "unavailable"}
# Seconds a client is asked to wait when the database is out of reach.
RETRY_AFTER_UNAVAILABLE = 5


class ApiError(Exception):
    """Raised by handlers for an HTTP error with a chosen code and optional details."""

    def __init__(self, status: int, message: str, code: str | None = None,
                 headers: dict[str, str] | None = None, **details: Any) -> None:
        super().__init__(message)
        self.status, self.message = status, message
        self.code = code or _CODES.get(status, "error")
        self.headers, self.details = headers or {}, details


def error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None, /,
                   **details: Any):
    # Positional-only: a detail may be called `status` (the case's status, on 409).
    body = {"code": code, "message": message, **{k: v for k, v in details.items() if v is not None}}
    response = jsonify(body)
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def N_(text: str) -> str:
    """Marks text for the catalogs; translated when shown."""
    return text


# Titles of the HTML error pages; the message under it comes from the error itself.
_PAGE_TITLES = {
    400: N_("The request could not be understood"), 401: N_("Please sign in"),
    403: N_("Not open to your account"), 404: N_("Page not found"), 405: N_("Not allowed here"),
    409: N_("This could not be done now"), 413: N_("Too large"), 415: N_("File type not accepted"),
    422: N_("Some fields are not valid"), 429: N_("Too many attempts"),
    500: N_("Something went wrong on our side"), 503: N_("The service is busy or restarting"),
}
_PAGE_MESSAGES = {413: N_("What was sent is larger than this site accepts."),
                  404: N_("There is no such page, or it is not open to your account."),
                  500: N_("The error was logged. Please try again later."),
                  503: N_("Nothing was saved. Please wait a few seconds and try again.")}


def _wants_page() -> bool:
    """Browsers' pages get HTML errors; the API, health checks and static files keep JSON."""
    try:
        path = request.path
    except RuntimeError:  # pragma: no cover - outside a request
        return False
    return not path.startswith(("/api/", "/healthz", "/static/")) and path != "/api"


def _page(response):
    """The same error as an HTML page, for a person: its status, headers and message kept."""
    if not _wants_page():
        return response
    from flask_babel import gettext

    body = response.get_json(silent=True) or {}
    status = response.status_code
    title = gettext(_PAGE_TITLES.get(status, "Something went wrong"))
    message = gettext(_PAGE_MESSAGES.get(status) or body.get("message") or title)
    try:
        page = render_template("web/error.html", title=title, message=message)
    except Exception:
        # The layout reads the signed-in user, which needs the database that may be what failed.
        log.warning("the error page could not be drawn; answering a plain one", exc_info=True)
        page = (f"<!doctype html><html lang=\"en\"><title>{escape(title)}</title>"
                f"<h1>{escape(title)}</h1><p>{escape(message)}</p></html>")
    html = Flask.response_class(page, status=status, mimetype="text/html")
    for name, value in response.headers.items():
        if name.lower() not in ("content-type", "content-length"):
            html.headers[name] = value
    return html


def _flatten(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """webargs' nested {"json": {"data": {"x": [...]}}} as {"data.x": [...]}."""
    out: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            name = str(key) if not prefix else f"{prefix}.{key}"
            if isinstance(value, list) and all(isinstance(v, str) for v in value):
                out[name] = value
            else:
                out.update(_flatten(value, name))
    elif isinstance(messages, list):
        out[prefix or "_schema"] = [str(m) for m in messages]
    else:
        out[prefix or "_schema"] = [str(messages)]
    return out


def _service_error(exc: ServiceError):
    if isinstance(exc, ValidationFailed):
        return error_response(422, exc.code, "some fields are not valid", errors=exc.errors)
    if isinstance(exc, NotFound):
        return error_response(404, exc.code, str(exc))
    if isinstance(exc, Forbidden):
        return error_response(403, exc.code, str(exc))
    if isinstance(exc, TransitionNotAllowed):
        return error_response(409, exc.code, str(exc), status=exc.status, allowed=exc.allowed)
    if isinstance(exc, GuardFailed):
        return error_response(409, exc.code, str(exc), guards=[
            {"guard": name, "reason": why} for name, why in exc.failures])
    if isinstance(exc, StaleVersion):
        return error_response(412, exc.code, "the case has changed since you read it; GET it again and retry",
                              current_version=exc.current_version, current_status=exc.current_status)
    if isinstance(exc, Conflict):
        return error_response(409, exc.code, str(exc), current_version=exc.current_version,
                              current_status=exc.current_status)
    if isinstance(exc, UnsupportedType):
        return error_response(415, exc.code, str(exc))
    if isinstance(exc, TooLarge):
        return error_response(413, exc.code, str(exc))
    if isinstance(exc, LoginFailed):
        return error_response(401, exc.reason, str(exc))
    return error_response(400, exc.code, str(exc))


def _http_error(exc: HTTPException):
    status = exc.code or 500
    headers = {k: v for k, v in exc.get_headers() if k.lower() not in ("content-type", "content-length")}
    data = getattr(exc, "data", None) or {}
    messages = data.get("messages")
    if status == 400 and messages and "json" in messages and not isinstance(messages["json"], dict):
        return error_response(400, "malformed_json", "the request body is not valid JSON", headers)
    if status == 422 and messages:
        errors: dict[str, list[str]] = {}
        for fields in messages.values():  # json, query, headers: the field names say enough
            errors.update(_flatten(fields))
        return error_response(422, "validation_failed", "some fields are not valid", headers, errors=errors)
    message = exc.description or exc.name
    if status == 413:
        message = "the request body is too large"
    return error_response(status, _CODES.get(status, exc.name.lower().replace(" ", "_")), message, headers)


def _database_unavailable(exc: Exception):
    """The database went away (a backend terminated, a restart, a full pool): nothing was committed,
    and the same request will work again in a moment."""
    log.warning("database unavailable: %s", exc)
    return error_response(503, "unavailable", "the database cannot be reached just now; nothing was "
                          f"saved; try again in {RETRY_AFTER_UNAVAILABLE} seconds",
                          {"Retry-After": str(RETRY_AFTER_UNAVAILABLE)})


def _unavailable(exc: BaseException) -> bool:
    if isinstance(exc, sa_exc.DBAPIError):
        return exc.connection_invalidated or isinstance(exc, sa_exc.OperationalError | sa_exc.InterfaceError)
    return isinstance(exc, sa_exc.TimeoutError | sa_exc.DisconnectionError)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(ServiceError, lambda e: _page(_service_error(e)))
    app.register_error_handler(
        ApiError, lambda e: _page(error_response(e.status, e.code, e.message, e.headers, **e.details)))
    app.register_error_handler(
        CSRFError, lambda e: _page(error_response(
            403, "csrf_failed", f"{e.description} Send the token from the login answer in X-CSRFToken.")))
    app.register_error_handler(HTTPException, lambda e: _page(_http_error(e)))

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        if _unavailable(exc):
            return _page(_database_unavailable(exc))
        log.exception("unhandled error")
        return _page(error_response(500, "internal_error", "something went wrong on our side; it was logged"))
