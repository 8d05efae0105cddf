"""Logging set-up: one format, quiet HTTP client, and nothing private written: the bot token,
mainland mobile numbers and ID numbers are masked in every record, tracebacks included."""

from __future__ import annotations

import logging
import re

_TOKEN_RE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
# A mainland mobile number, with or without 86 / +86 in front, not part of a longer number.
_PHONE_RE = re.compile(r"(?<![\d])(?:\+?86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})(?!\d)")
# An 18-character resident ID number (the last character may be X).
_ID_RE = re.compile(r"(?<![0-9A-Za-z])\d{14}(\d{3}[\dXx])(?![0-9A-Za-z])")


def redact(text: str, token: str | None = None) -> str:
    """`text` with the token, mobile numbers (`138****8001`) and ID numbers (last 4 kept)
    masked."""
    if token:
        text = text.replace(token, "<token>")
    text = _TOKEN_RE.sub("<token>", text)
    text = _ID_RE.sub(lambda m: "*" * 14 + m.group(1), text)
    return _PHONE_RE.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


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


def setup_logging(level: str, token: str | None) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(Redact(token))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL carries the token.
    for noisy in ("httpx", "httpcore", "apscheduler", "aiohttp.access", "alembic"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
