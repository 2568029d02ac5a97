"""The app as deployed, plus bare routes: the yardsticks the real API is compared to.

`/bench/locate-bare?lon=&lat=` runs the same SQL as `backend.regions.cells.locate_cell` on
a plain psycopg pool, with no ORM, auth, schema or serialisation, so the difference from
`GET /api/v1/cells/locate` is what the framework layers cost. `POST /bench/insert-floor`
stores a check's JSON body with one INSERT (and its commit) on the same pool: the floor
under `POST /api/v1/checks`. Served only by the bench's gunicorn (`gunicorn
bench.wsgi_bench:app`), never by `make run`.
"""
from __future__ import annotations

import json
import os
import threading

from flask import Flask, abort, jsonify, request
from psycopg_pool import ConnectionPool

from backend import create_app
from backend.auth.guard import public
from bench.locate_sql import LOCATE_SQL, libpq_url

_pool: ConnectionPool | None = None
_pool_lock = threading.Lock()


def _connections() -> ConnectionPool:
    """One pool per worker process, opened on first use: after gunicorn forks, never before."""
    global _pool
    if _pool is None:
        with _pool_lock:
            if _pool is None:
                size = int(os.environ.get("WEB_THREADS", "8"))  # one connection per gthread thread
                _pool = ConnectionPool(libpq_url(os.environ["DATABASE_URL"]), min_size=size, max_size=size,
                                       kwargs={"autocommit": True}, open=True, name="locate-bare")
    return _pool


@public
def locate_bare():
    """The covering active cell's id, or 404 (counted by wrk as a non-2xx answer)."""
    try:
        lon, lat = float(request.args["lon"]), float(request.args["lat"])
    except (KeyError, ValueError):
        abort(400)
    with _connections().connection() as connection:
        row = connection.execute(LOCATE_SQL, (lon, lat)).fetchone()
    if row is None:
        abort(404)
    return jsonify(id=str(row[0]))


FLOOR_SQL = "INSERT INTO bench_floor_checks (id, body) VALUES (%s, %s)"


@public
def insert_floor():
    """The check body, stored as it came: one INSERT, committed (synchronous_commit on)."""
    body = request.get_data()
    try:
        check_id = json.loads(body)["id"]
    except (ValueError, KeyError, TypeError):
        abort(400)
    with _connections().connection() as connection:
        connection.execute(FLOOR_SQL, (check_id, body.decode()))
    return jsonify(id=check_id), 201


def build_app() -> Flask:
    app = create_app()
    app.add_url_rule("/bench/locate-bare", "bench_locate_bare", locate_bare, methods=["GET"])
    app.add_url_rule("/bench/insert-floor", "bench_insert_floor", insert_floor, methods=["POST"])
    return app


app = build_app()
