import time

import pytest
from flask import Blueprint
from sqlalchemy import text

from backend.auth.guard import public
from backend.extensions import db
from tests.helpers import assert_problem

OTHER_APP_CONNECTIONS = ("datname = current_database() AND application_name = 'foodgrid' "
                         "AND pid <> pg_backend_pid()")


def test_healthz(client):
    assert client.get("/healthz").get_json() == {"status": "ok"}


def test_readyz_reports_migration_and_postgis(client):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["postgis"].startswith("3.")


def test_readyz_fails_when_not_at_head(client):
    db.session.execute(text("UPDATE alembic_version SET version_num = 'older'"))
    assert_problem(client.get("/readyz"), 503, "database_unavailable")


@pytest.mark.committing
def test_database_down_gives_503_not_500(make_app):
    app = make_app(SQLALCHEMY_DATABASE_URI="postgresql+psycopg://postgres@127.0.0.1:1/nowhere")
    client = app.test_client()
    assert_problem(client.get("/readyz"), 503, "database_unavailable")
    response = client.post("/api/v1/auth/login", json={"username": "a", "password": "b"})
    assert_problem(response, 503, "database_unavailable")
    assert response.headers["Retry-After"]
    assert client.get("/healthz").status_code == 200


@pytest.mark.committing
def test_recovers_after_connections_are_killed(app):
    client = app.test_client()
    assert client.get("/readyz").status_code == 200
    with app.app_context():
        with db.engine.connect() as connection:  # as a database restart would
            killed = connection.execute(text(
                f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {OTHER_APP_CONNECTIONS}"
            )).all()
            assert killed
            connection.commit()
            # pg_terminate_backend only signals; wait (bounded) until they are gone
            for _ in range(100):
                if not connection.execute(text(f"SELECT 1 FROM pg_stat_activity WHERE {OTHER_APP_CONNECTIONS}")).all():
                    break
                connection.commit()  # pg_stat_activity is a snapshot per transaction
                time.sleep(0.05)
    assert client.get("/readyz").status_code == 200


def test_every_session_has_a_statement_timeout_and_durable_commits():
    assert db.session.scalar(text("SHOW statement_timeout")) == "15s"
    assert db.session.scalar(text("SHOW synchronous_commit")) == "on"


@pytest.mark.committing
def test_a_statement_past_the_timeout_is_503(make_app):
    app = make_app(SQLALCHEMY_ENGINE_OPTIONS={"connect_args": {"options": "-c statement_timeout=100"}})
    slow = Blueprint("slow", __name__)

    @slow.get("/api/v1/test-slow")
    @public
    def sleep():
        db.session.execute(text("SELECT pg_sleep(2)"))
        return {}

    app.register_blueprint(slow)
    assert_problem(app.test_client().get("/api/v1/test-slow"), 503, "database_unavailable")
