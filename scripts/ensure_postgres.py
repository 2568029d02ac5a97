#!/usr/bin/env python3
"""Make sure a PostgreSQL + PostGIS database exists and print its SQLAlchemy URL.

Usage:  python scripts/ensure_postgres.py DBNAME|--app|--test

``--app`` names the database of DATABASE_URL (default ``foodgrid``), ``--test`` the
same name with ``_test`` appended: the test suite never touches the app's data.

Prints exactly one line on stdout, ``postgresql+psycopg://USER@HOST:PORT/DBNAME``;
all progress goes to stderr. Exits non-zero when it cannot succeed.

Server selection, first match wins:
  1. ``DATABASE_URL`` (postgresql://, postgresql+psycopg:// or postgres://): that
     server is used (unreachable means failure); its database part is replaced by DBNAME.
  2. The machine's server: TCP 127.0.0.1:5432, then the default unix socket, as user
     ``postgres``. ``FOODGRID_SKIP_SYSTEM_PG=1`` skips this step (testing aid).
  3. A project-local cluster in ``<repo>/.pgdata`` (initdb on first use, then
     ``pg_ctl start``), listening on 127.0.0.1:``FOODGRID_LOCAL_PGPORT`` (default 54329).
     As root, initdb/pg_ctl run as the ``postgres`` OS user.
Then: if the ``postgis`` extension is unavailable on a local server and we are root
with apt-get, ``postgresql-<major>-postgis-3`` is installed. Finally DBNAME is created
if missing and ``CREATE EXTENSION IF NOT EXISTS postgis`` is run in it. Idempotent.
"""
from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import quote, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

REPO = Path(__file__).resolve().parent.parent
PGDATA = REPO / ".pgdata"
LOCAL_HOSTS = {"", "127.0.0.1", "localhost", "::1"}


@dataclass
class Server:
    params: dict[str, Any]  # libpq connection parameters, without dbname
    url: str  # SQLAlchemy URL for the target database
    local: bool
    url_db: str | None = None  # database named in DATABASE_URL, tried for maintenance


