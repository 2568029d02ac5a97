"""FoodGrid: the REST backend of a city's grid-based food-safety supervision."""
from __future__ import annotations

import logging
from decimal import Decimal
from pathlib import Path

from flask import Blueprint, Flask, send_from_directory
from flask.json.provider import DefaultJSONProvider

from backend.common import json_input
from backend.config import load_config


class JSONProvider(DefaultJSONProvider):
    """Decimals (quantities, lab values) as JSON numbers, not strings; request bodies read
    by backend.common.json_input (depth, surrogates, NUL and number limits)."""

    def loads(self, s, **kwargs):
        return json_input.loads(s)

    @staticmethod
    def default(value):
        if isinstance(value, Decimal):
            return float(value)
        return DefaultJSONProvider.default(value)


def create_app(config: dict | None = None) -> Flask:
    """Build the application; `config` overrides what the environment sets."""
    app = Flask(__name__)
    app.json = JSONProvider(app)
    app.config.update(load_config())
    if config:
        app.config.update(config)
    app.json.ensure_ascii = False
    app.json.sort_keys = False
    _configure_logging()

    _import_models()
    _init_extensions(app)
    _connect_signals()
    _register_api(app)
    _register_cli(app)
    _register_escalators(app)
    return app


def _configure_logging() -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)


def _import_models() -> None:
    """Every model, so the metadata (and Alembic's autogenerate) sees all tables."""
    from backend.audit import models as _audit  # noqa: F401
    from backend.auth import models as _auth  # noqa: F401
    from backend.calendar import models as _calendar  # noqa: F401
    from backend.common import outbox as _outbox  # noqa: F401
    from backend.facilities import models as _facilities  # noqa: F401
    from backend.inspections import models as _inspections  # noqa: F401
    from backend.notifications import models as _notifications  # noqa: F401
    from backend.recalls import models as _recalls  # noqa: F401
    from backend.regions import models as _regions  # noqa: F401
    from backend.sampling import models as _sampling  # noqa: F401
    from backend.sync import models as _sync  # noqa: F401
    from backend.traceability import models as _traceability  # noqa: F401


def _init_extensions(app: Flask) -> None:
    from backend.auth.guard import init_guard
    from backend.common.geojson import register_geojson_field
    from backend.common.http import init_http, init_media_types
    from backend.common.openapi import SchemaExtrasPlugin, register_openapi_extras
    from backend.errors import register_error_handlers
    from backend.extensions import api, db, jwt, limiter, migrate

    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    jwt.init_app(app)
    limiter.init_app(app)
    app.config["API_SPEC_OPTIONS"] = {
        "security": [{"bearerAuth": []}],
        "components": {"securitySchemes": {
            "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
        }},
        "info": {"description": "FoodGrid API: grid supervision of food safety. "
                                "Log in at POST /api/v1/auth/login, then Authorize with the access token."},
    }
    api.init_app(app, spec_kwargs={"extra_plugins": [SchemaExtrasPlugin()]})
    register_geojson_field(api)
    register_openapi_extras(api)
    register_error_handlers(app, db.metadata)
    init_http(app)
    init_guard(app)
    init_media_types(app)
    app.register_blueprint(_docs_assets())


def _docs_assets() -> Blueprint:
    """Swagger UI's scripts come from a Python package and are served locally (closed networks)."""
    import flask_swagger_ui

    dist = Path(flask_swagger_ui.__file__).parent / "dist"
    assets = Blueprint("docs_assets", __name__, url_prefix="/api/v1/docs/assets")

    @assets.get("/<path:filename>")
    def asset(filename: str):
        return send_from_directory(dist, filename, max_age=86400)

    return assets


def _connect_signals() -> None:
    """Who follows whom, by name: every receiver of backend/common/signals.py, and the audit
    chain's session listeners. Nothing listens merely because its module was imported."""
    from backend.audit.service import connect_chain_writer
    from backend.common.signals import cells_changed, facilities_moved, lead_changed, plan_frequencies
    from backend.facilities.service import refresh_facility_cells
    from backend.inspections.tasks import follow_moved_facilities, follow_new_lead, frequencies_of_plan

    connect_chain_writer()
    cells_changed.connect(refresh_facility_cells)
    lead_changed.connect(follow_new_lead)
    plan_frequencies.connect(frequencies_of_plan)
    facilities_moved.connect(follow_moved_facilities)


def _register_api(app: Flask) -> None:
    """Each domain registers its own blueprints (`<domain>.register(api)`); this order is the
    order of the tags in the API document."""
    from backend import (
        audit,
        auth,
        calendar,
        facilities,
        health,
        inspections,
        notifications,
        recalls,
        regions,
        sampling,
        sync,
        traceability,
    )
    from backend.extensions import api

    api.register_blueprint(health.blp)
    for domain in (auth, regions, facilities, inspections, sync, traceability, sampling, recalls, audit, calendar,
                   notifications):
        domain.register(api)


def _register_escalators(app: Flask) -> None:
    """What `flask worker` escalates when overdue; each rule lives with the table it stamps
    (docs/architecture.md, "Owners")."""
    from backend.inspections.tasks import escalate_overdue_tasks
    from backend.notifications.worker import ESCALATORS
    from backend.recalls.overdue import escalate_overdue_recalls
    from backend.sampling.timelines import escalate_overdue_samples

    app.extensions[ESCALATORS] = (escalate_overdue_tasks, escalate_overdue_recalls, escalate_overdue_samples)


def _register_cli(app: Flask) -> None:
    from backend.audit.cli import audit_cli
    from backend.cli import facilities_cli, seed_command, users_cli
    from backend.notifications.cli import worker_command

    app.cli.add_command(users_cli)
    app.cli.add_command(facilities_cli)
    app.cli.add_command(seed_command)
    app.cli.add_command(worker_command)
    app.cli.add_command(audit_cli)
