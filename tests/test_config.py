import pytest

from backend.config import DEV_SECRET, ConfigError, load_config, normalise_database_url


def test_development_defaults_are_usable():
    config = load_config({})
    assert config["SECRET_KEY"] == DEV_SECRET
    assert config["DEBUG"] is False
    assert config["GEOFENCE_M"] == 200
    assert "statement_timeout=15000" in config["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"]["options"]


def test_production_refuses_default_secret():
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"FOODGRID_ENV": "production"})


def test_production_refuses_short_jwt_secret():
    with pytest.raises(ConfigError, match="JWT_SECRET_KEY"):
        load_config({"FOODGRID_ENV": "production", "SECRET_KEY": "s" * 40, "JWT_SECRET_KEY": "short"})


def test_production_with_real_secrets():
    config = load_config({"FOODGRID_ENV": "production", "SECRET_KEY": "s" * 40, "FLASK_DEBUG": "1"})
    assert config["DEBUG"] is False


def test_bad_integer_setting_is_named():
    with pytest.raises(ConfigError, match="GEOFENCE_M"):
        load_config({"GEOFENCE_M": "far"})


@pytest.mark.parametrize("url", ["postgres://u@h/db", "postgresql://u@h/db", "postgresql+psycopg://u@h/db"])
def test_database_urls_use_psycopg3(url):
    assert normalise_database_url(url) == "postgresql+psycopg://u@h/db"


def test_settings_come_from_environment():
    config = load_config({"CORS_ORIGINS": "https://a.example, https://b.example", "MAX_BODY_BYTES": "1024",
                          "JWT_ACCESS_TTL_S": "60"})
    assert config["CORS_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert config["MAX_CONTENT_LENGTH"] == 1024
    assert config["JWT_ACCESS_TOKEN_EXPIRES"].total_seconds() == 60


def test_recall_deadlines_are_read_per_level():
    config = load_config({"RECALL_START_HOURS": "12,36,60", "RECALL_COMPLETE_WORKING_DAYS": "5,15,25"})
    assert config["RECALL_START_HOURS"] == {1: 12, 2: 36, 3: 60}
    assert config["RECALL_COMPLETE_WORKING_DAYS"] == {1: 5, 2: 15, 3: 25}
    defaults = load_config({})
    assert (defaults["RECALL_START_HOURS"], defaults["RECALL_COMPLETE_WORKING_DAYS"]) == (
        {1: 24, 2: 48, 3: 72}, {1: 10, 2: 20, 3: 30})


@pytest.mark.parametrize("raw", ["24,48", "24,48,72,96", "24,x,72", "0,48,72", "-1,48,72"])
def test_bad_recall_deadlines_are_refused(raw):
    with pytest.raises(ConfigError, match="RECALL_START_HOURS"):
        load_config({"RECALL_START_HOURS": raw})


def test_low_accuracy_threshold_defaults_to_the_geofence():
    assert load_config({"GEOFENCE_M": "150"})["LOW_ACCURACY_M"] == 150
    assert load_config({"GEOFENCE_M": "150", "LOW_ACCURACY_M": "60"})["LOW_ACCURACY_M"] == 60



def test_visits_default_to_once_every_two_years_for_a():
    assert load_config({})["VISITS_PER_YEAR"] == {"A": 0.5, "B": 1, "C": 2, "D": 3}


@pytest.mark.parametrize("a, ok", [("0.5", True), ("0.25", True), ("1", True), ("0", True), ("0.4", False),
                                   ("1.5", False), ("-1", False)])
def test_visits_are_whole_or_one_in_n_years(a, ok):
    env = {"VISITS_PER_YEAR": f"A={a},B=1,C=2,D=3"}
    if ok:
        assert load_config(env)["VISITS_PER_YEAR"]["A"] == float(a)
    else:
        with pytest.raises(ConfigError, match="VISITS_PER_YEAR"):
            load_config(env)
