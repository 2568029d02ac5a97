"""HTTP behaviour shared by every endpoint: request ids, media types, security headers, CORS."""
from __future__ import annotations

from flask import Flask, g, request

from backend.common.request_context import begin_request, current_request_id
from backend.errors import problem

_ACCEPTS = "_foodgrid_accepts"
JSON_TYPES = ("application/json",)
BODY_METHODS = {"POST", "PUT", "PATCH"}

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI's page has an inline bootstrap script; its assets are served from here.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'")


def accepts(*mimetypes: str):
    """Declare the request body types a view takes (default: JSON only)."""
    def decorator(func):
        setattr(func, _ACCEPTS, mimetypes)
        return func
    return decorator


def _accepted_types(app: Flask) -> tuple[str, ...]:
    view = app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    handler = getattr(view_class, request.method.lower(), None) if view_class else view
    return getattr(handler, _ACCEPTS, JSON_TYPES)


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def init_http(app: Flask) -> None:
    """Request ids first, security headers on every answer, CORS only where configured."""

    @app.before_request
    def _start():
        g.request_id = begin_request(request.headers.get("X-Request-ID"))

    @app.after_request
    def _headers(response):
        headers = response.headers
        headers["X-Request-ID"] = current_request_id() or ""
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "no-referrer")
        headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        is_docs = request.blueprint in ("api-docs", "docs_assets")
        headers.setdefault("Content-Security-Policy", DOCS_CSP if is_docs else API_CSP)
        if not is_docs:
            headers.setdefault("Cache-Control", "no-store")
        if app.config["HSTS_SECONDS"]:
            headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}; includeSubDomains")
        return response

    proxies = app.config["TRUSTED_PROXIES"]
    if proxies:  # behind a load balancer: the client's address (rate limits, audit) is in X-Forwarded-For
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)

    origins = app.config["CORS_ORIGINS"]
    if origins:
        from flask_cors import CORS

        CORS(app, resources={r"/api/*": {"origins": origins}},
             expose_headers=["ETag", "X-Pagination", "Retry-After", "X-Request-ID", "Location"])


def init_media_types(app: Flask) -> None:
    """JSON bodies only, unless a view declares otherwise (415). Runs after authentication."""

    @app.before_request
    def _check_body_type():
        if request.method in BODY_METHODS and request.endpoint and _has_body():
            accepted = _accepted_types(app)
            mimetype = request.mimetype or ""
            if mimetype not in accepted and not (accepted == JSON_TYPES and mimetype.endswith("+json")):
                return problem(415, "unsupported_media_type",
                               f"Content-Type {mimetype or '(none)'} is not accepted here; send {', '.join(accepted)}.")
        return None
