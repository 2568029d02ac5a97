"""Typed errors raised by services; backend.errors turns them into problem+json."""
from __future__ import annotations


class DomainError(Exception):
    """Base class: `status` is the HTTP status, `code` a machine-readable reason."""

    status = 400
    code = "bad_request"

    def __init__(self, detail: str, *, code: str | None = None, **extra):
        super().__init__(detail)
        self.detail = detail
        if code:
            self.code = code
        self.extra = extra


class NotFound(DomainError):
    """The object does not exist, or is outside the caller's scope (never reveal which)."""

    status = 404
    code = "not_found"


class Forbidden(DomainError):
    """The caller can see the object but may not do this to it."""

    status = 403
    code = "forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"


class Conflict(DomainError):
    status = 409
    code = "conflict"


class RuleViolation(DomainError):
    """Well-formed input that a business rule refuses."""

    status = 422
    code = "rule_violation"


class PayloadTooLarge(DomainError):
    status = 413
    code = "payload_too_large"


class UnsupportedMediaType(DomainError):
    status = 415
    code = "unsupported_media_type"


class TooManyRequests(DomainError):
    """Throttled; `retry_after` seconds tell the client when to try again."""

    status = 429
    code = "too_many_requests"

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None):
        super().__init__(detail, code=code)
        self.retry_after = max(1, int(retry_after))


def unknown_reference(field: str, what: str, *, code: str | None = None) -> RuleViolation:
    """A body field names an object that does not exist (or that the caller may not see):
    a 422 naming the field, checked before any insert — never a foreign-key violation."""
    message = f"No such {what}."
    return RuleViolation(message, code=code or "unknown_" + what.replace(" ", "_"), field=field,
                         errors={field: [message]})
