"""Test set-up: a real PostGIS database, migrated once per session; each test in a
transaction that is rolled back (SQLAlchemy's "join a session into an external
transaction" recipe). Tests marked `committing` get real commits instead.

`--today=YYYY-MM-DD` (or FOODGRID_TEST_TODAY) runs the whole suite on another day: see
tests/timetravel.py. No test may depend on the real date."""
from __future__ import annotations

import os
import tempfile

import pytest
from flask_migrate import upgrade
from sqlalchemy import text

from backend import create_app
from backend.config import normalise_database_url
from backend.extensions import db, limiter
from seeds import load_regions
from tests import timetravel

pytest_plugins = ["tests.factories"]


def pytest_addoption(parser):
    parser.addoption("--today", default=os.environ.get(timetravel.ENV) or None, metavar="YYYY-MM-DD",
                     help="run the suite with the clock moved to this day (10:00 Asia/Shanghai) or RFC 3339 "
                          f"time, ticking; also ${timetravel.ENV}")


def pytest_configure(config):
    config.addinivalue_line("markers", "committing: the test commits for real (threads, several connections)")
    # The app's own secret is made on first start; the suite's goes to a throw-away folder.
    os.environ.setdefault("FOODGRID_SECRETS_DIR", tempfile.mkdtemp(prefix="foodgrid-test-secrets-"))
    timetravel.start_session(config.getoption("--today"))


def pytest_report_header(config):
    today = config.getoption("--today")
    return f"clock moved to {timetravel.parse_day(today).isoformat()} (--today)" if today else None


def database_url_for_tests() -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if not url:
        pytest.exit("TEST_DATABASE_URL is not set: run the suite with `make test`.", returncode=2)
    return normalise_database_url(url)


@pytest.fixture(scope="session")
def make_app(tmp_path_factory):
    """A new app on the test database, for tests that must set it up differently."""
    media = str(tmp_path_factory.mktemp("media"))
    # One audit key for the app and the `flask worker` processes tests start (they inherit the
    # environment); audit checkpoints in a scratch directory, never the developer's.
    env = pytest.MonkeyPatch()
    env.setenv("AUDIT_KEY", os.environ.get("AUDIT_KEY") or "test-only-audit-key-0123456789abcdef")
    env.setenv("AUDIT_CHECKPOINT_DIR", str(tmp_path_factory.mktemp("audit-checkpoints")))

    def make(**overrides):
        # No `flask worker` runs beside the tests: /readyz's worker check is off unless a test
        # turns it on (tests/test_health.py).
        return create_app({"SQLALCHEMY_DATABASE_URI": database_url_for_tests(), "TESTING": True,
                           "MEDIA_ROOT": media, "WORKER_STALE_S": 0,
                           # Per-process counters, reset before each test; the shared Redis
                           # storage has its own tests (tests/test_rate_limits.py).
                           "RATELIMIT_STORAGE_URI": "memory://", **overrides})

    yield make
    env.undo()


@pytest.fixture(scope="session")
def app(make_app):
    app = make_app()
    with app.app_context():
        with db.engine.begin() as connection:  # a clean slate, then the real migrations
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
        upgrade()
        load_regions()
        db.session.commit()
        db.session.remove()
    return app


@pytest.fixture(autouse=True)
def db_session(request, app):
    """Each test in its own outer transaction, rolled back at the end."""
    limiter.reset()
    if request.node.get_closest_marker("committing"):
        # No app context held open: each request (and each thread) gets its own, as in production.
        yield None
        return
    with app.app_context():
        connection = db.engine.connect()
        outer = connection.begin()
        factory = db.session.session_factory
        saved = dict(factory.kw)
        db.session.remove()
        factory.configure(bind=connection, join_transaction_mode="create_savepoint")
        try:
            yield db.session
        finally:
            db.session.remove()
            factory.kw.clear()
            factory.kw.update(saved)
            outer.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()
