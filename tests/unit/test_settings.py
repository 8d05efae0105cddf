"""Settings: the contract's variables, and one clear line naming a bad one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.plugins import own_settings
from bot.settings import SettingsError, load_settings
from platforms.dingtalk.settings import DingTalkSettings

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for key in list(os.environ):
        if key.startswith("FANGFANPIN_"):
            monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)  # no stray .env


def test_defaults_match_the_contract() -> None:
    s = load_settings()
    assert s.telegram_token is None
    assert s.telegram_api_url == "https://api.telegram.org/bot"
    assert s.file_url == "https://api.telegram.org/file/bot"
    assert s.database_url == "sqlite:///data/fangfanpin.db"
    assert s.timezone == "Asia/Shanghai" and s.locale == "zh_CN"
    assert s.crons("reminders") == ["0 9 * * mon", "0 9 * * thu", "0 18 * * sat"]
    assert s.crons("missed-visits") == ["30 0 * * mon"]


def test_env_and_dotenv_are_read(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "FANGFANPIN_TELEGRAM_API_URL=http://127.0.0.1:8081/bot\nFANGFANPIN_LOCALE=en\n"
    )
    monkeypatch.setenv("FANGFANPIN_TIMEZONE", "Asia/Urumqi")
    s = load_settings()
    assert s.telegram_api_url == "http://127.0.0.1:8081/bot"
    assert s.file_url == "http://127.0.0.1:8081/file/bot"
    assert s.locale == "en" and s.timezone == "Asia/Urumqi"
    monkeypatch.setenv("FANGFANPIN_DEBUG_LOGGERS", " telegram, httpx ,")
    assert load_settings().debug_logger_names == ["telegram", "httpx"]


@pytest.mark.parametrize(
    ("variable", "value", "words"),
    [
        ("FANGFANPIN_TELEGRAM_API_URL", "telegram.org/bot", "http(s) URL"),
        ("FANGFANPIN_TIMEZONE", "China/Beijing", "unknown time zone"),
        ("FANGFANPIN_LOCALE", "fr_FR", "unsupported locale"),
        ("FANGFANPIN_LOCALE", "xx-nope-zz", "unknown locale"),
        ("FANGFANPIN_DATABASE_URL", "mysql://x/y", "only SQLite and PostgreSQL"),
        ("FANGFANPIN_TELEGRAM_TOKEN", "not a token", "bot token"),
        ("FANGFANPIN_SCHEDULE_REMINDERS", "0 9 * * mon; every thursday", "not a cron"),
        ("FANGFANPIN_ALERT_CLOSE_AFTER_GREEN", "0", "greater than or equal to 1"),
        ("FANGFANPIN_DEBUG_LOGGERS", "telegram; httpx", "logger names separated by commas"),
    ],
)
def test_a_wrong_value_names_its_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, words: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    message = str(info.value)
    assert message.startswith(variable + ":") and words in message
    assert "\n" not in message


def test_start_up_stops_with_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env["FANGFANPIN_TIMEZONE"] = "Mars/Olympus"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        "fangfanpin: configuration error: FANGFANPIN_TIMEZONE: unknown time zone "
        "'Mars/Olympus' (e.g. Asia/Shanghai)"
    ]


@pytest.mark.parametrize(
    ("env", "line"),
    [
        ({"FANGFANPIN_PLATFORM": "wechat"}, "FANGFANPIN_PLATFORM: use telegram or dingtalk"),
        (
            {"FANGFANPIN_PLATFORM": "dingtalk"},
            "FANGFANPIN_DINGTALK_CLIENT_ID is needed for FANGFANPIN_PLATFORM=dingtalk",
        ),
        (
            {
                "FANGFANPIN_PLATFORM": "dingtalk",
                "FANGFANPIN_DINGTALK_CLIENT_ID": "dingabc",
                "FANGFANPIN_DINGTALK_CLIENT_SECRET": "s3cret",
            },
            "FANGFANPIN_DINGTALK_CARD_TEMPLATE is needed for FANGFANPIN_PLATFORM=dingtalk",
        ),
        (
            {"FANGFANPIN_PLATFORM": "dingtalk", "FANGFANPIN_DINGTALK_CLIENT_ID": "ding abc"},
            "FANGFANPIN_DINGTALK_CLIENT_ID: no spaces: copy it from DingTalk's developer console",
        ),
        (
            {"FANGFANPIN_PLATFORM": "dingtalk", "FANGFANPIN_DINGTALK_API_URL": "api.dingtalk.com"},
            "FANGFANPIN_DINGTALK_API_URL: a DingTalk API base URL must be an http(s) URL such "
            "as https://api.dingtalk.com",
        ),
    ],
)
def test_dingtalk_settings_stop_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], line: str
) -> None:
    for variable, value in env.items():
        monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as info:
        own_settings(load_settings().platform, complete=True)  # as `run` checks them
    assert str(info.value) == line
    assert "s3cret" not in str(info.value)


def test_a_complete_dingtalk_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable, value in {
        "FANGFANPIN_PLATFORM": "DingTalk",
        "FANGFANPIN_DINGTALK_CLIENT_ID": "dingabc",
        "FANGFANPIN_DINGTALK_CLIENT_SECRET": "s3cret",
        "FANGFANPIN_DINGTALK_CARD_TEMPLATE": "tpl-1.schema",
    }.items():
        monkeypatch.setenv(variable, value)
    s = load_settings()
    own = own_settings(s.platform, complete=True)
    assert isinstance(own, DingTalkSettings)
    assert (s.platform, own.client_id, own.card_template) == (
        "dingtalk",
        "dingabc",
        "tpl-1.schema",
    )
    assert own.api_url == "https://api.dingtalk.com"
    assert "s3cret" not in repr(own) + repr(s)
    assert own.secret() == "s3cret"  # what the log redacts
    # Telegram has no variables of its own outside the core's; DingTalk's are not needed then.
    monkeypatch.setenv("FANGFANPIN_PLATFORM", "telegram")
    monkeypatch.delenv("FANGFANPIN_DINGTALK_CARD_TEMPLATE")
    assert own_settings(load_settings().platform, complete=True) is None


PROXY_LINE = (
    "FANGFANPIN_TELEGRAM_PROXY: not a proxy URL: use http://host:port, https://host:port or "
    "socks5://host:port (user:password@ before the host if the proxy asks)"
)


@pytest.mark.parametrize(
    "value",
    [
        "127.0.0.1:1080",  # no scheme
        "ftp://proxy:21",
        "socks4://proxy:1080",
        "socks5://proxy",  # a SOCKS proxy has no default port
        "socks5://u:s3cret@proxy:99999",
        "http://:3128",
        "http://proxy:3128/some/path",
    ],
)
def test_a_bad_proxy_stops_start_up_with_one_line(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FANGFANPIN_TELEGRAM_PROXY", value)
    with pytest.raises(SettingsError) as info:
        load_settings()
    assert str(info.value) == PROXY_LINE  # the value is not repeated: it may hold a password


@pytest.mark.parametrize(
    "value",
    ["http://10.0.0.1:3128", "https://proxy.example:8443/", "socks5://u:p%40ss@127.0.0.1:1080"],
)
def test_a_proxy_for_telegram(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    assert load_settings().telegram_proxy is None
    monkeypatch.setenv("FANGFANPIN_TELEGRAM_PROXY", value)
    assert load_settings().telegram_proxy == value.rstrip("/")


def test_workers_need_postgresql_and_telegram() -> None:
    pg = "postgresql+psycopg://u@h/db"
    assert load_settings().workers == 1
    assert load_settings(workers=3, database_url=pg).workers == 3
    with pytest.raises(SettingsError, match=r"FANGFANPIN_WORKERS.*need PostgreSQL"):
        load_settings(workers=2)  # SQLite, the default
    with pytest.raises(SettingsError, match=r"FANGFANPIN_WORKERS.*for Telegram"):
        load_settings(workers=2, database_url=pg, platform="dingtalk")
    with pytest.raises(SettingsError, match="FANGFANPIN_WORKERS"):
        load_settings(workers=0)


def test_a_worker_gets_the_settings_as_they_are() -> None:
    """Settings made in code (the sandbox's URL) reach a worker through its environment."""
    from bot.settings import as_environment

    made = load_settings(
        telegram_token="123:abc",
        telegram_api_url="http://127.0.0.1:9/bot",
        database_url="postgresql+psycopg://u@h/db",
        workers=2,
    )
    env = as_environment(made, {"PATH": "/bin", "FANGFANPIN_TELEGRAM_PROXY": "http://p:1"})
    assert env["PATH"] == "/bin"
    assert "FANGFANPIN_TELEGRAM_PROXY" not in env  # not set in `made`
    again = load_settings(
        **{k[len("FANGFANPIN_") :].lower(): v for k, v in env.items() if k != "PATH"}
    )
    assert again == made
