"""gunicorn with the project's own settings (gunicorn.conf.py: gthread workers), on the bench port."""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
HOST, PORT = "127.0.0.1", 8099
BASE_URL = f"http://{HOST}:{PORT}"
READY_TIMEOUT_S = 60
STOP_TIMEOUT_S = 15  # gunicorn.conf.py's graceful_timeout is 10 s


@dataclass
class Server:
    base_url: str
    command: list[str]
    log_path: Path


def gunicorn_command(workers: int, threads: int) -> tuple[list[str], dict[str, str]]:
    """gunicorn.conf.py's settings (production's, reuse_port included), bound to the bench port."""
    command = [str(REPO / ".venv" / "bin" / "gunicorn"), "-c", str(REPO / "gunicorn.conf.py"),
               "--bind", f"{HOST}:{PORT}", "bench.wsgi_bench:app"]
    # WEB_WORKERS/WEB_THREADS are what gunicorn.conf.py reads; HOST/PORT are overridden by --bind.
    return command, {"WEB_WORKERS": str(workers), "WEB_THREADS": str(threads)}


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _wait_ready(process: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{_tail(log_path)}")
        try:
            with urllib.request.urlopen(f"{BASE_URL}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.3)
    raise RuntimeError(f"gunicorn did not answer /readyz within {READY_TIMEOUT_S} s:\n{_tail(log_path)}")


def _stop(process: subprocess.Popen) -> None:
    """SIGTERM to our own gunicorn master (graceful), SIGKILL if it hangs."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _require_free_port() -> None:
    """Refuse to start beside a leftover server: with SO_REUSEPORT both would share the port."""
    with socket.socket() as probe:
        probe.settimeout(1)
        if probe.connect_ex((HOST, PORT)) == 0:
            raise RuntimeError(f"something already listens on {HOST}:{PORT}; stop it (a previous bench?) first")


@contextmanager
def running_gunicorn(database_url: str, log_path: Path, *, workers: int, threads: int) -> Iterator[Server]:
    """gunicorn serving bench.wsgi_bench:app until the block ends, whatever happens in it.

    Its access and error logs go to `log_path`, not the terminal; the access log stays on
    because production has it.
    """
    _require_free_port()
    command, settings = gunicorn_command(workers, threads)
    # No `flask worker` runs beside the bench: /readyz must not wait for its heartbeat.
    env = {**os.environ, **settings, "DATABASE_URL": database_url, "WORKER_STALE_S": "0"}
    with open(log_path, "wb") as log:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_ready(process, log_path)
        yield Server(BASE_URL, command, log_path)
    finally:
        _stop(process)


def login(base_url: str, username: str, password: str) -> str:
    """One login (the endpoint allows 60 a minute per address); returns the access token."""
    body = json.dumps({"username": username, "password": password}).encode()
    request = urllib.request.Request(f"{base_url}/api/v1/auth/login", data=body, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.load(answer)["access_token"]
    except urllib.error.HTTPError as error:
        raise RuntimeError(f"bench login failed: {error.code} {error.read().decode(errors='replace')}") from error
