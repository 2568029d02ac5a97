"""Settings, read only from environment variables (documented in README.md).

Development defaults are safe to run on a laptop. No signing key ships in the code:
unless SECRET_KEY is set, each install makes its own on first start (`instance_secret`).
"""
from __future__ import annotations

import math
import os
from datetime import timedelta

from backend.common.instance_secrets import INSTANCE_DIR, instance_secret

STAGES = ("development", "test", "production")
DEFAULT_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/foodgrid"


class ConfigError(RuntimeError):
    """A setting is missing or unsafe for the environment."""


def _int(env: dict[str, str], name: str, default: int) -> int:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from exc


def _list(env: dict[str, str], name: str) -> list[str]:
    return [item.strip() for item in env.get(name, "").split(",") if item.strip()]


def visit_rate_error(rate: float) -> str | None:
    """Why `rate` (visits per year) cannot be planned, or None: 0, a whole number of visits a
    year, or one visit every N years (0.5 = every 2 years, 0.25 = every 4 years)."""
    if rate == 0 or (rate >= 1 and float(rate).is_integer()):
        return None
    if 0 < rate < 1 and math.isfinite(1 / rate) and abs(round(1 / rate) * rate - 1) < 0.01:
        return None
    return f"{rate:g} is neither a whole number of visits a year nor one visit every N years (0.5, 0.25 …)"


def _visits(raw: str) -> dict[str, float]:
    """'A=0.5,B=1,C=2,D=3' -> {'A': 0.5, ...}: visits per year for every risk level A-D."""
    try:
        visits = {level.strip(): float(count) for level, count in (pair.split("=") for pair in raw.split(","))}
    except ValueError as exc:
        raise ConfigError(f"VISITS_PER_YEAR must look like A=0.5,B=1,C=2,D=3, got {raw!r}") from exc
    if sorted(visits) != ["A", "B", "C", "D"] or min(visits.values()) < 0:
        raise ConfigError(f"VISITS_PER_YEAR must give a non-negative rate for each of A, B, C, D, got {raw!r}")
    for level, rate in visits.items():
        if error := visit_rate_error(rate):
            raise ConfigError(f"VISITS_PER_YEAR {level}: {error}")
    return {level: int(rate) if rate.is_integer() else rate for level, rate in visits.items()}


def _per_level(env: dict[str, str], name: str, default: str) -> dict[int, int]:
    """'24,48,72' -> {1: 24, 2: 48, 3: 72}: one positive whole number per recall level 1-3."""
    raw = env.get(name) or default
    try:
        values = [int(value) for value in raw.split(",")]
    except ValueError as exc:
        raise ConfigError(f"{name} must be three whole numbers for levels 1,2,3 (e.g. {default}), got {raw!r}") from exc
    if len(values) != 3 or min(values) < 1:
        raise ConfigError(f"{name} must be three positive whole numbers for levels 1,2,3 (e.g. {default}), got {raw!r}")
    return dict(enumerate(values, start=1))


