"""Settings, read only from environment variables (documented in README.md).

Development defaults are safe to run on a laptop. No signing key ships in the code:
unless SECRET_KEY is set, each install makes its own on first start (`instance_secret`).
"""
from __future__ import annotations

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


def _visits(raw: str) -> dict[str, int]:
    """'A=1,B=1,C=2,D=3' -> {'A': 1, ...}; every risk level A-D must be given."""
    try:
        visits = {level.strip(): int(count) for level, count in (pair.split("=") for pair in raw.split(","))}
    except ValueError as exc:
        raise ConfigError(f"VISITS_PER_YEAR must look like A=1,B=1,C=2,D=3, got {raw!r}") from exc
    if sorted(visits) != ["A", "B", "C", "D"] or min(visits.values()) < 0:
        raise ConfigError(f"VISITS_PER_YEAR must give a non-negative count for each of A, B, C, D, got {raw!r}")
    return visits


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
        "EPCIS_MAX_BYTES": _int(env, "EPCIS_MAX_BYTES", 8 * 1024 * 1024),
        # 复检 windows (Food Safety Law art. 88): working days after a lab result, hours after a rapid one.
        "RETEST_WORKING_DAYS": _int(env, "RETEST_WORKING_DAYS", 7),
        "RETEST_RAPID_HOURS": _int(env, "RETEST_RAPID_HOURS", 4),
        # Minimum routine inspections per year by risk level (风险分级管理办法 2016; provinces vary).
        "VISITS_PER_YEAR": _visits(env.get("VISITS_PER_YEAR", "A=1,B=1,C=2,D=3")),
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
