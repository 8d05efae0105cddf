"""The button guard (handler group -2): a press outside the chats its flow's buttons belong
in, or on a message without that flow's buttons, is refused with a toast and goes no further
(the rule: `conversations/buttons.py`)."""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import ApplicationHandlerStop, BaseHandler, CallbackQueryHandler

from conversations.buttons import allowed_here, prefix_of
from conversations.engine.events import ChatKind
from platforms.telegram.context import AppContext, answer_query, identify, translator


async def guard(update: Update, context: AppContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    user = update.effective_user
    assert query is not None
    message = query.message
    on_message = None
    if isinstance(message, Message):  # else too old: Telegram no longer shows it
        markup = message.reply_markup
        rows = markup.inline_keyboard if markup is not None else ()
        on_message = frozenset(
            prefix_of(button.callback_data)
            for row in rows
            for button in row
            if isinstance(button.callback_data, str)
        )
    if (
        chat is not None
        and user is not None
        and allowed_here(
            query.data,
            ChatKind.PRIVATE if chat.type == "private" else ChatKind.GROUP,
            chat.id,
            user.id,
            on_message,
        )
    ):
        return
    person = await identify(context, user)
    await answer_query(query, translator(context, person)._("This button can not be used here."))
    raise ApplicationHandlerStop


def guard_handlers() -> list[BaseHandler[Update, AppContext, None]]:
    return [CallbackQueryHandler(guard)]
