"""gunicorn settings (DESIGN.md §10): threaded workers, since phones upload over slow links."""
import os

bind = f"{os.environ.get('HOST', '127.0.0.1')}:{os.environ.get('PORT', '8000')}"
worker_class = "gthread"
workers = int(os.environ.get("WEB_WORKERS", "2"))
threads = int(os.environ.get("WEB_THREADS", "8"))
timeout = 60
graceful_timeout = 30
keepalive = 5
# Each worker gets its own listening socket and the kernel spreads connections over them;
# otherwise one worker can take every long-lived connection (seen in the benchmark).
reuse_port = True
accesslog = "-"
errorlog = "-"
# Headers forwarded by a reverse proxy are trusted only from these addresses.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
