"""Request id for logs, audit rows and problem bodies.

Kept in a context variable (not flask.g) so services can stamp audit rows without
touching Flask; the app sets it at the start of each request.
"""
from __future__ import annotations

import re
import uuid
from contextvars import ContextVar

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:-]{8,64}$")


def begin_request(client_id: str | None) -> str:
    """Adopt the client's X-Request-ID when it is sane, otherwise make one."""
    request_id = client_id if client_id and _SAFE_ID.match(client_id) else uuid.uuid4().hex
    _request_id.set(request_id)
    return request_id


def current_request_id() -> str | None:
    return _request_id.get()
