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
# gunicorn's maxima (its default request line is 4094 bytes): longer URLs and header fields
# than the app's own limits (MAX_URL_BYTES, MAX_HEADER_BYTES in backend/common/http.py) get
# a 414/431 problem+json from the app; only beyond these does gunicorn answer by itself.
limit_request_line = 8190
limit_request_field_size = 8190
