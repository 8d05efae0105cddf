"""Configuration from FANGFANPIN_* environment variables or a `.env` file (see DESIGN.md)."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    Field,
    PrivateAttr,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.plugins import PLATFORMS
from monitoring.i18n import parse_locale
from monitoring.identities import DEFAULT, IdentityNameError, identity_name, township_names
from monitoring.policy import MAX_BYTES, Policy, PolicyError, parse_policy
from storage.db import DEFAULT_DATABASE_URL

TELEGRAM_API_URL = "https://api.telegram.org/bot"
# The policy file used when FANGFANPIN_POLICY_FILE is not set: the seed plan's 2020 lines.
SHIPPED_POLICY = Path(__file__).with_name("policy.toml")
PREFIX = "FANGFANPIN_"


def http_url(value: str, name: str, example: str = "http://127.0.0.1:8081/bot") -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError(f"{name} must be an http(s) URL such as {example}")
    return value.strip().rstrip("/")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    telegram_token: SecretStr | None = None
    telegram_api_url: str = TELEGRAM_API_URL
    telegram_file_url: str | None = None
    # Where Telegram is blocked: reach it through this proxy (http://, https://, socks5://).
    telegram_proxy: str | None = None
    database_url: str = DEFAULT_DATABASE_URL
    timezone: str = "Asia/Shanghai"
    locale: str = "zh_CN"
    log_level: str = Field(default="INFO")
    # Libraries' loggers that may log at DEBUG too (comma-separated names, e.g. "telegram,httpx");
    # otherwise only our own modules do (bot/logs.py).
    debug_loggers: str = ""
    # A red alert not acknowledged within this many hours is re-posted to the township group
    # once a day; an alert closes after this many GREEN check-ins in a row.
    alert_escalate_after_hours: int = Field(default=24, ge=1, le=24 * 14)
    alert_close_after_green: int = Field(default=2, ge=1, le=10)
    # Cron expressions (minute hour day month weekday) in FANGFANPIN_TIMEZONE; several
    # separated by ";". A household missed this many weeks in a row goes to the township.
    schedule_reminders: str = "0 9 * * mon; 0 9 * * thu; 0 18 * * sat"
    schedule_missed_visits: str = "30 0 * * mon"
    schedule_escalations: str = "0 10 * * *"
    schedule_weekly_summary: str = "0 8 * * mon"
    schedule_measure_reminders: str = "30 9 * * *"
    missed_weeks_escalate: int = Field(default=2, ge=1, le=8)
    # Telegram's flood limit for this bot, messages per second over all chats (about 30
    # for bulk messages); the bot stays just under it.
    send_rate: float = Field(default=30.0, gt=0, le=100_000)
    # Where `run` without a token (and `sandbox`) serves the stand-in and its page.
    sandbox_port: int = Field(default=8081, ge=1, le=65535)
    # The lines and rules assessments use (docs/policy.md); empty: the shipped file.
    policy_file: str | None = None
    _policy: Policy | None = PrivateAttr(default=None)
    # Which platform `run` serves (docs/dingtalk.md). A platform other than Telegram reads
    # its own variables (FANGFANPIN_DINGTALK_*: `platforms/dingtalk/settings.py`).
    platform: str = "telegram"
    # Which of the deployment's bots this process is, and the townships it serves
    # (comma-separated names; empty: every township). One process per identity
    # (docs/architecture.md, "Several counties on one database").
    identity: str = DEFAULT
    townships: str = ""
    # Processes that handle a Telegram identity's updates (docs/architecture.md, "Worker
    # processes"): 1 handles them in the bot's own process; more needs PostgreSQL, and pays
    # off only where the send rate is not what limits.
    workers: int = Field(default=1, ge=1, le=8)

    @field_validator("workers")
    @classmethod
    def _workers(cls, value: int, info: ValidationInfo) -> int:
        # `info.data` holds the fields declared above this one: `platform` and `database_url`
        # must stay above `workers` (tests/unit/test_settings.py checks both refusals).
        if value == 1:
            return value
        if info.data.get("platform", "telegram") != "telegram":
            raise ValueError(
                "worker processes are for Telegram; a DingTalk identity runs in one (DingTalk "
                "allows 20 calls a second, far below what one process answers): use 1"
            )
        url = info.data.get("database_url")
        if url is not None and make_url(url).get_backend_name() == "sqlite":
            raise ValueError("worker processes need PostgreSQL (SQLite has one writer): use 1")
        return value

    @field_validator("identity")
    @classmethod
    def _identity(cls, value: str) -> str:
        try:
            return identity_name(value)
        except IdentityNameError as exc:
            raise ValueError(str(exc)) from None

    @property
    def township_names(self) -> tuple[str, ...]:
        """FANGFANPIN_TOWNSHIPS as names; empty: every township."""
        return township_names(self.townships)

    @field_validator("platform")
    @classmethod
    def _platform(cls, value: str) -> str:
        if value.strip().lower() not in PLATFORMS:
            raise ValueError("use " + " or ".join(PLATFORMS))
        return value.strip().lower()

    @field_validator("policy_file")
    @classmethod
    def _policy_file(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        try:
            load_policy(value.strip())
        except PolicyError as exc:
            raise ValueError(str(exc)) from None
        return value.strip()

    @property
    def policy(self) -> Policy:
        """The policy file, read once (it was checked when the settings were made)."""
        if self._policy is None:
            self._policy = load_policy(self.policy_file)
        return self._policy

    @field_validator(
        "schedule_reminders",
        "schedule_missed_visits",
        "schedule_escalations",
        "schedule_weekly_summary",
        "schedule_measure_reminders",
    )
    @classmethod
    def _crons(cls, value: str) -> str:
        from apscheduler.triggers.cron import CronTrigger

        parts = [p.strip() for p in value.split(";") if p.strip()]
        if not parts:
            raise ValueError("give at least one cron expression such as '0 9 * * mon'")
        for part in parts:
            try:
                CronTrigger.from_crontab(part)
            except ValueError as exc:
                raise ValueError(f"not a cron expression: {part!r} ({exc})") from None
        return "; ".join(parts)

    @field_validator("telegram_token", mode="before")
    @classmethod
    def _token(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and (":" not in value or any(c.isspace() for c in value.strip())):
            raise ValueError("a bot token looks like 123456:ABC-DEF... (from @BotFather)")
        return value.strip() if isinstance(value, str) else value

    @field_validator("telegram_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        return http_url(value, "the Bot API URL")

    @field_validator("telegram_file_url")
    @classmethod
    def _file_url(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return http_url(value, "the file URL")

    @field_validator("telegram_proxy")
    @classmethod
    def _proxy(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        return proxy_url(value)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        try:
            url = make_url(value.strip())
        except ArgumentError:
            raise ValueError(
                "not a database URL (e.g. sqlite:///data/fangfanpin.db or "
                "postgresql+psycopg://user@host/db)"
            ) from None
        if url.get_backend_name() not in ("sqlite", "postgresql"):
            raise ValueError("only SQLite and PostgreSQL are supported")
        return value.strip()

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value.strip())
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (e.g. Asia/Shanghai)") from None
        return value.strip()

    @field_validator("locale")
    @classmethod
    def _locale(cls, value: str) -> str:
        return parse_locale(value)

    @field_validator("log_level")
    @classmethod
    def _log_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            raise ValueError("use DEBUG, INFO, WARNING or ERROR")
        return level

    @field_validator("debug_loggers")
    @classmethod
    def _debug_loggers(cls, value: str) -> str:
        names = [n.strip() for n in value.split(",") if n.strip()]
        for name in names:
            if not re.fullmatch(r"[A-Za-z_][\w.]*", name):
                raise ValueError(f"{name!r}: logger names separated by commas, e.g. telegram,httpx")
        return ",".join(names)

    @property
    def debug_logger_names(self) -> list[str]:
        return [n for n in self.debug_loggers.split(",") if n]

    def crons(self, job: str) -> list[str]:
        value: str = getattr(self, "schedule_" + job.replace("-", "_"))
        return [p.strip() for p in value.split(";") if p.strip()]

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def file_url(self) -> str:
        """The file download base: given, or derived from the API URL (`…/bot` -> `…/file/bot`)."""
        if self.telegram_file_url:
            return self.telegram_file_url
        base = self.telegram_api_url
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base + "/file/bot"


def load_policy(path: str | None) -> Policy:
    """The policy in `path` (None: the shipped file); PolicyError names the file, the key and
    the value of what is wrong."""
    file = Path(path) if path else SHIPPED_POLICY
    return parse_policy(_read_policy(file), str(file))


def _read_policy(file: Path) -> str:
    """The file's text: a regular file of at most MAX_BYTES, else one line saying why. Opened
    without blocking (a FIFO would wait for a writer for ever) and checked before it is read
    (/dev/zero would fill the memory)."""
    try:
        fd = os.open(file, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError as exc:
        raise PolicyError(f"{file}: can not be read ({exc.strerror})") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise PolicyError(f"{file}: not a regular file: give the path of a TOML file")
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise PolicyError(f"{file}: over {MAX_BYTES // 1024} KiB: not a policy file")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise PolicyError(f"{file}: can not be read (not UTF-8 text)") from None


PROXY_SCHEMES = ("http", "https", "socks5")


def proxy_url(value: str) -> str:
    """A proxy's URL (`http://host:port`, `https://…`, `socks5://user:password@host:port`),
    or ValueError saying what one looks like (never echoing it: it may hold a password)."""
    parts = urlsplit(value.strip())
    try:
        port = parts.port
    except ValueError:
        port = -1
    if (
        parts.scheme not in PROXY_SCHEMES
        or not parts.hostname
        or port == -1
        or (parts.scheme == "socks5" and port is None)
        or parts.path not in ("", "/")
    ):
        raise ValueError(
            "not a proxy URL: use http://host:port, https://host:port or "
            "socks5://host:port (user:password@ before the host if the proxy asks)"
        )
    return value.strip().rstrip("/")


class SettingsError(Exception):
    """A bad configuration value; str() is one line naming the variable."""


def one_line(exc: ValidationError, prefix: str = PREFIX) -> str:
    """A validation failure as one line naming the variable (`prefix` and the field)."""
    first = exc.errors()[0]
    message = str(first["msg"]).removeprefix("Value error, ")
    if not first["loc"]:  # a rule over several variables names them itself
        return message
    return f"{prefix}{str(first['loc'][0]).upper()}: {message}"


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        raise SettingsError(one_line(exc)) from None


def as_environment(settings: Settings, base: Mapping[str, str]) -> dict[str, str]:
    """`base` with these settings as FANGFANPIN_* variables: what a child process (a worker)
    needs to load the same settings, including those set in code (the sandbox's URL)."""
    environment = dict(base)
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        key = PREFIX + name.upper()
        if value is None:
            environment.pop(key, None)
        else:
            environment[key] = (
                value.get_secret_value() if isinstance(value, SecretStr) else str(value)
            )
    return environment
