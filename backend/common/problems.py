"""RFC 9457 problem details: the type URIs, the media type and the builder of a
problem+json answer. On the lowest floor so that request hooks (http.py) and batch answers
(batch.py) build problems without importing the error handlers above them (backend/errors.py).
"""
from __future__ import annotations

import marshmallow as ma
from flask import Response, json, request

from backend.common.i18n import pick_language, title
from backend.common.request_context import current_request_id

PROBLEM_MIMETYPE = "application/problem+json"
TYPE_PREFIX = "urn:foodgrid:problem:"

HTTP_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 409: "conflict", 412: "precondition_failed",
    413: "payload_too_large", 414: "uri_too_long", 415: "unsupported_media_type", 422: "validation_error",
    428: "precondition_required", 429: "too_many_requests", 431: "header_fields_too_large",
    503: "database_unavailable",
}


def problem(status: int, code: str, detail: str | None = None, *, headers=None, **extra) -> Response:
    """Build a problem+json response; `code` picks the type URI and the localised title."""
    body = {
        "type": TYPE_PREFIX + code,
        "title": title(code, pick_language(request.accept_languages if request else None), HTTP_CODES.get(status)),
        "status": status,
        "code": code,
    }
    if detail:
        body["detail"] = detail
    body.update({k: v for k, v in extra.items() if v is not None})
    body["instance"] = request.path if request else None
    body["request_id"] = current_request_id()
    response = Response(json.dumps(body, ensure_ascii=False), status=status, mimetype=PROBLEM_MIMETYPE)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def flatten_errors(messages, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested error dict into `field.path -> [messages]`."""
    flat: dict[str, list[str]] = {}
    if isinstance(messages, dict):
        for key, value in messages.items():
            key = str(key)
            path = prefix if key == "_schema" else (f"{prefix}.{key}" if prefix else key)
            for sub_path, sub_messages in flatten_errors(value, path).items():
                flat.setdefault(sub_path, []).extend(sub_messages)
    elif isinstance(messages, list) and all(isinstance(m, str) for m in messages):
        flat[prefix or "body"] = list(messages)
    elif isinstance(messages, list):
        for index, value in enumerate(messages):
            flat.update(flatten_errors(value, f"{prefix}.{index}" if prefix else str(index)))
    else:
        flat[prefix or "body"] = [str(messages)]
    return flat


class ProblemSchema(ma.Schema):
    """RFC 9457 problem details, as every error response of this API (documentation only).

    Problems may carry extension members about their cause (e.g. `overlaps`, `problems`).
    """

    class Meta:
        unknown = ma.INCLUDE  # RFC 9457 §3.2: extension members

    type = ma.fields.String(metadata={"example": "urn:foodgrid:problem:validation_error"})
    title = ma.fields.String(metadata={"description": "Short summary, in the Accept-Language (zh-CN or en)"})
    status = ma.fields.Integer()
    detail = ma.fields.String()
    code = ma.fields.String(metadata={"description": "Machine-readable reason"})
    instance = ma.fields.String(metadata={"description": "Request path"})
    request_id = ma.fields.String()
    field = ma.fields.String(metadata={"description": "The input field a rule violation concerns"})
    errors = ma.fields.Dict(
        keys=ma.fields.String(), values=ma.fields.List(ma.fields.String()),
        metadata={"description": "Validation errors: field path -> messages"},
    )
