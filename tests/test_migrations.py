"""Migrations on a database of their own: upgrade from empty, nothing left to autogenerate,
downgrade to base, upgrade again."""
import pytest
from flask_migrate import check, downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, text

from backend.extensions import db
from tests.conftest import database_url_for_tests


@pytest.fixture
def scratch_app(make_app):
    url = make_url(database_url_for_tests())
    scratch = url.set(database=f"{url.database}_migrations")
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{scratch.database}"'))
    app = make_app(SQLALCHEMY_DATABASE_URI=scratch.render_as_string(hide_password=False))
    yield app
    with app.app_context():
        db.engine.dispose()
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{scratch.database}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.committing
def test_upgrade_downgrade_upgrade(scratch_app):
    with scratch_app.app_context():
        upgrade()
        check()  # raises when autogenerate would find a difference between models and migrations
        downgrade(revision="base")
        with db.engine.connect() as connection:
            assert set(inspect(connection).get_table_names()) <= {"alembic_version", "spatial_ref_sys"}
        upgrade()
        with db.engine.connect() as connection:
            assert "audit_log" in inspect(connection).get_table_names()
