import pytest

from config import ConfigError, load_config


def test_development_defaults_to_sqlite_in_instance():
    config = load_config(environ={})
    assert config.NAME == "development"
    assert config.DATABASE_URL.startswith("sqlite:///") and "instance" in config.DATABASE_URL
    assert config.DUTY_STATION == "CH-GE"


def test_environment_overrides():
    config = load_config(environ={"TACASE_CONFIG": "testing", "TACASE_DATABASE_URL": "sqlite://",
                                  "TACASE_DUTY_STATION": "US-NY"})
    assert config.TESTING and config.DATABASE_URL == "sqlite://" and config.DUTY_STATION == "US-NY"


def test_production_refuses_default_secret():
    with pytest.raises(ConfigError, match="TACASE_SECRET_KEY"):
        load_config(environ={"TACASE_CONFIG": "production", "TACASE_DATABASE_URL": "postgresql://x"})


def test_production_refuses_missing_database_url():
    with pytest.raises(ConfigError, match="TACASE_DATABASE_URL"):
        load_config(environ={"TACASE_CONFIG": "production", "TACASE_SECRET_KEY": "s" * 40})


def test_production_starts_with_both():
    config = load_config(environ={"TACASE_CONFIG": "production", "TACASE_SECRET_KEY": "s" * 40,
                                  "TACASE_DATABASE_URL": "postgresql://db/tacase"})
    assert config.NAME == "production" and not config.DEBUG


def test_unknown_config_name():
    with pytest.raises(ConfigError, match="TACASE_CONFIG"):
        load_config(environ={"TACASE_CONFIG": "staging"})
