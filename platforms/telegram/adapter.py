"""Telegram <-> the core: an update becomes an `Event` for the one dispatch, and the replies
become Bot API calls."""

from __future__ import annotations

import logging
from typing import Any

from telegram import (
    BotCommand,
    BotCommandScopeChat,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    ReplyParameters,
    Update,
)
from telegram.constants import ChatMemberStatus
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, TypeHandler

from conversations.buttons import prefix_of
from conversations.dispatch import dispatch
from conversations.engine.events import ChatKind, Contact, Event
from conversations.engine.replies import (
    Document,
    Edit,
    Keyboard,
    Later,
    Photo,
    Reply,
    Say,
    SetMenu,
    Toast,
)
from platforms.telegram.context import AppContext, answer_query

log = logging.getLogger(__name__)

IN = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


def event_of(update: Update) -> Event | None:
    chat = update.effective_chat
    if chat is None:
        return None
    user = update.effective_user
    kind = ChatKind.PRIVATE if chat.type == "private" else ChatKind.GROUP
    common: dict[str, Any] = {
        "update_id": update.update_id,
        "chat_id": chat.id,
        "chat_kind": kind,
        "user_id": user.id if user else None,
        "chat_title": chat.title,
    }
    query = update.callback_query
    if query is not None:
        message = query.message
        return Event(
            **common,
            button=query.data if isinstance(query.data, str) else None,
            message_id=message.message_id if message is not None else None,
            message_text=getattr(message, "text", None),
        )
    change = update.my_chat_member
    if change is not None:
        was_in = change.old_chat_member.status in IN
        is_in = change.new_chat_member.status in IN
        return Event(**common, bot_joined=is_in and not was_in, bot_left=was_in and not is_in)
    message = update.effective_message
    shared = message.contact if message is not None else None
    return Event(
        **common,
        text=message.text if message is not None else None,
        photo=message.photo[-1].file_id if message is not None and message.photo else None,
        message_id=message.message_id if message is not None else None,
        contact=Contact(shared.phone_number, shared.user_id) if shared is not None else None,
        migrated_to=message.migrate_to_chat_id if message is not None else None,
    )


def markup(reply: Say | Edit) -> InlineKeyboardMarkup | ReplyKeyboardMarkup | None:
    if isinstance(reply, Say) and reply.ask_phone:
        return ReplyKeyboardMarkup(
            [[KeyboardButton(reply.ask_phone, request_contact=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    if isinstance(reply, Say) and reply.clear_ask_phone:
        return ReplyKeyboardRemove()  # type: ignore[return-value]
    return inline(reply.keyboard)


def inline(keyboard: Keyboard) -> InlineKeyboardMarkup | None:
    if not keyboard:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.label, callback_data=b.data) for b in row] for row in keyboard]
    )


