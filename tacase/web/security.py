"""Security headers on every response (OWASP secure headers), no-store on everything under /api but
the public record's data, which anyone may cache and read from any site."""

from __future__ import annotations

from flask import Flask, Response, request

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
# Swagger UI sets style attributes from its scripts; scripts stay 'self' only.
DOCS_CSP = CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")
STATIC_PREFIX = "/api/v1/docs/static/"
# The public record's data: the same for everyone, so caches may keep it and any site may read it.
PUBLIC_DATA_PREFIX = "/api/v1/public/"


def init_security_headers(app: Flask, *, hsts: bool) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        h = response.headers
        h.setdefault("Content-Security-Policy", DOCS_CSP if request.path.startswith("/api/v1/docs") else CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "no-referrer")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        public_data = request.path.startswith(PUBLIC_DATA_PREFIX)
        if public_data:
            h.setdefault("Access-Control-Allow-Origin", "*")  # no credentials: nothing but public data
        h.setdefault("Cross-Origin-Resource-Policy", "cross-origin" if public_data else "same-origin")
        h.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if hsts:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        if public_data:
            h.setdefault("Vary", "Accept-Language")
        elif request.path.startswith("/api/") and not request.path.startswith(STATIC_PREFIX):
            h["Cache-Control"] = "no-store"
            h.setdefault("Vary", "Cookie, Authorization")
        return response
