"""Errors: one bad update never blocks the next, a passing database fault is retried, the sender
is told once."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.ext import (
    ApplicationHandlerStop,
)

from monitoring.i18n import N_
from platforms.telegram.context import AppContext, translator
from storage.db import is_transient

log = logging.getLogger(__name__)


async def on_error(update: object, context: AppContext) -> None:
    """Log the failure with the update's ids; one bad update never blocks the next. A passing
    database fault (busy, connection lost) is not a bug: the update is handled again shortly
    (the poller does it) and the sender is told once to wait, not to send it again."""
    if isinstance(update, Update) and is_transient(context.error):
        context.bot_data.retry_updates.add(update.update_id)
        log.warning(
            "update %s: database unavailable (%s); will retry",
            update.update_id,
            str(context.error).splitlines()[0][:200],
        )
        if update.update_id not in context.bot_data.retry_told:
            context.bot_data.retry_told.add(update.update_id)
            await _tell(
                update,
                context,
                N_(
                    "The database is busy right now. Your message will be saved in a moment; "
                    "no need to send it again."
                ),
            )
        raise ApplicationHandlerStop  # no later handler group (no "did not understand")
    ids = ""
    if isinstance(update, Update):
        chat = update.effective_chat.id if update.effective_chat else "-"
        user = update.effective_user.id if update.effective_user else "-"
        ids = f"update {update.update_id} chat {chat} user {user}"
    log.error("handler failed (%s)", ids or type(update).__name__, exc_info=context.error)
    if (
        isinstance(update, Update)
        and update.effective_message
        and update.effective_chat
        and update.effective_chat.type == "private"
    ):
        await _tell(
            update,
            context,
            N_("Sorry, something went wrong. Your earlier answers are kept; please try again."),
        )
    if isinstance(update, Update):
        raise ApplicationHandlerStop  # the apology is the answer; no fallback reply as well


async def _tell(update: Update, context: AppContext, msgid: str) -> None:
    """Best effort: a note to the sender in a private chat (a toast for a button)."""
    if update.effective_chat is None or update.effective_chat.type != "private":
        return
    text = translator(context)._(msgid)
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(text[:200], show_alert=False)
        elif update.effective_message is not None:
            await update.effective_message.reply_text(text)
    except Exception:  # the note is best effort
        log.warning("could not tell the user about the failure", exc_info=True)