async def deliver(update: Update, context: AppContext, event: Event, replies: list[Reply]) -> None:
    """Carry out a flow's replies, in order. An answer in the group a command was sent in
    quotes that command (several people may be asking)."""
    quote = (
        ReplyParameters(event.message_id, allow_sending_without_reply=True)
        if event.chat_kind is ChatKind.GROUP and event.text and event.message_id
        else None
    )
    # A press is answered at once (the person sees the button took), with the flow's toast;
    # only when the toast depends on a delivery (`if_refused`) does it wait for it.
    query, toasted = update.callback_query, False
    if query is not None and not any(
        isinstance(getattr(r, "if_refused", None), Toast) for r in replies
    ):
        toast = next((r for r in replies if isinstance(r, Toast)), None)
        await answer_query(query, toast.text or None if toast is not None else None)
        toasted = True
    for reply in replies:
        if isinstance(reply, Say | Document):
            try:
                await _send(context, event, reply, quote)
            except (Forbidden, BadRequest) as exc:
                if reply.if_refused is not None:
                    await deliver(update, context, event, [reply.if_refused])
                    toasted = toasted or isinstance(reply.if_refused, Toast)
                    continue
                if not (isinstance(reply, Say) and reply.best_effort):
                    raise
                log.info("could not tell chat %s: %s", reply.chat_id, exc)
        elif isinstance(reply, Photo):
            await context.bot.send_photo(
                event.chat_id if reply.chat_id is None else reply.chat_id,
                reply.png,
                filename=reply.filename,
                caption=reply.caption or None,
            )
        elif isinstance(reply, SetMenu):
            try:  # best effort: the menu is a convenience
                await context.bot.set_my_commands(
                    [BotCommand(c, d) for c, d in reply.commands],
                    scope=BotCommandScopeChat(event.chat_id),
                )
            except TelegramError as exc:
                log.warning("could not set commands for chat %s: %s", event.chat_id, exc)
        elif isinstance(reply, Later):
            context.application.create_task(
                _later(update, context, event, reply), update=update, name="later"
            )
        elif isinstance(reply, Edit):
            message_id = reply.message_id if reply.message_id is not None else event.message_id
            chat_id = reply.chat_id if reply.chat_id is not None else event.chat_id
            try:
                await context.bot.edit_message_text(
                    reply.text,
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=inline(reply.keyboard),
                )
            except TelegramError as exc:
                if reply.best_effort or "not modified" in str(exc).lower():
                    log.debug("could not edit message %s in %s: %s", message_id, chat_id, exc)
                    continue
                if not isinstance(exc, BadRequest):
                    raise
                log.debug("could not edit message %s; sending anew: %s", message_id, exc)
                await context.bot.send_message(
                    event.chat_id, reply.text, reply_markup=inline(reply.keyboard)
                )
        elif isinstance(reply, Toast) and query is not None:
            if not toasted:  # a press is answered once; the first answer stands
                await answer_query(query, reply.text or None)
            toasted = True

    if query is not None and not toasted:  # the press is answered
        await answer_query(query)


async def _send(
    context: AppContext, event: Event, reply: Say | Document, quote: ReplyParameters | None
) -> None:
    chat_id = event.chat_id if reply.chat_id is None else reply.chat_id
    if isinstance(reply, Document):
        await context.bot.send_document(
            chat_id, reply.data, filename=reply.filename, caption=reply.caption or None
        )
        return
    sent = await context.bot.send_message(
        chat_id,
        reply.text,
        reply_markup=markup(reply),
        reply_parameters=quote if chat_id == event.chat_id else None,
    )
    if reply.shown is not None:
        await reply.shown(sent.message_id)


async def _later(update: Update, context: AppContext, event: Event, later: Later) -> None:
    try:
        await deliver(update, context, event, await later.work())
    except Exception:  # a background task has nobody to raise to
        log.exception("update %s: work after the answer failed", event.update_id)


def addressed_elsewhere(event: Event, username: str | None) -> bool:
    """A command for another bot in the group (`/summary@OtherBot`), as python-telegram-bot's
    CommandHandler leaves it alone."""
    first = (event.text or "").split(maxsplit=1)[0] if event.text else ""
    if not first.startswith("/") or "@" not in first:
        return False
    return username is None or first.split("@", 1)[1].lower() != username.lower()


def buttons_on(update: Update) -> frozenset[str] | None:
    """The prefixes of the buttons of the message a button was pressed on (None: Telegram no
    longer shows it)."""
    query = update.callback_query
    message = query.message if query is not None else None
    if not isinstance(message, Message):
        return None
    markup = message.reply_markup
    rows = markup.inline_keyboard if markup is not None else ()
    return frozenset(
        prefix_of(button.callback_data)
        for row in rows
        for button in row
        if isinstance(button.callback_data, str)
    )


async def feed(update: Update, context: AppContext) -> None:
    """The one entry: every update becomes an event, goes through the one dispatch
    (`conversations/dispatch.py`, the same for every platform), and its replies are carried
    out here."""
    event = event_of(update)
    if event is None or addressed_elsewhere(event, context.bot.username):
        if update.callback_query is not None:  # a press with no chat (inline mode)
            await answer_query(update.callback_query)
        return
    replies = await dispatch(event, context.services, buttons_on(update))
    await deliver(update, context, event, replies)


def entry() -> BaseHandler[Update, AppContext, None]:
    return TypeHandler(Update, feed)
