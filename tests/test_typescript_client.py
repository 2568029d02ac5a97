"""A client generated from the committed spec type-checks (openapi-typescript, `tsc --strict`):
`clients/typescript/check.ts` sends a check located by a GeoJSON Point and reads a list of
cells with their polygons, without a cast. The packages install from the committed lock file."""
import shutil
import subprocess
from pathlib import Path

CLIENT = Path(__file__).resolve().parent.parent / "clients" / "typescript"


def run(*command: str) -> subprocess.CompletedProcess:
    return subprocess.run(command, cwd=CLIENT, capture_output=True, text=True, timeout=300)


def test_generated_typescript_client_type_checks_without_casts():
    npm = shutil.which("npm")
    assert npm, "Node.js 20 and npm are needed for this check (README: what a machine needs)"
    installed = CLIENT / "node_modules" / ".package-lock.json"
    if not installed.exists() or installed.stat().st_mtime < (CLIENT / "package-lock.json").stat().st_mtime:
        install = run(npm, "ci", "--no-audit", "--no-fund")
        assert install.returncode == 0, install.stderr
    generate = run(npm, "run", "--silent", "generate")
    assert generate.returncode == 0, generate.stderr
    check = run(npm, "run", "--silent", "check")
    assert check.returncode == 0, check.stdout + check.stderr
