"""`make run`'s processes for real (scripts/stack.py, as scripts/serve runs it): nginx in
front of gunicorn on free ports in a temporary run dir, with `flask worker` beside them.
Slow uploads hold no app thread, nginx's own errors are problem+json, the app sees the real
client's address, a killed worker comes back, and a Ctrl-C stops everything in seconds.
The stack is started once for the module and always stopped (killed if need be)."""
from __future__ import annotations

import http.client
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from backend.extensions import db
from tests.conftest import database_url_for_tests

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 90  # app imports are slow on a busy 2-core machine
WEB_THREADS = 4  # fewer app threads than slow clients: without nginx they would starve it
SLOW_CLIENTS = 32


def _load_stack_module():
    if "foodgrid_stack" not in sys.modules:
        spec = importlib.util.spec_from_file_location("foodgrid_stack", ROOT / "scripts" / "stack.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules["foodgrid_stack"] = module  # dataclasses look their module up
        spec.loader.exec_module(module)
    return sys.modules["foodgrid_stack"]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(port, method, path, *, body=None, headers=None, source="127.0.0.1", timeout=5.0):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(source, 0))
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.read()
    finally:
        connection.close()


def _raw(port, data: bytes, timeout=5.0) -> tuple[int, str, dict]:
    """Send raw bytes and read nginx's answer (headers, then Content-Length bytes)."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as sock:
        sock.sendall(data)
        answer = b""
        while b"\r\n\r\n" not in answer:
            answer += sock.recv(65536) or b"\r\n\r\n"
        head, _, body = answer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {name.lower(): value for name, value in (line.split(": ", 1) for line in lines[1:] if ": " in line)}
        while len(body) < int(headers.get("content-length", 0)):
            chunk = sock.recv(65536)
            assert chunk, "connection closed before the whole answer"
            body += chunk
    return int(lines[0].split()[1]), headers.get("content-type", ""), json.loads(body)


def _processes():
    """(pid, fields of /proc/<pid>/stat after the command name) of every live process."""
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                yield int(entry.name), (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue


def _children(pid: int) -> list[int]:
    return [child for child, fields in _processes() if int(fields[1]) == pid]


def _in_sessions(sessions: set[int]) -> list[int]:
    """Processes still alive in any of these sessions (each child of the stack leads one)."""
    return [pid for pid, fields in _processes() if fields[0] != "Z" and int(fields[3]) in sessions]


class Running:
    def __init__(self, process, port, run_dir, log_path):
        self.process, self.port, self.run_dir, self.log_path = process, port, run_dir, log_path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-4000:]

    def readyz(self):
        status, _, body = _request(self.port, "GET", "/readyz")
        return status, json.loads(body)


@pytest.fixture(scope="module")
def stack(app, tmp_path_factory):
    tmp = tmp_path_factory.mktemp("stack")
    port, log_path = _free_port(), tmp / "stack.log"
    env = {**os.environ, "DATABASE_URL": database_url_for_tests(), "FLASK_APP": "wsgi.py",
           "WEB_WORKERS": "1", "WEB_THREADS": str(WEB_THREADS), "LOGIN_RATE_PER_IP": "3 per minute",
           "TRUSTED_PROXIES": "", "WORKER_STALE_S": "60"}
    with log_path.open("wb") as log_file:
        process = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "stack.py"), "--run-dir",
                                    str(tmp / "run"), "--port", str(port)],
                                   cwd=ROOT, env=env, stdout=log_file, stderr=subprocess.STDOUT)
    running = Running(process, port, tmp / "run", log_path)
    sessions = set()
    try:
        deadline = time.monotonic() + START_TIMEOUT_S
        while "stack: ready" not in running.log():
            assert process.poll() is None, running.log()
            assert time.monotonic() < deadline, running.log()
            time.sleep(0.2)
        sessions = set(_children(process.pid))
        running.sessions = sessions
        yield running
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        for pid in _in_sessions(sessions):  # never leave anything behind, even after a failure
            os.kill(pid, signal.SIGKILL)
        with app.app_context():
            db.session.execute(text("DELETE FROM worker_heartbeats"))
            db.session.commit()
            db.session.remove()


def test_generated_nginx_config_buffers_bodies_up_to_the_apps_limit(tmp_path):
    stack_module = _load_stack_module()
    settings = stack_module.Settings(run_dir=tmp_path, host="127.0.0.1", port=1, max_body=12345)
    conf = stack_module.nginx_conf(settings, routes=[("^/healthz$", "GET, HEAD, OPTIONS")])
    assert "client_max_body_size 12345;" in conf and "proxy_request_buffering on;" in conf
    assert f"server unix:{tmp_path}/gunicorn.sock;" in conf
    assert all(f"{tmp_path}/" in line for line in conf.splitlines()
               if line.strip().split(" ")[0] in ("pid", "error_log", "access_log", "client_body_temp_path"))


@pytest.mark.committing
def test_slow_uploads_do_not_starve_other_requests(stack):
    header = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
              b"Content-Length: 1000\r\n\r\n")
    dribblers = [socket.create_connection(("127.0.0.1", stack.port), timeout=5) for _ in range(SLOW_CLIENTS)]
    answers = []
    try:
        for sock in dribblers:
            sock.sendall(header)
        for _second in range(8):  # each slow client sends a byte a second; a healthz meanwhile
            for sock in dribblers:
                sock.sendall(b" ")
            status, _, body = _request(stack.port, "GET", "/healthz", timeout=5.0)
            answers.append((status, json.loads(body)))
            time.sleep(1)
    finally:
        for sock in dribblers:
            sock.close()
    assert answers == [(200, {"status": "ok"})] * 8


@pytest.mark.committing
def test_nginx_answers_a_long_request_line_with_problem_json(stack):
    status, content_type, body = _raw(stack.port, b"GET /" + b"a" * 10_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert (status, content_type, body["status"], body["code"]) == (414, "application/problem+json", 414,
                                                                    "uri_too_long")


@pytest.mark.committing
def test_nginx_answers_a_body_over_the_limit_with_problem_json(stack):
    request = (b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
               b"Content-Length: %d\r\n\r\n" % (16 * 1024 * 1024 + 1))
    status, content_type, body = _raw(stack.port, request)
    assert (status, content_type, body["status"], body["code"]) == (413, "application/problem+json", 413,
                                                                    "payload_too_large")


@pytest.mark.committing
def test_nginx_answers_a_header_too_large_with_problem_json(stack):
    status, content_type, body = _raw(stack.port, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: "
                                      + b"b" * 10_000 + b"\r\n\r\n")
    assert (status, content_type, body["status"]) == (431, "application/problem+json", 431)


def _answer(port, method, path):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), response.getheader("Allow"), response.read()
    finally:
        connection.close()


def _methods(allow: str | None) -> set[str]:
    return {m.strip() for m in (allow or "").split(",") if m.strip()}


@pytest.mark.committing
@pytest.mark.parametrize("path, unsupported", [
    ("/healthz", "DELETE"),
    ("/api/v1/cells/generate", "PUT"),
    ("/api/v1/cells/94757f7c-49fa-4a56-9189-3e3ca3b84346?x=1", "PUT"),
    ("/api/v1/calendar/days/2026-01-01", "POST"),
    ("/api/v1/checks:batch", "GET"),
])
def test_trace_is_a_problem_405_with_the_allow_the_app_gives(stack, path, unsupported):
    """nginx refuses TRACE itself; its 405 says what the app says for another unsupported method."""
    app_status, _, app_allow, _ = _answer(stack.port, unsupported, path)
    status, content_type, allow, body = _answer(stack.port, "TRACE", path)
    assert app_status == 405 and _methods(app_allow)
    assert (status, content_type, json.loads(body)["code"]) == (405, "application/problem+json",
                                                                "method_not_allowed")
    assert _methods(allow) == _methods(app_allow)


@pytest.mark.committing
def test_trace_on_a_path_the_app_does_not_have_is_a_problem_404(stack):
    assert _answer(stack.port, "PUT", "/api/v1/nope")[0] == 404
    status, content_type, allow, body = _answer(stack.port, "TRACE", "/api/v1/nope")
    assert (status, content_type, allow, json.loads(body)["code"]) == (404, "application/problem+json", None,
                                                                       "not_found")


@pytest.mark.committing
def test_the_app_sees_the_real_client_address_not_nginx_or_a_spoofed_one(stack):
    def login(source, spoof):
        status, _, _ = _request(stack.port, "POST", "/api/v1/auth/login", source=source,
                                body=json.dumps({"username": "nobody-here", "password": "wrong"}),
                                headers={"Content-Type": "application/json", "X-Forwarded-For": spoof})
        return status

    # LOGIN_RATE_PER_IP is 3 a minute: spoofed X-Forwarded-For values do not make new buckets…
    assert [login("127.0.0.2", f"10.0.0.{n}") for n in range(4)] == [401, 401, 401, 429]
    # …and another client (nginx sees another address) has a bucket of its own.
    assert login("127.0.0.3", "10.0.0.1") == 401


@pytest.mark.committing
def test_a_killed_worker_is_restarted_and_readyz_sees_it(stack):
    status, body = stack.readyz()
    assert status == 200, body
    first = body["worker"]["pid"]
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + START_TIMEOUT_S
    while True:
        status, body = stack.readyz()
        if status == 200 and body["worker"]["pid"] != first:
            break
        assert time.monotonic() < deadline, stack.log()
        time.sleep(0.5)
    assert "worker restarted" in stack.log()


@pytest.mark.committing
def test_ctrl_c_stops_nginx_gunicorn_and_the_worker_within_seconds(stack):
    # A client in the middle of an upload, as in the reported 30 s shutdown.
    dribbler = socket.create_connection(("127.0.0.1", stack.port), timeout=5)
    dribbler.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    stack.sessions |= set(_children(stack.process.pid))  # the worker is a new one by now
    try:
        assert len(_in_sessions(stack.sessions)) >= 5  # nginx 2, gunicorn 2, worker
        stack.process.send_signal(signal.SIGINT)
        assert stack.process.wait(timeout=15) == 0, stack.log()
    finally:
        dribbler.close()
    assert _in_sessions(stack.sessions) == [], stack.log()
    assert "killed" not in stack.log().split("stack: stopping", 1)[1]  # all stopped by themselves
    assert not (stack.run_dir / "gunicorn.sock").exists()
