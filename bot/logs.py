"""Logging set-up: one format, quiet libraries, and nothing private written.

- Every record (tracebacks included) has the bot token, mainland mobile numbers, ID numbers,
  amounts of money and health words masked.
- Only our own modules log at DEBUG when FANGFANPIN_LOG_LEVEL is DEBUG. The libraries'
  DEBUG records carry whole updates and requests (names, typed amounts, notes about an
  illness): they stay at INFO (the HTTP clients and the scheduler at WARNING), unless asked for
  by name in FANGFANPIN_DEBUG_LOGGERS (e.g. `telegram,httpx`), and even then they are masked
  as above."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable

_TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
# A mainland mobile number, with or without 86 / +86 in front, not part of a longer number.
_PHONE_RE = re.compile(r"(?<![\d])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
# An 18-character resident ID number (the last character may be X).
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{14}(\d{3}[\dXx])(?![0-9A-Za-z])")
# An amount of money: with its unit (4,500 元, 1.2万, 300 yuan), or the value of a field that
# holds one ('expected_income': '24000.00', amount=4500).
_AMOUNT_RE = re.compile(
    r"\d[\d,，.]*\s*(?:万元|万|元|yuan\b)"
    r"|(\w*(?:income|amount|capita|expenditure|expense)\w*['\"]?\s*[:=]\s*['\"]?)"
    r"-?\d+(?:[,.]\d+)*",
    re.IGNORECASE,
)
# Health details: a condition, a treatment, a stay in hospital (as the privacy check of group
# messages lists them).
_HEALTH_RE = re.compile(
    r"因病|因残|医疗保险|医保|看病|治疗|疾病|患病|生病|重病|大病|慢性病|残疾|住院|手术|癌"
    r"|illness|disab\w*|hospital\w*|treatment|surgery|cancer",
    re.IGNORECASE,
)

# Loggers of the libraries the bot uses, and the level they keep whatever FANGFANPIN_LOG_LEVEL
# says (unless named in FANGFANPIN_DEBUG_LOGGERS). httpx logs every request URL at INFO, and
# the URL carries the token.
LIBRARY_LEVELS = {
    "telegram": logging.INFO,
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "aiohttp": logging.INFO,
    "aiohttp.access": logging.WARNING,
    "apscheduler": logging.WARNING,
    "alembic": logging.WARNING,
    "sqlalchemy": logging.WARNING,  # its own default; at INFO statements, at DEBUG rows
    "websockets": logging.INFO,  # DingTalk's stream: every frame at DEBUG
    "dingtalk_stream": logging.INFO,
}
# Our own packages: the only loggers whose DEBUG records are written unless asked for.
OURS = (
    "bot",
    "conversations",
    "monitoring",
    "storage",
    "scheduler",
    "dingtalk",
    "platforms",
    "sandbox",
)


def redact(text: str, token: str | None = None) -> str:
    """`text` with the token, mobile numbers (`138****8001`), ID numbers (last 4 kept),
    amounts (`<amount>`) and health words (`<health>`) masked."""
    if token:
        text = text.replace(token, "<token>")
    text = _TOKEN_RE.sub("<token>", text)
    text = _ID_RE.sub(lambda m: "*" * 14 + m.group(1), text)
    text = _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)
    text = _AMOUNT_RE.sub(lambda m: f"{m.group(1) or ''}<amount>", text)
    return _HEALTH_RE.sub("<health>", text)


class Redact(logging.Filter):
    """Mask private data in every record: its message with its arguments, its traceback and
    its stack. Attach to the handler, so that every library's records pass through it."""

    def __init__(self, token: str | None = None) -> None:
        super().__init__()
        self.token = token
        self._formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a record whose arguments do not fit its format: log it as is
            message = f"{record.msg!r} % {record.args!r}"
        redacted = redact(message, self.token)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text, self.token)
        if record.stack_info:
            record.stack_info = redact(record.stack_info, self.token)
        return True


def _within(name: str, packages: Iterable[str]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


class OwnDebugOnly(logging.Filter):
    """DEBUG records of our own modules and of the loggers asked for by name; a library not
    listed in LIBRARY_LEVELS is held to INFO here."""

    def __init__(self, asked: Iterable[str] = ()) -> None:
        super().__init__()
        self.allowed = (*OURS, *asked)

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG or _within(record.name, self.allowed)


def setup_logging(level: str, token: str | None, debug_loggers: Iterable[str] = ()) -> None:
    asked = [name for name in debug_loggers if name]
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(OwnDebugOnly(asked))
    handler.addFilter(Redact(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name, quiet in LIBRARY_LEVELS.items():
        logging.getLogger(name).setLevel(max(quiet, logging.getLevelName(level)))
    for name in asked:
        logging.getLogger(name).setLevel(logging.DEBUG)
