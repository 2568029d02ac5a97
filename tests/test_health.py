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
        # Hold the pooled connection readyz used, so the killer below gets a connection of its
        # own (run alone, the pool holds just that one and would hand it to the killer).
        held = db.engine.connect()
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
        held.close()  # back to the pool, dead: the next checkout must notice (pool_pre_ping)
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


# ---------------------------------------------------------------- the worker's heartbeat

def _beat(age_s: float, name: str = "worker") -> None:
    db.session.execute(text("DELETE FROM worker_heartbeats"))
    db.session.execute(text("INSERT INTO worker_heartbeats (name, pid, host, started_at, beat_at) "
                            "VALUES (:name, 4242, 'box', now(), clock_timestamp() - make_interval(secs => :age))"),
                       {"name": name, "age": age_s})


@pytest.fixture
def worker_checked(app, monkeypatch):
    monkeypatch.setitem(app.config, "WORKER_STALE_S", 60)


def test_readyz_with_a_fresh_worker_heartbeat_is_200(client, worker_checked):
    _beat(3)
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok"
    assert body["worker"]["pid"] == 4242 and body["worker"]["age_s"] < 60


def test_readyz_with_a_stale_worker_heartbeat_is_503(client, worker_checked):
    _beat(61)
    response = client.get("/readyz")
    assert_problem(response, 503, "worker_unavailable")
    assert response.get_json()["worker"]["pid"] == 4242 and response.headers["Retry-After"]


def test_readyz_when_no_worker_ever_beat_is_503(client, worker_checked):
    db.session.execute(text("DELETE FROM worker_heartbeats"))
    assert_problem(client.get("/readyz"), 503, "worker_unavailable")


def test_the_newest_of_several_workers_counts(client, worker_checked):
    _beat(600, "old-host")
    db.session.execute(text("INSERT INTO worker_heartbeats VALUES ('new-host', 1, 'b', now(), clock_timestamp())"))
    assert client.get("/readyz").get_json()["worker"]["name"] == "new-host"


def test_worker_stale_s_zero_turns_the_check_off(client, app):
    db.session.execute(text("DELETE FROM worker_heartbeats"))
    assert app.config["WORKER_STALE_S"] == 0 and client.get("/readyz").status_code == 200


def test_a_worker_round_beats(app, worker_checked, client):
    from backend.notifications import worker

    db.session.execute(text("DELETE FROM worker_heartbeats"))
    worker.run(once=True, name="round")
    assert client.get("/readyz").get_json()["worker"]["name"] == "round"
