"""Telegram's side of the outbox (`bot/outbox.py` drains it): one row sent with the Bot API,
and Telegram's answer in the core's words.

- Network errors, timeouts and 5xx: the link is down (`RetryAt(link_down=True)`).
- 429: the flood limiter (`platforms/telegram/priority.py`) waited out and retried three
  times already; a 429 that still comes waits Telegram's `retry_after`.
- A group upgraded to a supergroup (400 with `migrate_to_chat_id`): `Moved`.
- 403, or a 400 whose description says the bot can not write there ("chat not found", "bot
  was kicked", "not enough rights" ...): `ChatGone`. Any other 400: `Refused`.
(Bot API, "Making requests" and `ResponseParameters`: https://core.telegram.org/bots/api)"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)

from bot.transport import ChatGone, Moved, Outcome, Refused, RetryAt, Sent
from conversations.outbox.render import Outgoing
from platforms.telegram.adapter import inline
from platforms.telegram.priority import bulk
from storage.platform_ids import Platform

log = logging.getLogger(__name__)

# How Telegram words a 400 that means "the bot can not write in this chat" (lower case).
CANNOT_WRITE = (
    "chat not found",
    "kicked",
    "not enough rights",
    "have no rights",
    "need administrator rights",
    "chat_write_forbidden",
    "not a member",
    "was deactivated",
    "peer_id_invalid",
    "bot was blocked",
    "user is deactivated",
    "chat_restricted",
)


def cannot_write(description: str) -> bool:
    text = description.lower()
    return any(words in text for words in CANNOT_WRITE)


class TelegramTransport:
    platform = Platform.TELEGRAM
    label = "Telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    def address(self, session: Session, chat_id: int, message_id: int | None) -> Any:
        return (chat_id, message_id)  # Telegram's own ids

    async def send(self, address: Any, out: Outgoing, png: bytes | None) -> Outcome:
        chat_id = address[0]
        try:
            # A job's message (reminders, lists) goes after the replies and the warnings
            # waiting for Telegram's flood limit.
            with bulk() if out.bulk else contextlib.nullcontext():
                if png is not None:
                    message = await self.bot.send_photo(
                        chat_id, png, caption=out.text, filename="chart.png"
                    )
                else:
                    message = await self.bot.send_message(
                        chat_id, out.text, reply_markup=inline(out.keyboard)
                    )
        except RetryAfter as exc:
            wait = exc.retry_after
            seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
            return RetryAt(seconds, f"429 retry after {seconds}")
        except ChatMigrated as exc:
            return Moved(exc.new_chat_id)
        except Forbidden as exc:
            return ChatGone(f"403 {exc}")
        except BadRequest as exc:
            error = f"400 {exc}"
            return ChatGone(error) if cannot_write(str(exc)) else Refused(error)
        except TimedOut:
            return RetryAt(None, "timed out", link_down=True)
        except NetworkError as exc:  # also 5xx
            return RetryAt(None, str(exc) or type(exc).__name__, link_down=True)
        return Sent(message.message_id)

    def record(self, session: Session, ref: int | str | None, now: datetime) -> int | None:
        return ref if isinstance(ref, int) else None

    async def edit(self, address: Any, out: Outgoing) -> None:
        chat_id, message_id = address
        try:
            await self.bot.edit_message_text(
                out.text, chat_id=chat_id, message_id=message_id, reply_markup=inline(out.keyboard)
            )
        except TelegramError as exc:  # not modified, deleted, bot removed: best effort
            log.debug("could not bring message %s in %s up to date: %s", message_id, chat_id, exc)
