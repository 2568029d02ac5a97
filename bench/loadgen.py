"""HTTP load with wrk: installing it, feeding it the points, reading its report."""
from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

LUA_SCRIPT = Path(__file__).resolve().parent / "locate.lua"
CHECKS_SCRIPT = Path(__file__).resolve().parent / "checks.lua"
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_DURATION = r"([\d.]+)(us|ms|s|m|h)"


class WrkError(RuntimeError):
    pass


@dataclass
class WrkResult:
    requests_per_s: float
    requests: int
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: dict[str, int] = field(default_factory=dict)
    command: str = ""

    @property
    def failures(self) -> int:
        return self.non_2xx + sum(self.socket_errors.values())


def ensure_wrk() -> str:
    """wrk's path; installed from Debian's package when missing and we are root with apt-get."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise WrkError("wrk is not installed; install it (Debian/Ubuntu: apt-get install wrk) and rerun")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", "wrk"]):
        if subprocess.run(command, env=env, stdout=sys.stderr).returncode != 0:  # stdout is the report
            raise WrkError(f"'{' '.join(command)}' failed; install wrk by hand")
    found = shutil.which("wrk")
    if not found:
        raise WrkError("apt-get installed wrk but it is not on PATH")
    return found


def write_points(points: list[tuple[float, float]], directory: Path) -> Path:
    """The points as a Lua table for locate.lua; strings keep every digit as written."""
    path = directory / "points.lua"
    body = ",\n".join(f'  {{"{lon:.7f}", "{lat:.7f}"}}' for lon, lat in points)
    path.write_text(f"return {{\n{body}\n}}\n")
    return path


def _ms(value: str, unit: str) -> float:
    return float(value) * _UNIT_MS[unit]


def parse(output: str) -> WrkResult:
    """Requests/s, p50/p99 (from --latency) and errors out of wrk's text report."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p50 = re.search(r"^\s+50(?:\.000)?%\s+" + _DURATION, output, re.M)
    p99 = re.search(r"^\s+99(?:\.000)?%\s+" + _DURATION, output, re.M)
    if not (rate and total and p50 and p99):
        raise WrkError(f"could not read wrk's report:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    sockets = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    socket_errors = dict(zip(("connect", "read", "write", "timeout"), map(int, sockets.groups()))) if sockets else {}
    return WrkResult(float(rate.group(1)), int(total.group(1)), round(_ms(*p50.groups()), 3),
                     round(_ms(*p99.groups()), 3), int(non_2xx.group(1)) if non_2xx else 0, socket_errors)


@dataclass
class Load:
    """How hard to push: wrk threads and connections, and for how long."""

    threads: int
    connections: int
    duration_s: int
    warmup_s: int


def wrk_command(wrk: str, base_url: str, path: str, points_file: Path, *, threads: int, connections: int,
                duration_s: int, token: str | None, script: Path = LUA_SCRIPT) -> list[str]:
    command = [wrk, f"-t{threads}", f"-c{connections}", f"-d{duration_s}s", "--latency", "--timeout", "10s",
               "-s", str(script)]
    if token:
        command += ["-H", f"Authorization: Bearer {token}"]
    return [*command, base_url, "--", path, str(points_file)]


def run(wrk: str, base_url: str, path: str, points_file: Path, load: Load, token: str | None = None,
        script: Path = LUA_SCRIPT) -> WrkResult:
    """A warm-up (pools filled, plans cached, pages in memory) thrown away, then the measured run."""
    for duration in (load.warmup_s, load.duration_s):
        command = wrk_command(wrk, base_url, path, points_file, threads=load.threads,
                              connections=load.connections, duration_s=duration, token=token, script=script)
        finished = subprocess.run(command, capture_output=True, text=True)
        if finished.returncode != 0:
            raise WrkError(f"wrk failed ({finished.returncode}): {finished.stderr or finished.stdout}")
    result = parse(finished.stdout)
    shown = [part if not part.startswith("Authorization:") else "Authorization: Bearer $TOKEN" for part in command]
    result.command = shlex.join(shown)
    return result
