"""What belongs to the application rather than to one flow: errors, and the fallbacks for
what no flow took (a stale button, an unknown command, a command in the wrong kind of chat;
a private message no conversation takes is the router's)."""

from __future__ import annotations

import logging

from telegram import Message, Update
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from bot.context import AppContext, answer_query, identify, translator
from conversations.buttons import KNOWN_PREFIXES
from conversations.menu import GROUP_ONLY, KNOWN_COMMANDS, PRIVATE_ONLY
from monitoring.i18n import N_
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


async def stray_button(update: Update, context: AppContext) -> None:
    """A button whose data no flow recognises (old, or forged)."""
    query = update.callback_query
    assert query is not None
    person = await identify(context, update.effective_user)
    await answer_query(query, translator(context, person)._("This button is no longer valid."))


class _UnknownCommand(filters.MessageFilter):
    def filter(self, message: Message) -> bool:
        text = message.text or ""
        if not text.startswith("/"):
            return False
        return text[1:].split()[0].split("@")[0].lower() not in KNOWN_COMMANDS if text[1:] else True


async def unknown_command(update: Update, context: AppContext) -> None:
    """A command nobody takes, in a private chat (in a group it may be another bot's)."""
    message = update.effective_message
    assert message is not None
    person = await identify(context, update.effective_user)
    await message.reply_text(
        translator(context, person)._(
            "I do not know that command. Send /help to see what you can do."
        )
    )


async def wrong_chat(update: Update, context: AppContext) -> None:
    """A private-only command in a group, or a group-only command in a private chat."""
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0].lstrip("/").split("@")[0]
    # A group is answered in the township's language, whoever asked.
    person = (
        await identify(context, update.effective_user) if message.chat.type == "private" else None
    )
    t = translator(context, person)
    if command in GROUP_ONLY:
        text = t._("Send /{command} in the group itself.").format(command=command)
    else:
        text = t._("Please send /{command} in your private chat with me.").format(command=command)
    await message.reply_text(text)


def fallback_handlers() -> list[BaseHandler[Update, AppContext, None]]:
    private = filters.ChatType.PRIVATE
    return [
        CommandHandler(PRIVATE_ONLY, wrong_chat, filters=filters.ChatType.GROUPS),
        CommandHandler(GROUP_ONLY, wrong_chat, filters=private),
        MessageHandler(private & _UnknownCommand(), unknown_command),
        CallbackQueryHandler(
            stray_button,
            # data of no flow (conversations.buttons): a stale or forged button
            pattern=lambda data: not str(data).startswith(KNOWN_PREFIXES),
        ),
    ]
