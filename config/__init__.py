"""Configuration: the only code in tacase that reads the environment.

`load_config()` picks a class by ``TACASE_CONFIG`` (development, testing, production) and returns an
instance whose attributes are plain values; everything else receives that object.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
INSTANCE_DIR = PROJECT_ROOT / "instance"

DEV_SECRET_KEY = "dev-only-not-secret"  # noqa: S105 - a marker production refuses


class ConfigError(RuntimeError):
    """The configuration cannot be used; the message says which setting and why."""


def _int_in(env: object, name: str, default: int, low: int = 1, high: int | None = None) -> int:
    raw = env.get(name)  # type: ignore[attr-defined]
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if value < low or (high is not None and value > high):
        span = f"from {low} to {high}" if high is not None else f"of {low} or more"
        raise ConfigError(f"{name}={raw!r}: expected a whole number {span}")
    return value


class BaseConfig:
    NAME = "base"
    DEBUG = False
    TESTING = False
    SECRET_KEY = DEV_SECRET_KEY
    DATABASE_URL = f"sqlite:///{INSTANCE_DIR / 'tacase.sqlite3'}"
    # The duty station whose weekends and public holidays make up the business calendar.
    DUTY_STATION = "CH-GE"
    DUTY_STATION_TIMEZONE = "Europe/Zurich"
    WORKFLOWS_DIR = str(PROJECT_ROOT / "workflows")
    QUESTIONNAIRES_DIR = str(PROJECT_ROOT / "questionnaires")
    SQL_ECHO = False

    # Accounts and sessions
    SESSION_IDLE_MINUTES = 30
    SESSION_ABSOLUTE_HOURS = 12
    SESSION_COOKIE_NAME = "tacase_session"
    SESSION_COOKIE_SECURE = True
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    TOKEN_DEFAULT_DAYS = 90
    TOKEN_MAX_DAYS = 365
    # Flask-Limiter storage: memory:// for one process, redis://host:6379 when several serve.
    RATELIMIT_STORAGE_URL = "memory://"
    LOGIN_LIMIT_PER_ACCOUNT = "5 per minute; 20 per hour"
    LOGIN_LIMIT_PER_ADDRESS = "30 per minute; 200 per hour"
    # The public record, open to anyone: requests per address, and how long caches may keep an answer.
    PUBLIC_LIMIT_PER_ADDRESS = "300 per minute"
    PUBLIC_MAX_AGE_SECONDS = 300
    # Each worker keeps up to this many megabytes of public JSON answers in memory until the record
    # changes (0: none), each for at most this many seconds (the bound for a change made by hand in
    # the database, which writes no audit event).
    PUBLIC_ANSWER_CACHE_MB = 32
    PUBLIC_ANSWER_CACHE_SECONDS = 60
    # Each worker keeps up to this many facts of the case lists (0: none) until the record changes,
    # each for at most this many seconds: totals, and where pages start (tacase.services.list_memory).
    LIST_MEMORY_ENTRIES = 2000
    LIST_MEMORY_SECONDS = 60
    # How often the scheduler refreshes the public figures (timeliness, the record's counts).
    PUBLIC_REFRESH_EVERY_SECONDS = 300
    # The open-data files (/public/data): rebuilt this often (and soon after a change of consent), and
    # the licence they are published under.
    PUBLIC_DATA_REBUILD_SECONDS = 3600
    PUBLIC_DATA_LICENCE_NAME = "Creative Commons Attribution 4.0 International"
    PUBLIC_DATA_LICENCE_URL = "https://creativecommons.org/licenses/by/4.0/"
    # The IATI activity file (/public/data/iati-activities.xml): the reporting organisation, its
    # identifier in the IATI organisation registry (OHCHR's, from the OECD DAC list) and its IATI
    # organisation type (40: multilateral).
    IATI_ORG_REF = "XM-DAC-41313"
    IATI_ORG_NAME = "Office of the United Nations High Commissioner for Human Rights"
    IATI_ORG_TYPE = "40"
    # Requests larger than this are refused with 413 before they are read.
    MAX_CONTENT_LENGTH = 1024 * 1024
    # A web worker still busy with one request after this many seconds is stopped (gunicorn's
    # timeout); an Idempotency-Key such a request held is free again a few seconds later.
    REQUEST_TIMEOUT_SECONDS = 30

    # Case documents: stored outside anything the app serves, read only through the API.
    DOCUMENTS_DIR = str(INSTANCE_DIR / "documents")
    # The largest document accepted (bytes of the file itself); larger uploads get 413.
    MAX_UPLOAD_BYTES = 20 * 1024 * 1024

    # Deadlines and notifications
    # An office step still overdue after this many working days goes to the approvers.
    ESCALATE_AFTER_WORKING_DAYS = 5
    # smtp://user:password@host:port (smtps:// for TLS, ?starttls=1 to upgrade); empty: mail is
    # written to MAIL_LOG_PATH instead of being sent (development).
    SMTP_URL = ""
    MAIL_FROM = "tacase <no-reply@tacase.invalid>"
    MAIL_LOG_PATH = str(INSTANCE_DIR / "mail.log")
    # Where links in messages point.
    PUBLIC_URL = "http://127.0.0.1:5000"
    OUTBOX_MAX_ATTEMPTS = 8
    OUTBOX_BACKOFF_SECONDS = 60
    # A delivery worker's claim on its batch; a worker that dies frees its messages after this.
    OUTBOX_LEASE_SECONDS = 60
    # Local hour (duty station time) at which daily digests go out.
    DIGEST_HOUR = 7
    # How often the scheduler sweeps deadlines and delivers mail.
    SWEEP_EVERY_SECONDS = 60
    DELIVER_EVERY_SECONDS = 15
    # The Ed25519 key that signs the audit chain's head (signed checkpoints): the path of a PEM file
    # kept outside the database (`tacase audit keygen --out FILE` makes one). Empty: nothing is signed.
    AUDIT_SIGNING_KEY = ""
    # Whether a missing key file is made on first use (development only: elsewhere a lost key is an
    # error to see, not to paper over with a new one).
    AUDIT_SIGNING_KEY_CREATE = False
    # SQLite only: the leader's lease; a standby takes over this long after the leader died.
    SCHEDULER_LEASE_SECONDS = 30

    def __init__(self, environ: dict[str, str] | None = None) -> None:
        env = os.environ if environ is None else environ
        self.SECRET_KEY = env.get("TACASE_SECRET_KEY", self.SECRET_KEY)
        self.DATABASE_URL = env.get("TACASE_DATABASE_URL", self.DATABASE_URL)
        self.DUTY_STATION = env.get("TACASE_DUTY_STATION", self.DUTY_STATION)
        self.DUTY_STATION_TIMEZONE = env.get("TACASE_TIMEZONE", self.DUTY_STATION_TIMEZONE)
        self.WORKFLOWS_DIR = env.get("TACASE_WORKFLOWS_DIR", self.WORKFLOWS_DIR)
        self.QUESTIONNAIRES_DIR = env.get("TACASE_QUESTIONNAIRES_DIR", self.QUESTIONNAIRES_DIR)
        self.SQL_ECHO = env.get("TACASE_SQL_ECHO", "") == "1"
        for name in ("RATELIMIT_STORAGE_URL", "LOGIN_LIMIT_PER_ACCOUNT", "LOGIN_LIMIT_PER_ADDRESS",
                     "PUBLIC_LIMIT_PER_ADDRESS"):
            setattr(self, name, env.get(f"TACASE_{name}", getattr(self, name)))
        for name in ("SMTP_URL", "MAIL_FROM", "MAIL_LOG_PATH", "PUBLIC_URL", "DOCUMENTS_DIR",
                     "PUBLIC_DATA_LICENCE_NAME", "PUBLIC_DATA_LICENCE_URL", "AUDIT_SIGNING_KEY",
                     "IATI_ORG_REF", "IATI_ORG_NAME", "IATI_ORG_TYPE"):
            setattr(self, name, env.get(f"TACASE_{name}", getattr(self, name)))
        for name in ("SESSION_IDLE_MINUTES", "SESSION_ABSOLUTE_HOURS", "ESCALATE_AFTER_WORKING_DAYS",
                     "OUTBOX_MAX_ATTEMPTS", "OUTBOX_BACKOFF_SECONDS", "OUTBOX_LEASE_SECONDS",
                     "SCHEDULER_LEASE_SECONDS", "SWEEP_EVERY_SECONDS",
                     "DELIVER_EVERY_SECONDS", "MAX_UPLOAD_BYTES", "PUBLIC_MAX_AGE_SECONDS",
                     "PUBLIC_REFRESH_EVERY_SECONDS", "PUBLIC_DATA_REBUILD_SECONDS"):
            setattr(self, name, _int_in(env, f"TACASE_{name}", getattr(self, name)))
        self.PUBLIC_ANSWER_CACHE_MB = _int_in(env, "TACASE_PUBLIC_ANSWER_CACHE_MB",
                                              self.PUBLIC_ANSWER_CACHE_MB, 0, 4096)
        self.PUBLIC_ANSWER_CACHE_SECONDS = _int_in(env, "TACASE_PUBLIC_ANSWER_CACHE_SECONDS",
                                                   self.PUBLIC_ANSWER_CACHE_SECONDS, 1, 86_400)
        self.LIST_MEMORY_ENTRIES = _int_in(env, "TACASE_LIST_MEMORY_ENTRIES",
                                           self.LIST_MEMORY_ENTRIES, 0, 1_000_000)
        self.LIST_MEMORY_SECONDS = _int_in(env, "TACASE_LIST_MEMORY_SECONDS",
                                           self.LIST_MEMORY_SECONDS, 1, 86_400)
        self.REQUEST_TIMEOUT_SECONDS = _int_in(env, "TACASE_REQUEST_TIMEOUT_SECONDS",
                                               self.REQUEST_TIMEOUT_SECONDS, 1, 600)
        self.DIGEST_HOUR = _int_in(env, "TACASE_DIGEST_HOUR", self.DIGEST_HOUR, 0, 23)
        self._database_url_given = "TACASE_DATABASE_URL" in env
        self.validate()

    def validate(self) -> None:
        if not self.IATI_ORG_REF.strip() or any(c in self.IATI_ORG_REF for c in "/&|? "):
            raise ConfigError(f"TACASE_IATI_ORG_REF={self.IATI_ORG_REF!r}: expected an IATI organisation "
                              "identifier such as 'XM-DAC-41313' (no spaces, /, &, | or ?)")
        if not self.IATI_ORG_TYPE.isdigit():
            raise ConfigError(f"TACASE_IATI_ORG_TYPE={self.IATI_ORG_TYPE!r}: expected an IATI organisation "
                              "type code such as '40'")
        if "-" not in self.DUTY_STATION and len(self.DUTY_STATION) != 2:
            raise ConfigError(
                f"TACASE_DUTY_STATION={self.DUTY_STATION!r}: expected a country code such as "
                "'CH' or a country and subdivision such as 'CH-GE'"
            )

    def as_flask_mapping(self) -> dict[str, object]:
        return {k: getattr(self, k) for k in dir(self) if k.isupper()}


class DevelopmentConfig(BaseConfig):
    NAME = "development"
    DEBUG = True
    # Plain http on the loopback; every other configuration sends the cookie over https only.
    SESSION_COOKIE_SECURE = False
    # Made by the first signed checkpoint; instance/ is never committed.
    AUDIT_SIGNING_KEY = str(INSTANCE_DIR / "audit-signing-key.pem")
    AUDIT_SIGNING_KEY_CREATE = True


class TestingConfig(BaseConfig):
    NAME = "testing"
    TESTING = True
    DATABASE_URL = "sqlite://"
    # Tests change the database directly between requests; the tests of the caches turn them on.
    PUBLIC_ANSWER_CACHE_MB = 0
    LIST_MEMORY_ENTRIES = 0


class ProductionConfig(BaseConfig):
    NAME = "production"

    def validate(self) -> None:
        super().validate()
        if self.SECRET_KEY == DEV_SECRET_KEY or len(self.SECRET_KEY) < 32:
            raise ConfigError(
                "production needs TACASE_SECRET_KEY set to a random value of 32 characters or more"
            )
        if not self._database_url_given:
            raise ConfigError("production needs TACASE_DATABASE_URL set explicitly")


CONFIGS: dict[str, type[BaseConfig]] = {
    c.NAME: c for c in (DevelopmentConfig, TestingConfig, ProductionConfig)
}


def load_config(name: str | None = None, environ: dict[str, str] | None = None) -> BaseConfig:
    env = os.environ if environ is None else environ
    name = name or env.get("TACASE_CONFIG", "development")
    try:
        cls = CONFIGS[name]
    except KeyError:
        raise ConfigError(
            f"TACASE_CONFIG={name!r}: expected one of {', '.join(sorted(CONFIGS))}"
        ) from None
    return cls(env)
