"""Login rate limits: per client address and per account, with counters shared by every
worker of a deployment (DESIGN.md §2, issue 11)."""
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

from tests.factories import PASSWORD
from tests.helpers import assert_problem

REPO = Path(__file__).resolve().parent.parent

# One app server process: its own create_app(), its own Limiter, configured from the
# environment as `make run` configures each gunicorn worker.
WORKER = """
import json, sys
from backend import create_app
client = create_app().test_client()
print(json.dumps([client.post("/api/v1/auth/login", json={}, environ_base={"REMOTE_ADDR": "198.51.100.9"})
                  .status_code for _ in range(int(sys.argv[1]))]))
"""


def run_worker(env: dict, requests: int) -> list[int]:
    done = subprocess.run([sys.executable, "-c", WORKER, str(requests)], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def storage_of_make_run() -> str:
    """What scripts/serve exports: the Redis that scripts/ensure_redis.py finds or starts."""
    env = {name: value for name, value in os.environ.items() if name not in ("RATELIMIT_STORAGE_URI", "REDIS_URL")}
    done = subprocess.run([sys.executable, "scripts/ensure_redis.py"], env=env, cwd=REPO,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_two_worker_processes_share_the_login_counters():
    storage = storage_of_make_run()
    assert storage.startswith("redis://")
    env = {**os.environ, "RATELIMIT_STORAGE_URI": storage, "LOGIN_RATE_PER_IP": "3 per minute",
           "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}", "DATABASE_URL": os.environ["TEST_DATABASE_URL"]}
    assert run_worker(env, 3) == [422, 422, 422]  # counted (the body is refused after the limiter)
    assert run_worker(env, 2) == [429, 429]  # another process sees the same counter


def test_make_run_exports_the_shared_storage():
    serve = (REPO / "scripts" / "serve").read_text()
    assert "scripts/ensure_redis.py" in serve and "export RATELIMIT_STORAGE_URI" in serve


def test_login_rate_limited_per_account_across_addresses(client, make_user, app):
    make_user(username="popular")
    limit = int(app.config["LOGIN_RATE_PER_ACCOUNT"].split()[0])
    for n in range(limit):
        response = client.post("/api/v1/auth/login", json={"username": "popular", "password": PASSWORD},
                               environ_base={"REMOTE_ADDR": f"203.0.113.{n + 1}"})
        assert response.status_code == 200
    refused = client.post("/api/v1/auth/login", json={"username": "POPULAR", "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "203.0.113.200"})
    assert_problem(refused, 429, "too_many_requests")
    other = client.post("/api/v1/auth/login", json={"username": "someone-else", "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "203.0.113.200"})
    assert other.status_code == 401  # another account from the same address is not affected
