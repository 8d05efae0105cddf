"""One update handled to its end, in whichever process handles it (the polling process, or a
worker: `platforms/telegram/workers.py`): the Application's handlers, then, for an update that
failed on a passing database fault (the error handler marks it), again with backoff for up to
about 5 minutes; then its sender is told it was not saved."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from telegram import Update
from telegram.error import TelegramError

from platforms.telegram.context import AppType

log = logging.getLogger(__name__)
DB_RETRY_FOR = 300.0  # seconds an update is retried while the database is unavailable


async def handle(app: AppType, update: Update, stopping: asyncio.Event) -> bool:
    """Handle `update`; True when it may be confirmed to Telegram, False when `stopping` was
    set while it waited for the database (it is then left unconfirmed: it comes again)."""
    await app.process_update(update)
    data = app.bot_data
    delay = 1.0
    waited = 0.0
    while update.update_id in data.retry_updates:
        data.retry_updates.discard(update.update_id)
        if waited >= DB_RETRY_FOR:
            log.error("update %s: database still unavailable; giving up", update.update_id)
            await _tell_not_saved(app, update)
            break
        await pause(stopping, delay)
        if stopping.is_set():
            return False
        waited += delay
        delay = min(delay * 2, 30.0)
        await app.process_update(update)
    data.retry_told.discard(update.update_id)
    return True


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Wait `seconds`, or less when `stopping` is set meanwhile."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


async def _tell_not_saved(app: AppType, update: Update) -> None:
    chat = update.effective_chat
    if chat is None or chat.type != "private":
        return
    t = app.bot_data.services.translations.get()
    with contextlib.suppress(TelegramError):
        await app.bot.send_message(
            chat.id,
            t._("Sorry, your last message could not be saved. Please send it again."),
        )
