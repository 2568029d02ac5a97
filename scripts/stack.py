#!/usr/bin/env python3
"""`make run`'s processes: nginx in front, gunicorn behind it, `flask worker` beside them.

Usage:  python scripts/stack.py [--run-dir DIR] [--host HOST] [--port PORT]

scripts/serve prepares the database and then runs this; tests/test_stack.py runs it too,
on free ports in a temporary run dir. Everything of one run lives in its run dir (default
``.run/<PORT>``): nginx's generated config, pid, logs and body buffers, gunicorn's unix
socket and control socket. Nothing outside it is written, so two runs on two ports never
collide, and no root-owned global config is touched.

- **nginx** listens on HOST:PORT and proxies to gunicorn's unix socket. It reads each
  request body whole (to memory, or a temp file past 128 KiB) before gunicorn sees a byte,
  so a client that dribbles its body holds an nginx connection, never a gunicorn thread.
  Its own errors (400, 404, 405, 408, 413, 414, 431, 500, 502, 503, 504) are problem+json;
  the 405 it gives TRACE (which it refuses itself) carries the `Allow` the app would give,
  from a map of the app's routes written into the config at start.
- **gunicorn** (gunicorn.conf.py) serves the app on ``RUN_DIR/gunicorn.sock``; the app
  trusts exactly one proxy (``TRUSTED_PROXIES=1``): the client address used for rate
  limits and audit rows is the one nginx saw.
- **flask worker** is restarted whenever it ends, after 1 s, doubling up to 30 s while it
  keeps dying young; its heartbeat tells /readyz it is alive.

SIGINT (Ctrl-C), SIGTERM or SIGHUP stop all three within STOP_TIMEOUT_S: nginx first
(gracefully, then fast), then gunicorn (gracefully: nginx's connections are gone by then),
and the worker (finishes its batch); whatever is still running at the deadline is killed,
process group and all. A second Ctrl-C kills at once. Each child runs in its own session,
so a terminal's Ctrl-C reaches only this supervisor, which stops them in that order, and
each gets SIGTERM from the kernel should the supervisor itself die (PR_SET_PDEATHSIG).
If nginx or gunicorn ends by itself, everything stops and the exit status is 1.
"""
from __future__ import annotations

import argparse
import ctypes
import json
import os
import pwd
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BIN = REPO / ".venv" / "bin"
STOP_TIMEOUT_S = 10.0  # Ctrl-C to everything gone
READY_TIMEOUT_S = 90.0
WORKER_BACKOFF_S = (1.0, 30.0)  # first restart delay, cap
WORKER_HEALTHY_S = 60.0  # a worker that ran this long restarts after the first delay again
DEFAULT_MAX_BODY = 16 * 1024 * 1024  # backend/config.py's MAX_BODY_BYTES default

# nginx's own error answers, as RFC 9457 problems (the app's own errors pass through untouched).
NGINX_PROBLEMS = {
    400: ("bad_request", "Bad request", "The request could not be parsed."),
    404: ("not_found", "Not found", "No such resource."),
    405: ("method_not_allowed", "Method not allowed", "The method is not allowed for the requested URL."),
    408: ("request_timeout", "Request timeout", "The client sent the request too slowly."),
    413: ("payload_too_large", "Payload too large", "The request body is larger than the service accepts."),
    414: ("uri_too_long", "URI too long", "The request line is longer than the service accepts."),
    431: ("request_header_fields_too_large", "Request header fields too large",
          "A request header is longer than the service accepts."),
    500: ("internal_error", "Internal server error", "The front server failed."),
    502: ("bad_gateway", "Bad gateway", "The application server is not answering; retry shortly."),
    503: ("service_unavailable", "Service unavailable", "The service is unavailable; retry shortly."),
    504: ("gateway_timeout", "Gateway timeout", "The application server took too long to answer."),
}
# nginx's internal 494 ("request header too large") is answered as 431.
NGINX_ERROR_STATUSES = {400: 400, 404: 404, 405: 405, 408: 408, 413: 413, 414: 414, 494: 431, 500: 500, 502: 502,
                        503: 503, 504: 504}
