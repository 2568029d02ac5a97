"""Liveness and readiness probes (DESIGN.md §10)."""
from __future__ import annotations

import logging
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from flask.views import MethodView
from sqlalchemy import text

from backend.auth.guard import public
from backend.common.blueprint import Blueprint
from backend.errors import problem
from backend.extensions import db

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__, description="Liveness and readiness probes.")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def migration_head() -> str:
    """The newest revision in migrations/, read once per process."""
    cached = current_app.extensions.get("foodgrid_migration_head")
    if cached is None:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        cached = ScriptDirectory.from_config(config).get_current_head()
        current_app.extensions["foodgrid_migration_head"] = cached
    return cached


@blp.route("/healthz")
class Health(MethodView):
    @public
    @blp.doc(security=[])
    @blp.response(200)
    def get(self):
        """The process is up (does not touch the database)."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @public
    @blp.doc(security=[])
    @blp.response(200)
    @blp.alt_response(503, description="Database unreachable, not migrated, or PostGIS missing")
    def get(self):
        """Ready to serve: database reachable, migrations at head, PostGIS present."""
        try:
            current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
            postgis = db.session.scalar(text("SELECT postgis_lib_version()"))
        except Exception as error:  # noqa: BLE001 - any failure here means "not ready"
            log.warning("not ready: %s", error)
            db.session.rollback()
            return problem(503, "database_unavailable", "Database unreachable or not migrated.",
                           headers={"Retry-After": "5"})
        head = migration_head()
        if current != head:
            return problem(503, "database_unavailable", f"Database at migration {current}, code expects {head}.")
        return {"status": "ok", "migration": current, "postgis": postgis}
