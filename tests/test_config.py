import os
import stat
import threading

import pytest

import backend.config
from backend.config import ConfigError, instance_secret, load_config, normalise_database_url


@pytest.fixture
def secrets_env(tmp_path):
    return {"FOODGRID_SECRETS_DIR": str(tmp_path / "secrets")}


def test_development_defaults_are_usable(secrets_env):
    config = load_config(secrets_env)
    assert len(config["SECRET_KEY"]) >= 32
    assert config["JWT_SECRET_KEY"] == config["SECRET_KEY"]
    assert config["DEBUG"] is False
    assert config["GEOFENCE_M"] == 200
    assert "statement_timeout=15000" in config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]


def test_no_signing_key_ships_in_the_code(tmp_path):
    assert not hasattr(backend.config, "DEV_SECRET")
    one = load_config({"FOODGRID_SECRETS_DIR": str(tmp_path / "a")})
    other = load_config({"FOODGRID_SECRETS_DIR": str(tmp_path / "b")})
    assert one["JWT_SECRET_KEY"] != other["JWT_SECRET_KEY"]  # every install signs with its own key


def test_instance_secret_is_made_once_private_and_kept(secrets_env):
    first = instance_secret(secrets_env, "secret_key")
    path = os.path.join(secrets_env["FOODGRID_SECRETS_DIR"], "secret_key")
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert instance_secret(secrets_env, "secret_key") == first
    assert instance_secret(secrets_env, "audit_key") != first
    assert load_config(secrets_env)["SECRET_KEY"] == first


def test_workers_starting_together_agree_on_one_secret(secrets_env):
    barrier, seen = threading.Barrier(8), []

    def start():
        barrier.wait()
        seen.append(instance_secret(secrets_env, "secret_key"))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 8 and len(set(seen)) == 1
    assert os.listdir(secrets_env["FOODGRID_SECRETS_DIR"]) == ["secret_key"]  # no temporary left


def test_set_secrets_win_over_the_instance_secret(secrets_env):
    config = load_config({**secrets_env, "SECRET_KEY": "k" * 40, "JWT_SECRET_KEY": "j" * 40,
                          "AUDIT_KEY": "a" * 40})
    assert (config["SECRET_KEY"], config["JWT_SECRET_KEY"]) == ("k" * 40, "j" * 40)
    assert not os.path.exists(secrets_env["FOODGRID_SECRETS_DIR"])


@pytest.mark.parametrize("stage", ["Production", "prod", "PRODUCTION", "staging", "dev"])
def test_unknown_environment_is_refused(secrets_env, stage):
    with pytest.raises(ConfigError, match="FOODGRID_ENV"):
        load_config({**secrets_env, "FOODGRID_ENV": stage, "SECRET_KEY": "s" * 40})


def test_production_refuses_short_secret(secrets_env):
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({**secrets_env, "FOODGRID_ENV": "production", "SECRET_KEY": "short"})


def test_production_refuses_short_jwt_secret():
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_config({"FOODGRID_ENV": "production", "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379",
                     "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "short"})


def test_production_with_real_secrets():
    config = load_config({"FOODGRID_ENV": "production", "SECRET_KEY": "s" * 40, "FLASK_DEBUG": "1",
                          "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379"})
    assert config["DEBUG"] is False


def test_bad_integer_setting_is_named(secrets_env):
    with pytest.raises(ConfigError, match="GEOFENCE_M"):
        load_config({**secrets_env, "GEOFENCE_M": "far"})


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_database_urls_use_psycopg3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"


def test_settings_come_from_environment(secrets_env):
    config = load_config({**secrets_env, "CORS_ORIGINS": "https://a.example, https://b.example",
                          "MAX_BODY_BYTES": "1024", "JWT_ACCESS_TTL_S": "60"})
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert config["MAX_CONTENT_LENGTH"] == 1024
    assert config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 60


def test_rate_limit_storage_from_redis_url(secrets_env):
    config = load_config({**secrets_env, "REDIS_URL": "redis://cache:6379/0"})
    assert config["RATELIMIT_STORAGE_URI"] == "redis://cache:6379/0"


def test_production_refuses_per_process_rate_limit_counters(secrets_env):
    with pytest.raises(ConfigError, match="RATELIMIT_STORAGE_URI"):
        load_config({**secrets_env, "FOODGRID_ENV": "production", "SECRET_KEY": "s" * 40})


def test_recall_deadlines_are_read_per_level(secrets_env):
    config = load_config({**secrets_env, "RECALL_START_HOURS": "12,36,60", "RECALL_COMPLETE_WORKING_DAYS": "5,15,25"})
    assert config["RECALL_START_HOURS"] == {1: 12, 2: 36, 3: 60}
    assert config["RECALL_COMPLETE_WORKING_DAYS"] == {1: 5, 2: 15, 3: 25}
    defaults = load_config(secrets_env)
    assert (defaults["RECALL_START_HOURS"], defaults["RECALL_COMPLETE_WORKING_DAYS"]) == (
        {1: 24, 2: 48, 3: 72}, {1: 10, 2: 20, 3: 30})


@pytest.mark.parametrize("raw", ["24,48", "24,48,72,96", "24,x,72", "0,48,72", "-1,48,72"])
def test_bad_recall_deadlines_are_refused(secrets_env, raw):
    with pytest.raises(ConfigError, match="RECALL_START_HOURS"):
        load_config({**secrets_env, "RECALL_START_HOURS": raw})


def test_low_accuracy_threshold_defaults_to_the_geofence(secrets_env):
    assert load_config({**secrets_env, "GEOFENCE_M": "150"})["LOW_ACCURACY_M"] == 150
    assert load_config({**secrets_env, "GEOFENCE_M": "150", "LOW_ACCURACY_M": "60"})["LOW_ACCURACY_M"] == 60


def test_visits_default_to_once_every_two_years_for_a(secrets_env):
    assert load_config(secrets_env)["VISITS_PER_YEAR"] == {"A": 0.5, "B": 1, "C": 2, "D": 3}


@pytest.mark.parametrize("a, ok", [("0.5", True), ("0.25", True), ("1", True), ("0", True), ("0.4", False),
                                   ("1.5", False), ("-1", False)])
def test_visits_are_whole_or_one_in_n_years(secrets_env, a, ok):
    env = {"VISITS_PER_YEAR": f"A={a},B=1,C=2,D=3"}
    if ok:
        assert load_config(env)["VISITS_PER_YEAR"]["A"] == float(a)
    else:
        with pytest.raises(ConfigError, match="VISITS_PER_YEAR"):
            load_config(env)
