#!/usr/bin/env python3
"""Make sure a Redis server is reachable and print its URL (rate-limit counters shared by
every worker, DESIGN.md §2).

Usage:  python scripts/ensure_redis.py

Prints exactly one line on stdout, ``redis://HOST:PORT/0``; progress goes to stderr.
Exits non-zero when it cannot succeed. First match wins:
  1. ``RATELIMIT_STORAGE_URI`` (when it names Redis) or ``REDIS_URL``: used as given.
  2. The machine's server on 127.0.0.1:6379, if it answers PING.
     ``FOODGRID_SKIP_SYSTEM_REDIS=1`` skips this step (testing aid).
  3. A project-local server in ``<repo>/.redis`` on 127.0.0.1:``FOODGRID_LOCAL_REDISPORT``
     (default 63790), started with ``redis-server`` (nothing kept on disk: the counters
     are short-lived). As root with apt-get, ``redis-server`` is installed when missing.
Idempotent: a second run finds the server the first one started.
"""
from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import NoReturn

REPO = Path(__file__).resolve().parent.parent
REDIS_DIR = REPO / ".redis"


def log(msg: str) -> None:
    print(f"ensure_redis: {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> NoReturn:
    log(f"ERROR: {msg}")
    sys.exit(1)


def answers_ping(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1) as conn:
            conn.sendall(b"PING\r\n")
            return conn.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def configured() -> str | None:
    storage = os.environ.get("RATELIMIT_STORAGE_URI", "")
    if storage.startswith(("redis://", "rediss://", "redis+unix://")):
        return storage
    return os.environ.get("REDIS_URL") or None


def redis_server_binary() -> str:
    found = shutil.which("redis-server")
    if found:
        return found
    if not (os.geteuid() == 0 and shutil.which("apt-get")):
        die("no Redis reachable and 'redis-server' is not installed; install it "
            "(Debian/Ubuntu: apt-get install redis-server) or set REDIS_URL")
    log("redis-server missing; installing it with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for cmd in (["apt-get", "update"], ["apt-get", "install", "-y", "redis-server"]):
        if subprocess.run(cmd, stdout=sys.stderr, env=env).returncode != 0:
            die(f"'{' '.join(cmd)}' failed; install redis-server manually")
    return shutil.which("redis-server") or die("installed redis-server but cannot find it")


def start_project_server(port: int) -> None:
    REDIS_DIR.mkdir(exist_ok=True)
    log(f"starting a project-local redis-server on 127.0.0.1:{port} ({REDIS_DIR})")
    command = [redis_server_binary(), "--daemonize", "yes", "--bind", "127.0.0.1", "--port", str(port),
               "--dir", str(REDIS_DIR), "--save", "", "--appendonly", "no",
               "--pidfile", str(REDIS_DIR / "redis.pid"), "--logfile", str(REDIS_DIR / "redis.log")]
    if subprocess.run(command, stdout=sys.stderr).returncode != 0:
        die(f"redis-server failed to start; see {REDIS_DIR / 'redis.log'}")
    for _ in range(50):
        if answers_ping("127.0.0.1", port):
            return
        time.sleep(0.1)
    die(f"redis-server started but does not answer on port {port}; see {REDIS_DIR / 'redis.log'}")


def main() -> str:
    url = configured()
    if url:
        log("using RATELIMIT_STORAGE_URI / REDIS_URL")
        return url
    if os.environ.get("FOODGRID_SKIP_SYSTEM_REDIS") != "1" and answers_ping("127.0.0.1", 6379):
        log("using the machine's Redis on 127.0.0.1:6379")
        return "redis://127.0.0.1:6379/0"
    port = int(os.environ.get("FOODGRID_LOCAL_REDISPORT", "63790"))
    if not answers_ping("127.0.0.1", port):
        start_project_server(port)
    else:
        log(f"using the project-local Redis on 127.0.0.1:{port}")
    return f"redis://127.0.0.1:{port}/0"


if __name__ == "__main__":
    print(main())