PROBLEM_PREFIX = "/__nginx_problem/"  # internal locations; asked for from outside, they are 404 (problem+json)


def log(msg: str) -> None:
    print(f"stack: {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------- configuration

@dataclass
class Settings:
    run_dir: Path
    host: str
    port: int
    max_body: int
    user: str | None = None  # nginx workers' user when we are root

    @property
    def socket(self) -> Path:
        return self.run_dir / "gunicorn.sock"

    @property
    def base_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"


def problem_body(status: int) -> str:
    code, title, detail = NGINX_PROBLEMS[status]
    return json.dumps({"type": "about:blank", "title": title, "status": status, "code": code, "detail": detail},
                      separators=(",", ":"))


# Asks the app for its routes: (path regex, Allow) for each, static paths first (as Werkzeug
# prefers them); a converter's part is the converter's own regex.
_ROUTES_PROGRAM = r"""
import json, re, sys
from backend import create_app
app = create_app()
adapter = app.url_map.bind("localhost")
static, dynamic = [], []
for rule in app.url_map.iter_rules():
    if not rule.arguments:
        methods = adapter.allowed_methods(rule.rule)
        static.append(("^" + re.escape(rule.rule) + "$", ", ".join(sorted(methods))))
        continue
    parts, at = [], 0
    for match in re.finditer(r"<(?:[^:<>]+:)?([^<>]+)>", rule.rule):
        parts += [re.escape(rule.rule[at:match.start()]), "(?:" + rule._converters[match.group(1)].regex + ")"]
        at = match.end()
    parts.append(re.escape(rule.rule[at:]))
    dynamic.append(("^" + "".join(parts) + "$", ", ".join(sorted(rule.methods))))
json.dump(static + dynamic, sys.stdout)
"""


def app_routes() -> list[tuple[str, str]]:
    """(path regex, Allow header) for each of the app's routes, in matching order."""
    env = {**os.environ, "FLASK_APP": "wsgi.py"}
    out = subprocess.run([str(BIN / "python"), "-c", _ROUTES_PROGRAM], cwd=REPO, env=env, check=True,
                         capture_output=True, text=True).stdout
    return [tuple(route) for route in json.loads(out)]


def allow_map(routes: list[tuple[str, str]]) -> str:
    """nginx maps giving $foodgrid_allow: the app's Allow for the request's path ("" when no route has it)."""
    def quoted(text: str) -> str:
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    lines = "\n".join(f"        {quoted('~' + regex)} {quoted(allow)};" for regex, allow in routes)
    # $request_uri, not $uri: after error_page's internal redirect $uri is the problem location's.
    return ("    map $request_uri $foodgrid_path {\n"
            "        \"~^(?<path>[^?]*)\" $path;\n"
            "    }\n"
            "    map $foodgrid_path $foodgrid_allow {\n"
            "        default \"\";\n"
            f"{lines}\n"
            "    }")


def nginx_conf(s: Settings, routes: list[tuple[str, str]] | None = None) -> str:
    """nginx's configuration for one run; every path it writes is under the run dir.

    `routes` (default: asked of the app) gives the `Allow` of nginx's own 405s.
    """
    routes = app_routes() if routes is None else routes
    tmp = s.run_dir / "nginx-tmp"
    listen = f"[{s.host}]:{s.port}" if ":" in s.host else f"{s.host}:{s.port}"
    user = f"user {s.user};\n" if s.user else ""
    # A URI, not a named location: errors met while reading the request line have no URI
    # yet, and nginx refuses to redirect those to a named location. `=status` makes the
    # status line match the body (nginx would answer its internal 494 as 400).
    # 405's location answers 404 for a path the app has no route for: its `=` keeps that status.
    error_pages = "\n".join(f"        error_page {code} ={'' if status == 405 else status} {PROBLEM_PREFIX}{status};"
                            for code, status in NGINX_ERROR_STATUSES.items())
    problems = "\n".join(
        f"        location = {PROBLEM_PREFIX}{status} {{\n"
        f"            internal;\n"
        f"            default_type application/problem+json;\n"
        f"            add_header Cache-Control no-store always;\n"
        + (f"            # A method nginx refuses itself (TRACE): the app's answer for that path, a 405\n"
           f"            # with the route's methods in Allow, or 404 where it has no route.\n"
           f"            if ($foodgrid_allow = \"\") {{\n"
           f"                return 404 '{problem_body(404)}';\n"
           f"            }}\n"
           f"            add_header Allow $foodgrid_allow always;\n" if status == 405 else "")
        + f"            return {status} '{problem_body(status)}';\n"
        f"        }}" for status in sorted(NGINX_PROBLEMS))
    return f"""# Generated by scripts/stack.py for one `make run`; rewritten at every start.
daemon off;
master_process on;
worker_processes 1;
{user}pid {s.run_dir}/nginx.pid;
error_log {s.run_dir}/nginx-error.log warn;

events {{
    worker_connections 4096;
}}

http {{
    default_type application/octet-stream;
    access_log {s.run_dir}/nginx-access.log;
    server_tokens off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;

    # Slow clients: a request body is read whole here (memory up to 128 KiB, then a temp
    # file) before gunicorn sees the request, so dribbling clients hold no app thread.
    # The app's MAX_BODY_BYTES stays the authority; this limit equals it.
    client_max_body_size {s.max_body};
    client_body_buffer_size 128k;
    client_header_buffer_size 1k;
    large_client_header_buffers 4 8k;  # a request line over 8 KiB is 414, a header 431
    client_header_timeout 30s;
    client_body_timeout 30s;  # between two reads, not for the whole body
    send_timeout 30s;
    keepalive_timeout 15s;
    reset_timedout_connection on;

{allow_map(routes)}

    upstream foodgrid_app {{
        server unix:{s.socket};
        keepalive 16;
        keepalive_timeout 4s;  # under gunicorn's keepalive (5 s): nginx never reuses a closed one
    }}

    server {{
        listen {listen};
        server_name _;
{error_pages}

        location / {{
            proxy_pass http://foodgrid_app;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $http_host;
            # The app trusts one proxy (TRUSTED_PROXIES=1): the last X-Forwarded-For entry,
            # the address nginx saw, is the client's; what a client wrote before it is ignored.
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Host $http_host;
            # gunicorn trusts its unix socket's peer for these scheme headers: only nginx sets them.
            proxy_set_header X-Forwarded-Ssl "";
            proxy_set_header X-Forwarded-Protocol "";
            proxy_request_buffering on;
            proxy_buffering on;
            proxy_buffer_size 16k;
            proxy_buffers 32 16k;
            proxy_connect_timeout 5s;
            proxy_send_timeout 30s;
            proxy_read_timeout 90s;  # gunicorn's own worker timeout is 60 s
        }}

{problems}
    }}
}}
"""


def settings_from(args: argparse.Namespace) -> Settings:
    run_dir = Path(args.run_dir or os.environ.get("RUN_DIR") or REPO / ".run" / str(args.port)).resolve()
    max_body = int(os.environ.get("MAX_BODY_BYTES") or DEFAULT_MAX_BODY)
    user = None
    if os.geteuid() == 0:  # nginx's workers would become `nobody`, who may not reach the run dir
        owner = pwd.getpwuid(REPO.stat().st_uid)
        user = f"{owner.pw_name} {_group_name(owner.pw_gid)}"
    return Settings(run_dir=run_dir, host=args.host, port=args.port, max_body=max_body, user=user)


def _group_name(gid: int) -> str:
    import grp

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def prepare_run_dir(s: Settings) -> Path:
    """Create the run dir, refuse one a live run is using, write nginx.conf; its path."""
    s.run_dir.mkdir(parents=True, exist_ok=True)
    pid_file = s.run_dir / "nginx.pid"
    if pid_file.exists():
        try:
            pid = int(pid_file.read_text().strip())
            os.kill(pid, 0)
        except (ValueError, ProcessLookupError, PermissionError):
            pid_file.unlink(missing_ok=True)  # left by a run that was killed
        else:
            raise SystemExit(f"stack: {s.run_dir} is in use by a running nginx (pid {pid}); "
                             f"stop that run or choose another PORT/RUN_DIR")
    s.socket.unlink(missing_ok=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (s.run_dir / "nginx-tmp" / sub).mkdir(parents=True, exist_ok=True)
    conf = s.run_dir / "nginx.conf"
    conf.write_text(nginx_conf(s))
    return conf


# ---------------------------------------------------------------- processes

def _die_with_parent() -> None:
    """In the child: SIGTERM when the supervisor dies (Linux PR_SET_PDEATHSIG)."""
    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass


@dataclass
class Child:
    name: str
    command: list[str]
    env: dict[str, str]
    process: subprocess.Popen | None = None
    started: float = 0.0

    def start(self) -> None:
        self.process = subprocess.Popen(self.command, cwd=REPO, env=self.env, start_new_session=True,
                                        preexec_fn=_die_with_parent)
        self.started = time.monotonic()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process else None

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def signal(self, number: int, group: bool = False) -> None:
        if not self.process:
            return
        try:
            if group:
                os.killpg(self.process.pid, number)  # the child leads its own process group
            elif self.running():
                self.process.send_signal(number)
        except (ProcessLookupError, PermissionError):
            pass


@dataclass
class Stack:
    settings: Settings
    nginx: Child
    web: Child
    worker: Child
    stopping: bool = False
    interrupts: int = 0
    worker_delay: float = WORKER_BACKOFF_S[0]
    worker_restart_at: float | None = None

    def on_signal(self, number, _frame) -> None:
        self.interrupts += 1
        if self.interrupts > 1:
            log("second interrupt: killing everything now")
            for child in (self.nginx, self.web, self.worker):
                child.signal(signal.SIGKILL, group=True)
        self.stopping = True

    def start(self) -> None:
        self.worker.start()  # first: its import takes longest, and /readyz waits for its heartbeat
        log(f"worker: flask worker (pid {self.worker.pid})")
        self.web.start()
        log(f"gunicorn (pid {self.web.pid}) on unix:{self.settings.socket}")
        self.nginx.start()
        log(f"nginx (pid {self.nginx.pid}) on {self.settings.base_url}, config {self.settings.run_dir}/nginx.conf")

    def supervise(self) -> int:
        """Until a signal: restart the worker when it ends; stop all if nginx or gunicorn does."""
        while not self.stopping:
            for child in (self.nginx, self.web):
                if not child.running():
                    log(f"{child.name} exited with status {child.process.returncode}; stopping everything")
                    self.stop()
                    return 1
            self._watch_worker()
            time.sleep(0.2)
        self.stop()
        return 0

    def _watch_worker(self) -> None:
        now = time.monotonic()
        if self.worker_restart_at is not None:
            if now >= self.worker_restart_at:
                self.worker_restart_at = None
                self.worker.start()
                log(f"worker restarted (pid {self.worker.pid})")
            return
        if self.worker.running():
            return
        lived = now - self.worker.started
        if lived >= WORKER_HEALTHY_S:
            self.worker_delay = WORKER_BACKOFF_S[0]
        log(f"worker (pid {self.worker.pid}) exited with status {self.worker.process.returncode} after "
            f"{lived:.0f} s; restarting in {self.worker_delay:.0f} s")
        self.worker_restart_at = now + self.worker_delay
        self.worker_delay = min(self.worker_delay * 2, WORKER_BACKOFF_S[1])

    def stop(self) -> None:
        """nginx, then gunicorn, and the worker, all within STOP_TIMEOUT_S."""
        self.stopping = True
        deadline = time.monotonic() + STOP_TIMEOUT_S
        log("stopping nginx, gunicorn and the worker")
        self.worker.signal(signal.SIGTERM)  # finishes its batch (a transaction: seconds at most)
        self.nginx.signal(signal.SIGQUIT)  # graceful: answers in flight, accepts nothing new
        if not _wait(self.nginx, min(deadline, time.monotonic() + 3)):
            self.nginx.signal(signal.SIGTERM)  # fast: closes what is left (slow uploads)
            _wait(self.nginx, min(deadline, time.monotonic() + 1))
        self.web.signal(signal.SIGTERM)  # graceful; nothing can reach it any more
        if not _wait(self.web, deadline - 1):
            self.web.signal(signal.SIGINT)  # quick shutdown
            _wait(self.web, deadline)
        _wait(self.worker, deadline)
        for child in (self.nginx, self.web, self.worker):
            if child.running() and child.process:
                log(f"{child.name} (pid {child.pid}) still running at the deadline: killed")
            child.signal(signal.SIGKILL, group=True)  # also any orphaned gunicorn or nginx worker
            if child.process:
                child.process.wait()
        self.settings.socket.unlink(missing_ok=True)
        log("stopped")


def _wait(child: Child, until: float) -> bool:
    while child.running():
        if time.monotonic() >= until:
            return False
        time.sleep(0.05)
    return True


def build(s: Settings, nginx_binary: str, conf: Path) -> Stack:
    env = dict(os.environ)
    env.setdefault("FLASK_APP", "wsgi.py")
    # Exactly one proxy (nginx) is in front, unless the operator says there are more.
    if int(env.get("TRUSTED_PROXIES") or 0) < 1:
        env["TRUSTED_PROXIES"] = "1"
    web_env = {**env, "GUNICORN_BIND": f"unix:{s.socket}",
               "GUNICORN_CONTROL_SOCKET": str(s.run_dir / "gunicorn.ctl")}
    nginx = Child("nginx", [nginx_binary, "-p", f"{s.run_dir}/", "-c", str(conf), "-e", "stderr"], env)
    web = Child("gunicorn", [str(BIN / "gunicorn"), "--config", str(REPO / "gunicorn.conf.py"), "wsgi:app"],
                web_env)
    worker = Child("worker", [str(BIN / "flask"), "worker"], env)
    return Stack(s, nginx, web, worker)


def wait_ready(stack: Stack) -> bool:
    """Until /healthz answers through nginx (or a process ends)."""
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and not stack.stopping:
        if not (stack.nginx.running() and stack.web.running()):
            return False
        try:
            with urllib.request.urlopen(f"{stack.settings.base_url}/healthz", timeout=2) as answer:
                if answer.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--run-dir", help="default: RUN_DIR, else .run/<port>")
    parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ensure_nginx import main as ensure_nginx_main  # noqa: E402 - a sibling script

    settings = settings_from(args)
    nginx_binary = _capture(ensure_nginx_main)
    conf = prepare_run_dir(settings)
    check = subprocess.run([nginx_binary, "-t", "-q", "-p", f"{settings.run_dir}/", "-c", str(conf), "-e", "stderr"])
    if check.returncode != 0:
        log(f"nginx refused {conf}")
        return 1
    stack = build(settings, nginx_binary, conf)
    for number in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(number, stack.on_signal)
    stack.start()
    if wait_ready(stack):
        log(f"ready: {settings.base_url}/api/v1/docs (Ctrl-C stops everything)")
    return stack.supervise()


def _capture(function) -> str:
    """Run ensure_nginx.main() and return what it printed."""
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        function()
    return out.getvalue().strip()


if __name__ == "__main__":
    sys.exit(main())
