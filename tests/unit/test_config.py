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


def test_session_timeouts_and_login_limits_come_from_the_environment():
    config = load_config("testing", environ={
        "TACASE_SESSION_IDLE_MINUTES": "5", "TACASE_SESSION_ABSOLUTE_HOURS": "2",
        "TACASE_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379",
        "TACASE_LOGIN_LIMIT_PER_ACCOUNT": "3 per minute",
    })
    assert (config.SESSION_IDLE_MINUTES, config.SESSION_ABSOLUTE_HOURS) == (5, 2)
    assert config.RATELIMIT_STORAGE_URL == "redis://127.0.0.1:6379"
    assert config.LOGIN_LIMIT_PER_ACCOUNT == "3 per minute"


@pytest.mark.parametrize("value", ["0", "-1", "soon"])
def test_session_timeouts_must_be_positive_whole_numbers(value):
    with pytest.raises(ConfigError, match="TACASE_SESSION_IDLE_MINUTES"):
        load_config("testing", environ={"TACASE_SESSION_IDLE_MINUTES": value})


def test_session_cookie_is_secure_except_in_development():
    assert load_config("development", environ={}).SESSION_COOKIE_SECURE is False
    assert load_config("testing", environ={}).SESSION_COOKIE_SECURE is True
    production = load_config("production", environ={
        "TACASE_SECRET_KEY": "x" * 40, "TACASE_DATABASE_URL": "postgresql://db/tacase"})
    assert production.SESSION_COOKIE_SECURE is True
    assert production.SESSION_COOKIE_HTTPONLY is True


def test_documents_settings():
    config = load_config(environ={})
    assert config.MAX_UPLOAD_BYTES == 20 * 1024 * 1024
    assert config.DOCUMENTS_DIR.endswith("instance/documents")
    config = load_config(environ={"TACASE_MAX_UPLOAD_BYTES": "5000", "TACASE_DOCUMENTS_DIR": "/srv/docs"})
    assert (config.MAX_UPLOAD_BYTES, config.DOCUMENTS_DIR) == (5000, "/srv/docs")
    with pytest.raises(ConfigError, match="TACASE_MAX_UPLOAD_BYTES"):
        load_config(environ={"TACASE_MAX_UPLOAD_BYTES": "0"})


def test_the_audit_signing_key_is_made_on_first_use_in_development_only():
    development = load_config("development", environ={})
    assert development.AUDIT_SIGNING_KEY.endswith("instance/audit-signing-key.pem")
    assert development.AUDIT_SIGNING_KEY_CREATE is True
    testing = load_config("testing", environ={})
    assert (testing.AUDIT_SIGNING_KEY, testing.AUDIT_SIGNING_KEY_CREATE) == ("", False)
    production = load_config("production", environ={
        "TACASE_SECRET_KEY": "x" * 40, "TACASE_DATABASE_URL": "postgresql://db/tacase",
        "TACASE_AUDIT_SIGNING_KEY": "keys/audit.pem"})
    assert (production.AUDIT_SIGNING_KEY, production.AUDIT_SIGNING_KEY_CREATE) == ("keys/audit.pem", False)


def test_the_questionnaires_directory():
    from pathlib import Path

    assert Path(load_config(environ={}).QUESTIONNAIRES_DIR).name == "questionnaires"
    assert load_config(environ={"TACASE_QUESTIONNAIRES_DIR": "/srv/calls"}).QUESTIONNAIRES_DIR == "/srv/calls"
