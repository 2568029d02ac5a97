"""The one place the service asks for the time, so tests can freeze it."""
from datetime import datetime, timezone


def now() -> datetime:
    """Current time, timezone-aware, in UTC."""
    return datetime.now(timezone.utc)
