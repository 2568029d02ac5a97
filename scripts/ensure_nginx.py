#!/usr/bin/env python3
"""Make sure an nginx binary is available and print its path.

Usage:  python scripts/ensure_nginx.py

`make run` puts nginx in front of gunicorn (scripts/stack.py): it buffers request bodies,
so a slow client holds an nginx connection, never one of gunicorn's threads.

Search order: ``NGINX`` (a path to the binary), then ``nginx`` on PATH, then /usr/sbin.
When none is found and we are root with apt-get, ``nginx-light`` is installed (after
``apt-get update``). Only the binary is used: the package's own configuration and service
are never touched (scripts/stack.py runs nginx with a generated config in the run dir).
Prints exactly one line on stdout; progress goes to stderr. Exits non-zero when it cannot
succeed. Idempotent.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import NoReturn

PACKAGE = "nginx-light"  # Debian's smallest build; has proxy, error_page, return (all we use)


def log(msg: str) -> None:
    print(f"ensure_nginx: {msg}", file=sys.stderr, flush=True)


def die(msg: str) -> NoReturn:
    log(f"ERROR: {msg}")
    sys.exit(1)


def find_nginx() -> str | None:
    explicit = os.environ.get("NGINX")
    if explicit:
        if not os.access(explicit, os.X_OK):
            die(f"NGINX={explicit} is not an executable file")
        return explicit
    found = shutil.which("nginx")
    if found:
        return found
    for candidate in (Path("/usr/sbin/nginx"), Path("/usr/local/sbin/nginx"), Path("/usr/local/nginx/sbin/nginx")):
        if os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def install() -> None:
    if not (os.geteuid() == 0 and shutil.which("apt-get")):
        die(f"nginx is not installed; install it (Debian/Ubuntu: apt-get install {PACKAGE}) "
            "or set NGINX=/path/to/nginx")
    log(f"nginx missing; installing {PACKAGE} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    wait_for_lock = ["-o", "DPkg::Lock::Timeout=120"]  # another apt on the machine: wait, don't fail
    install_cmd = ["apt-get", *wait_for_lock, "install", "-y", "--no-install-recommends", PACKAGE]
    if subprocess.run(install_cmd, stdout=sys.stderr, env=env).returncode != 0:
        # Usually stale or missing package lists (a fresh container): refresh them, then retry once.
        for cmd in (["apt-get", *wait_for_lock, "update"], install_cmd):
            if subprocess.run(cmd, stdout=sys.stderr, env=env).returncode != 0:
                die(f"'{' '.join(cmd)}' failed; install {PACKAGE} manually")


def main() -> None:
    nginx = find_nginx()
    if nginx is None:
        install()
        nginx = find_nginx() or die(f"installed {PACKAGE} but no nginx binary was found")
    print(nginx)


if __name__ == "__main__":
    main()