def normalise_database_url(url: str) -> str:
    """Accept libpq-style URLs and make SQLAlchemy use psycopg 3."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load_config(env: dict[str, str] | None = None) -> dict:
    """Build the Flask config mapping from `env` (default: os.environ)."""
    env = dict(os.environ if env is None else env)
    stage = env.get("FOODGRID_ENV") or "development"
    if stage not in STAGES:
        raise ConfigError(f"FOODGRID_ENV must be one of {', '.join(STAGES)} (lowercase), got {stage!r}")
    secret = env.get("SECRET_KEY") or instance_secret(env, "secret_key")
    jwt_secret = env.get("JWT_SECRET_KEY") or secret
    statement_timeout_ms = _int(env, "STATEMENT_TIMEOUT_MS", 15_000)

    config = {
        "FOODGRID_ENV": stage,
        "DEBUG": stage == "development" and env.get("FLASK_DEBUG") == "1",
        "SECRET_KEY": secret,
        # Database
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(
            env.get("DATABASE_URL", DEFAULT_DATABASE_URL)
        ),
        "SQLALCHEMY_ENGINE_OPTIONS": {
            "pool_pre_ping": True,  # reconnect by itself after the database restarts
            "pool_size": _int(env, "DB_POOL_SIZE", 10),
            "connect_args": {
                "connect_timeout": _int(env, "DB_CONNECT_TIMEOUT_S", 5),
                "application_name": "foodgrid",
                # Every statement is bounded; synchronous_commit stays on (a 201 is on disk).
                # JIT off: compiling costs more than it saves on these short queries (trace: +45 ms a call).
                "options": f"-c statement_timeout={statement_timeout_ms} -c TimeZone=UTC -c jit=off",
            },
        },
        "SQLALCHEMY_RECORD_QUERIES": False,
        # Tokens (DESIGN.md §2)
        "JWT_SECRET_KEY": jwt_secret,
        "JWT_ACCESS_TOKEN_EXPIRES": timedelta(seconds=_int(env, "JWT_ACCESS_TTL_S", 15 * 60)),
        "REFRESH_TOKEN_TTL": timedelta(days=_int(env, "REFRESH_TOKEN_TTL_DAYS", 30)),
        "JWT_TOKEN_LOCATION": ["headers"],
        "JWT_ALGORITHM": "HS256",
        # Login throttling
        "LOGIN_MAX_FAILURES": _int(env, "LOGIN_MAX_FAILURES", 5),
        "LOGIN_LOCKOUT_S": _int(env, "LOGIN_LOCKOUT_S", 15 * 60),
        "LOGIN_RATE_PER_IP": env.get("LOGIN_RATE_PER_IP", "60 per minute"),
        "LOGIN_RATE_PER_ACCOUNT": env.get("LOGIN_RATE_PER_ACCOUNT", "10 per minute"),
        # Counters must be shared by every worker (DESIGN.md §2): `make run` points this at Redis.
        "RATELIMIT_STORAGE_URI": env.get("RATELIMIT_STORAGE_URI") or env.get("REDIS_URL") or "memory://",
        "RATELIMIT_KEY_PREFIX": env.get("RATELIMIT_KEY_PREFIX", "foodgrid"),
        # A refresh token presented again this soon by its session gets the same new pair (phones retry).
        "REFRESH_REUSE_WINDOW_S": _int(env, "REFRESH_REUSE_WINDOW_S", 30),
        "RATELIMIT_HEADERS_ENABLED": True,
        # Limits (DESIGN.md §10)
        "MAX_CONTENT_LENGTH": _int(env, "MAX_BODY_BYTES", 16 * 1024 * 1024),
        "API_PAGE_SIZE_MAX": 100,
        # GET /regions/{code}/cells answers a whole region at once, up to this many cells.
        "REGION_CELLS_MAX": _int(env, "REGION_CELLS_MAX", 20_000),
        # Files and field rules
        "MEDIA_ROOT": env.get("MEDIA_ROOT", os.path.abspath("media")),
        "GEOFENCE_M": _int(env, "GEOFENCE_M", 200),
        # A fix whose accuracy radius is larger than this is flagged `low_accuracy` (default: GEOFENCE_M).
        "LOW_ACCURACY_M": _int(env, "LOW_ACCURACY_M", _int(env, "GEOFENCE_M", 200)),
        # A device clock further than this from the server's is flagged (never refused).
        "CLOCK_SKEW_S": _int(env, "CLOCK_SKEW_S", 300),
        # 责令整改: days the business has to rectify before the follow-up check.
        "RECTIFICATION_DAYS": _int(env, "RECTIFICATION_DAYS", 15),
        "ATTACHMENT_MAX_BYTES": _int(env, "ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024),
        "CHECK_BATCH_MAX": 100,
        "SYNC_PAGE_SIZE": _int(env, "SYNC_PAGE_SIZE", 500),
        # A receipt with no matching shipment becomes a violation after this many hours.
        "TRACE_GRACE_HOURS": _int(env, "TRACE_GRACE_HOURS", 48),
        "TRACE_BATCH_MAX": 1000,
        # A trace follows at most this many hops and reaches at most this many (lot, facility) nodes per
        # direction; past either it answers `truncated: true` (a deeper request is refused).
        "TRACE_MAX_DEPTH": _int(env, "TRACE_MAX_DEPTH", 50),
        "TRACE_MAX_NODES": _int(env, "TRACE_MAX_NODES", 20_000),
        "EPCIS_MAX_BYTES": _int(env, "EPCIS_MAX_BYTES", 8 * 1024 * 1024),
        # 复检 windows (Food Safety Law art. 88): working days after a lab result, hours after a rapid one.
        "RETEST_WORKING_DAYS": _int(env, "RETEST_WORKING_DAYS", 7),
        "RETEST_RAPID_HOURS": _int(env, "RETEST_RAPID_HOURS", 4),
        # 食品召回管理办法 2015: start and notify within these hours, complete within these working days,
        # for recall levels 1, 2, 3.
        "RECALL_START_HOURS": _per_level(env, "RECALL_START_HOURS", "24,48,72"),
        "RECALL_COMPLETE_WORKING_DAYS": _per_level(env, "RECALL_COMPLETE_WORKING_DAYS", "10,20,30"),
        # 食品安全抽样检验管理办法: a lab sample reaches the lab within these working days of sampling, and
        # the lab reports within these of receipt; the regulator answers a re-test request within these.
        "SAMPLE_DELIVERY_WORKING_DAYS": _int(env, "SAMPLE_DELIVERY_WORKING_DAYS", 5),
        "SAMPLE_REPORT_WORKING_DAYS": _int(env, "SAMPLE_REPORT_WORKING_DAYS", 20),
        "RETEST_DECISION_WORKING_DAYS": _int(env, "RETEST_DECISION_WORKING_DAYS", 5),
        # Minimum routine inspections per year by risk level (DESIGN.md §4: A once every 2 years, B 1, C 2, D 3);
        # a fraction 1/N is one visit every N years.
        "VISITS_PER_YEAR": _visits(env.get("VISITS_PER_YEAR", "A=0.5,B=1,C=2,D=3")),
        # HTTP
        "CORS_ORIGINS": _list(env, "CORS_ORIGINS"),
        "HSTS_SECONDS": _int(env, "HSTS_SECONDS", 0),
        "TRUSTED_PROXIES": _int(env, "TRUSTED_PROXIES", 0),
        # Readiness: the newest `flask worker` heartbeat may be this old (0: not checked).
        "WORKER_STALE_S": _int(env, "WORKER_STALE_S", 60),
        # OpenAPI (flask-smorest)
        "API_TITLE": "FoodGrid",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.1.0",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "OPENAPI_SWAGGER_UI_PATH": "docs",
        "OPENAPI_SWAGGER_UI_URL": "/api/v1/docs/assets/",
        "OPENAPI_SWAGGER_UI_CONFIG": {"persistAuthorization": True},
        # Audit chain (DESIGN.md §9): the HMAC key is never stored in the database.
        "AUDIT_KEY": env.get("AUDIT_KEY") or instance_secret(env, "audit_key"),
        "AUDIT_CHECKPOINT_DIR": env.get("AUDIT_CHECKPOINT_DIR") or str(INSTANCE_DIR / "audit-checkpoints"),
        "AUDIT_CHECKPOINT_S": _int(env, "AUDIT_CHECKPOINT_S", 60),
        # Demo data
        "DEMO_PASSWORD": env.get("FOODGRID_DEMO_PASSWORD", "foodgrid-demo"),
    }
    check_config(config)
    return config


def check_config(config: dict) -> None:
    """Refuse to run production with short secrets or debug on."""
    if config["FOODGRID_ENV"] != "production":
        return
    if len(config["AUDIT_KEY"]) < 32:
        raise ConfigError("AUDIT_KEY must be a private value of 32+ characters in production")
    for name in ("SECRET_KEY", "JWT_SECRET_KEY"):
        if len(config[name]) < 32:
            raise ConfigError(f"{name} must be set to a private value of 32+ characters in production")
    if config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise ConfigError("RATELIMIT_STORAGE_URI (or REDIS_URL) must name storage shared by every worker "
                          "in production, e.g. redis://host:6379")
    if config["DEBUG"]:
        raise ConfigError("debug must be off in production")
