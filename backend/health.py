"""Liveness and readiness probes (DESIGN.md §10)."""
from __future__ import annotations

import logging
from pathlib import Path

import marshmallow as ma
from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import current_app
from flask.views import MethodView
from sqlalchemy import text

from backend.auth.guard import public
from backend.common.blueprint import Blueprint
from backend.common.problems import PROBLEM_MIMETYPE, problem
from backend.errors import ProblemSchema
from backend.extensions import db
from backend.notifications import heartbeat

log = logging.getLogger(__name__)
blp = Blueprint("health", __name__, description="Liveness and readiness probes.")
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


class HealthSchema(ma.Schema):
    status = ma.fields.Constant("ok", required=True)


class HeartbeatSchema(ma.Schema):
    name = ma.fields.String(required=True)
    pid = ma.fields.Integer(required=True)
    host = ma.fields.String(required=True)
    beat_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    age_s = ma.fields.Float(required=True, metadata={"description": "Seconds since this heartbeat"})


class ReadySchema(ma.Schema):
    status = ma.fields.Constant("ok", required=True)
    migration = ma.fields.String(required=True, metadata={"description": "Alembic revision (the code's head)"})
    postgis = ma.fields.String(required=True, metadata={"description": "PostGIS library version"})
    worker = ma.fields.Nested(HeartbeatSchema, required=True, allow_none=True,
                              metadata={"description": "The newest `flask worker` heartbeat; null when none "
                                                       "(only when WORKER_STALE_S is 0)"})


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
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up (does not touch the database)."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @public
    @blp.doc(security=[])
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_MIMETYPE,
                      description="Database unreachable, not migrated, or PostGIS missing "
                                  "(`database_unavailable`); no `flask worker` heartbeat within "
                                  "WORKER_STALE_S seconds, or none ever (`worker_unavailable`)")
    def get(self):
        """Ready to serve: database reachable, migrations at head, PostGIS present, a worker alive."""
        try:
            current = db.session.scalar(text("SELECT version_num FROM alembic_version"))
            postgis = db.session.scalar(text("SELECT postgis_lib_version()"))
            head = migration_head()
            newest = heartbeat.latest() if current == head else None
        except Exception as error:  # noqa: BLE001 - any failure here means "not ready"
            log.warning("not ready: %s", error)
            db.session.rollback()
            return problem(503, "database_unavailable", "Database unreachable or not migrated.",
                           headers={"Retry-After": "5"})
        if current != head:
            return problem(503, "database_unavailable", f"Database at migration {current}, code expects {head}.")
        body = {"status": "ok", "migration": current, "postgis": postgis,
                "worker": newest.as_dict() if newest else None}
        stale_after = current_app.config["WORKER_STALE_S"]
        if stale_after and newest is None:
            # Never seen (a fresh install whose worker has not started): the outbox would only pile up.
            return problem(503, "worker_unavailable", "No `flask worker` has ever reported a heartbeat.",
                           headers={"Retry-After": "5"})
        if stale_after and newest.age_s > stale_after:
            return problem(503, "worker_unavailable",
                           f"The newest worker heartbeat is {newest.age_s:.0f} s old (limit {stale_after} s): "
                           f"worker {newest.name!r}, pid {newest.pid} on {newest.host}.",
                           headers={"Retry-After": "5"}, worker=newest.as_dict())
        return body
