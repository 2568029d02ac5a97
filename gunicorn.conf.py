"""gunicorn settings (DESIGN.md §10): threaded workers, since phones upload over slow links.

`make run` (scripts/stack.py) puts nginx in front, which reads slow uploads whole before
gunicorn sees them, and sets GUNICORN_BIND to a unix socket and GUNICORN_CONTROL_SOCKET
to a path in its run dir. Run directly (the benchmarks), gunicorn listens on HOST:PORT.
"""
import os

bind = os.environ.get("GUNICORN_BIND") or f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 60
# SIGTERM lets requests in flight finish for this long, then the workers are killed. Behind
# nginx a request reaches gunicorn only once its body is complete, so this is app time only.
graceful_timeout = 10
keepalive = 5
# TCP: each worker gets its own listening socket and the kernel spreads connections over
# them; otherwise one worker can take every long-lived connection (seen in the benchmark).
# A unix socket cannot be shared that way (each worker would replace the file): one socket.
reuse_port = not bind.startswith("unix:")
accesslog = "-"
errorlog = "-"
# Headers forwarded by a reverse proxy are trusted only from these addresses (a unix
# socket's peer is always trusted: only nginx can reach it).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
# gunicorn's maxima (its default request line is 4094 bytes): longer URLs and header fields
# than the app's own limits (MAX_URL_BYTES, MAX_HEADER_BYTES in backend/common/http.py) get
# a 414/431 problem+json from the app; only beyond these does gunicorn answer by itself.
limit_request_line = 8190
limit_request_field_size = 8190
if bind.startswith("unix:"):  # behind nginx: log the client's address, not the socket's empty one
    access_log_format = '%({x-forwarded-for}i)s - %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'
# gunicorn 27's control socket defaults to one path per user ($XDG_RUNTIME_DIR or
# ~/.gunicorn/gunicorn.ctl), which two runs on one machine would fight over: give each run
# its own (scripts/stack.py puts it in the run dir), or none.
if os.environ.get("GUNICORN_CONTROL_SOCKET"):
    control_socket = os.environ["GUNICORN_CONTROL_SOCKET"]
else:
    control_socket_disable = True


def when_ready(server):
    """With reuse_port the master holds no socket (each worker binds its own), so gunicorn's
    "Listening at:" line is empty; say where it really listens."""
    if server.cfg.reuse_port:
        addresses = ", ".join(f"http://{a[0]}:{a[1]}" if isinstance(a, tuple) else str(a) for a in server.cfg.address)
        server.log.info("Listening at: %s (each worker binds it with SO_REUSEPORT)", addresses)
