"""Per-install secrets kept in files outside git and outside the database.

`instance_secret(env, name)` returns the secret stored in
`<FOODGRID_SECRETS_DIR or <repo>/instance/secrets>/<name>`, creating it on first use.
Creation is atomic and never replaces an existing file (a private temporary file is
hard-linked into place), so concurrent workers starting together all read the one value
that won. Files are mode 0600 in a 0700 directory.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path

from backend.common.files import fsync_dir

INSTANCE_DIR = Path(__file__).resolve().parents[2] / "instance"


def secrets_dir(env: dict) -> Path:
    return Path(env.get("FOODGRID_SECRETS_DIR") or INSTANCE_DIR / "secrets")


def instance_secret(env: dict, name: str) -> str:
    """The secret `name` of this install, created (256 bits, URL-safe text) when missing."""
    directory = secrets_dir(env)
    path = directory / name
    try:
        return _read(path)
    except FileNotFoundError:
        pass
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = directory / f".{name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(temporary, path)  # fails if another process got there first: theirs wins
        except FileExistsError:
            pass
    finally:
        temporary.unlink(missing_ok=True)
    fsync_dir(directory)
    return _read(path)


def _read(path: Path) -> str:
    value = path.read_text(encoding="utf-8").strip()
    if not value:
        raise RuntimeError(f"the secret file {path} is empty; remove it to have a new secret made")
    return value

