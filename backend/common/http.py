"""HTTP behaviour shared by every endpoint: request ids, size limits (URL, headers, chunked
bodies), media types, undeclared query parameters, security headers, CORS."""
from __future__ import annotations

from flask import Flask, Request, g, request
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream

from backend.common.blueprint import PAGINATION_PARAMETERS
from backend.common.problems import problem
from backend.common.request_context import begin_request, current_request_id

_ACCEPTS = "_foodgrid_accepts"
JSON_TYPES = ("application/json",)
BODY_METHODS = {"POST", "PUT", "PATCH"}
# Below gunicorn's own limits (limit_request_line, limit_request_field_size: 8190), so that
# the answer is ours (problem+json) rather than gunicorn's HTML.
MAX_URL_BYTES = 8000
MAX_HEADER_BYTES = 8000

API_CSP = "default-src 'none'; frame-ancestors 'none'"
# Swagger UI's page has an inline bootstrap script; its assets are served from here.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; frame-ancestors 'none'")


class _MaxBodyStream(LimitedStream):
    """A chunked body cut off at the maximum: werkzeug stops reading there in silence (and
    a truncated JSON body was answered 400); one byte more is a 413, exactly the maximum is not."""

    def __init__(self, stream, limit: int):
        super().__init__(stream, limit, is_max=True)

    def on_exhausted(self) -> None:
        if self._stream.read(1):
            raise RequestEntityTooLarge()

    def readall(self) -> bytes:
        data = super().readall()
        if self.is_exhausted:
            self.on_exhausted()
        return data


class BodyLimitedRequest(Request):
    """Flask's request, whose chunked bodies over `max_content_length` raise 413 while read."""

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if self.content_length is None and limit is not None and self.environ.get("wsgi.input_terminated"):
            return _MaxBodyStream(self.environ["wsgi.input"], limit)
        return super().stream


def accepts(*mimetypes: str):
    """Declare the request body types a view takes (default: JSON only)."""
    def decorator(func):
        setattr(func, _ACCEPTS, mimetypes)
        return func
    return decorator


def _handler(app: Flask):
    """The function that serves this request (a MethodView's method, or the view itself)."""
    view = app.view_functions.get(request.endpoint)
    view_class = getattr(view, "view_class", None)
    method = "get" if request.method == "HEAD" else request.method.lower()
    return getattr(view_class, method, None) if view_class else view


def _accepted_types(app: Flask) -> tuple[str, ...]:
    return getattr(_handler(app), _ACCEPTS, JSON_TYPES)


def _undeclared_query_parameters(app: Flask) -> list[str]:
    """Query parameters of an API view that declares none (flask-smorest records what a view
    takes in `_apidoc`; views with a query schema refuse unknown ones in the schema)."""
    apidoc = getattr(_handler(app), "_apidoc", None)
    if not request.args or apidoc is None:  # not an API view: docs, their assets
        return []
    parameters = (apidoc.get("arguments") or {}).get("parameters") or []
    if any(isinstance(p, dict) and p.get("in") in ("query", "querystring") for p in parameters):
        return []
    allowed = set(PAGINATION_PARAMETERS) if "pagination" in apidoc else set()
    return sorted(set(request.args) - allowed)


def _oversized_request():
    """An over-long URL (414) or header field (431), answered before anything reads them."""
    environ = request.environ
    url_bytes = len(environ.get("RAW_URI") or environ.get("PATH_INFO", "") + "?" + environ.get("QUERY_STRING", ""))
    if url_bytes > MAX_URL_BYTES:
        return problem(414, "uri_too_long", f"The URL is longer than {MAX_URL_BYTES} bytes; send filters in fewer "
                                            "or shorter parameters.")
    for name, value in request.headers.items():
        if len(name) + len(value) > MAX_HEADER_BYTES:
            return problem(431, "header_fields_too_large",
                           f"A header field is longer than {MAX_HEADER_BYTES} bytes.", field=name[:100])
    return None


def _has_body() -> bool:
    return bool(request.content_length) or "chunked" in request.headers.get("Transfer-Encoding", "").lower()


def init_http(app: Flask) -> None:
    """Request ids first, security headers on every answer, CORS only where configured."""
    app.request_class = BodyLimitedRequest

    @app.before_request
    def _start():
        g.request_id = begin_request(request.headers.get("X-Request-ID"))
        return _oversized_request()

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
    """JSON bodies only, unless a view declares otherwise (415); query parameters only
    where a view declares them (422). Runs after authentication."""

    @app.before_request
    def _refuse_undeclared_query():
        if request.endpoint and request.method != "OPTIONS":
            names = _undeclared_query_parameters(app)
            if names:
                return problem(422, "validation_error", "Unknown field." if len(names) == 1 else
                               "Request has invalid fields; see errors.",
                               errors={f"query.{name}": ["Unknown field."] for name in names})
        return None

    @app.before_request
    def _check_body_type():
        if request.method in BODY_METHODS and request.endpoint and _has_body():
            accepted = _accepted_types(app)
            mimetype = request.mimetype or ""
            if mimetype not in accepted and not (accepted == JSON_TYPES and mimetype.endswith("+json")):
                return problem(415, "unsupported_media_type",
                               f"Content-Type {mimetype or '(none)'} is not accepted here; send {', '.join(accepted)}.")
        return None
