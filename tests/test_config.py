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