def log(msg: str) -> None:
    print(f"ensure_postgres: {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> NoReturn:
    log(f"ERROR: {msg}")
    sys.exit(1)


def connect(params: dict[str, Any], dbname: str) -> psycopg.Connection:
    return psycopg.connect(**{"connect_timeout": 3, **params}, dbname=dbname, autocommit=True)


def first_line(exc: Exception) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def try_connect(params: dict[str, Any], dbname: str) -> psycopg.Connection | None:
    try:
        return connect(params, dbname)
    except psycopg.Error as exc:
        log(f"cannot connect ({describe(params)}, db={dbname}): {first_line(exc)}")
        return None


def describe(params: dict[str, Any]) -> str:
    return f"{params.get('user', '?')}@{params.get('host') or 'default socket'}:{params.get('port', 5432)}"


def local_server(params: dict[str, Any], dbname: str) -> Server | None:
    """Connect to a local server as postgres; build its URL from where we really landed."""
    conn = try_connect({"user": "postgres", **params}, "postgres")
    if conn is None:
        return None
    with conn:
        host, port = conn.info.host, conn.info.port
    params = {"user": "postgres", "host": host, "port": port}
    db = quote(dbname, safe="")
    if host.startswith("/"):  # unix socket: SQLAlchemy takes it as a query parameter
        url = f"postgresql+psycopg://postgres@/{db}?host={quote(host, safe='/')}&port={port}"
    else:
        url = f"postgresql+psycopg://postgres@{host}:{port}/{db}"
    return Server(params, url, local=True)


def server_from_url(raw: str, dbname: str) -> Server:
    """Step 1: DATABASE_URL. Keeps user/password/host/port/query, swaps in DBNAME."""
    parts = urlsplit(raw)
    if parts.scheme not in ("postgresql", "postgresql+psycopg", "postgres"):
        die(f"DATABASE_URL has unsupported scheme {parts.scheme!r}")
    libpq_url = urlunsplit(("postgresql",) + tuple(parts[1:]))
    params = conninfo_to_dict(libpq_url)
    url_db = params.pop("dbname", None)
    url = urlunsplit(("postgresql+psycopg", parts.netloc, "/" + quote(dbname, safe=""), parts.query, ""))
    return Server(params, url, local=(parts.hostname or "") in LOCAL_HOSTS, url_db=url_db)


def find_pg_bin(name: str) -> str:
    found = shutil.which(name)
    if found:
        return found
    bindirs = [p for p in Path("/usr/lib/postgresql").glob("*/bin") if p.parent.name.isdigit()]
    for bindir in sorted(bindirs, key=lambda p: int(p.parent.name), reverse=True):
        if (bindir / name).exists():
            return str(bindir / name)
    die(f"'{name}' not found in PATH or /usr/lib/postgresql/*/bin; install the PostgreSQL server package")


def run_pg(args: list[str], check: bool = True, quiet: bool = False) -> int:
    """Run a PostgreSQL tool, as the postgres OS user when we are root (they refuse root)."""
    if os.geteuid() == 0:
        args = ["runuser", "-u", "postgres", "--", *args]
    out = subprocess.DEVNULL if quiet else sys.stderr
    result = subprocess.run(args, stdout=out, stderr=out if quiet else None, cwd=PGDATA)
    if check and result.returncode != 0:
        die(f"command failed ({result.returncode}): {' '.join(args)}")
    return result.returncode


def start_project_cluster(dbname: str) -> Server:
    """Step 3: initdb (first time) and start the cluster in <repo>/.pgdata."""
    port = int(os.environ.get("FOODGRID_LOCAL_PGPORT", "54329"))
    initdb, pg_ctl = find_pg_bin("initdb"), find_pg_bin("pg_ctl")
    PGDATA.mkdir(mode=0o700, exist_ok=True)
    if os.geteuid() == 0:
        try:
            pg_user = pwd.getpwnam("postgres")
        except KeyError:
            die("running as root and no 'postgres' OS user exists; initdb/pg_ctl refuse to run as root. "
                "Create the user (e.g. install postgresql) or run as a normal user.")
        os.chown(PGDATA, pg_user.pw_uid, pg_user.pw_gid)
    if not (PGDATA / "PG_VERSION").exists():
        log(f"initialising project-local cluster in {PGDATA}")
        base = [initdb, "-D", str(PGDATA), "-U", "postgres", "--auth=trust", "-E", "UTF8"]
        if run_pg([*base, "--locale=C.UTF-8"], check=False) != 0:
            log("initdb with --locale=C.UTF-8 failed; retrying with --locale=C")
            run_pg([*base, "--locale=C"])
    if run_pg([pg_ctl, "-D", str(PGDATA), "status"], check=False, quiet=True) == 0:
        log(f"project-local cluster in {PGDATA} is already running")
    else:
        log(f"starting project-local cluster on 127.0.0.1:{port} (log: {PGDATA / 'server.log'})")
        opts = f"-p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''"
        run_pg([pg_ctl, "-D", str(PGDATA), "-l", str(PGDATA / "server.log"), "-w", "-o", opts, "start"])
    server = local_server({"host": "127.0.0.1", "port": port}, dbname)
    if server is None:
        die(f"project-local cluster is running but 127.0.0.1:{port} is not reachable; see {PGDATA / 'server.log'}")
    return server


def choose_server(dbname: str) -> Server:
    if os.environ.get("DATABASE_URL"):
        log("using DATABASE_URL")
        return server_from_url(os.environ["DATABASE_URL"], dbname)
    if os.environ.get("FOODGRID_SKIP_SYSTEM_PG") != "1":
        for params in ({"host": "127.0.0.1", "port": 5432}, {}):
            server = local_server(params, dbname)
            if server:
                log(f"using system server {describe(server.params)}")
                return server
    return start_project_cluster(dbname)


def connect_maintenance(server: Server, dbname: str) -> psycopg.Connection:
    """Connect to a database that exists: the URL's own, postgres, template1 or DBNAME."""
    candidates = [server.url_db] if server.url_db and server.url_db != dbname else []
    error = ""
    for db in dict.fromkeys([*candidates, "postgres", "template1", dbname]):
        try:
            return connect(server.params, db)
        except psycopg.Error as exc:
            error = first_line(exc)
            if "does not exist" not in error:
                break  # server-level failure: trying other databases won't help
            log(f"database {db} does not exist on {describe(server.params)}, trying another")
    die(f"cannot connect to server {describe(server.params)}: {error}")


def has_postgis(conn: psycopg.Connection) -> bool:
    return conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgis'").fetchone() is not None


def install_postgis(conn: psycopg.Connection, server: Server) -> None:
    """Step 4: apt-get install PostGIS for a local server when we are root."""
    major = int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000
    package = f"postgresql-{major}-postgis-3"
    if not (server.local and os.geteuid() == 0 and shutil.which("apt-get")):
        die(f"PostGIS is not available on {describe(server.params)}; install it on the server "
            f"(Debian/Ubuntu: apt-get install {package})")
    log(f"PostGIS missing; installing {package} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", package]):
        if subprocess.run(cmd, stdout=sys.stderr, env=env).returncode != 0:
            die(f"'{' '.join(cmd)}' failed; install {package} manually")
    if not has_postgis(conn):
        die(f"installed {package} but the server still does not offer the postgis extension")


def ensure_database(server: Server, dbname: str) -> None:
    """Step 5: create DBNAME if missing, then the postgis extension inside it."""
    with connect_maintenance(server, dbname) as conn:
        if not has_postgis(conn):
            install_postgis(conn, server)
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (dbname,)).fetchone()
        if not exists:
            log(f"creating database {dbname}")
            try:
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(dbname)))
            except psycopg.errors.DuplicateDatabase:
                pass  # created concurrently
    conn = try_connect(server.params, dbname) or die(f"cannot connect to database {dbname}")
    with conn:
        try:
            conn.execute("CREATE EXTENSION IF NOT EXISTS postgis")
        except psycopg.errors.UniqueViolation:
            pass  # created concurrently
        version = conn.execute("SELECT extversion FROM pg_extension WHERE extname = 'postgis'").fetchone()
    log(f"database {dbname} ready (postgis {version[0] if version else '?'})")


def default_dbname() -> str:
    """The database named in DATABASE_URL, else ``foodgrid``."""
    path = urlsplit(os.environ.get("DATABASE_URL", "")).path.lstrip("/")
    return path or "foodgrid"


def main(argv: list[str]) -> None:
    if len(argv) != 2 or not argv[1]:
        die("usage: python scripts/ensure_postgres.py DBNAME|--app|--test")
    dbname = {"--app": default_dbname(), "--test": default_dbname() + "_test"}.get(argv[1], argv[1])
    server = choose_server(dbname)
    ensure_database(server, dbname)
    print(server.url)


if __name__ == "__main__":
    main(sys.argv)
