"""Per-install secrets (backend/common/instance_secrets.py) and the audit settings."""
import stat
from concurrent.futures import ThreadPoolExecutor

import pytest

from backend.common.instance_secrets import instance_secret
from backend.config import ConfigError, load_config


def test_secret_is_created_once_private_and_kept(tmp_path):
    env = {"FOODGRID_SECRETS_DIR": str(tmp_path / "secrets")}
    first = instance_secret(env, "audit_key")
    assert len(first) >= 32 and instance_secret(env, "audit_key") == first
    path = tmp_path / "secrets" / "audit_key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert [item.name for item in path.parent.iterdir()] == ["audit_key"]  # no temporary file left


def test_concurrent_first_starts_agree_on_one_secret(tmp_path):
    env = {"FOODGRID_SECRETS_DIR": str(tmp_path)}
    with ThreadPoolExecutor(8) as pool:
        values = set(pool.map(lambda _: instance_secret(env, "shared"), range(32)))
    assert len(values) == 1


def test_audit_key_comes_from_the_environment_or_the_instance(tmp_path):
    assert load_config({"AUDIT_KEY": "k" * 40})["AUDIT_KEY"] == "k" * 40
    config = load_config({"FOODGRID_SECRETS_DIR": str(tmp_path)})
    assert config["AUDIT_KEY"] == (tmp_path / "audit_key").read_text().strip()
    assert config["AUDIT_CHECKPOINT_S"] == 60 and config["AUDIT_CHECKPOINT_DIR"].endswith("audit-checkpoints")


def test_production_refuses_a_short_audit_key():
    with pytest.raises(ConfigError, match="AUDIT_KEY"):
        load_config({"FOODGRID_ENV": "production", "SECRET_KEY": "s" * 40, "AUDIT_KEY": "short"})
