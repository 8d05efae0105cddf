"""Registration: /start asks for the phone number; a shared contact links the roster person.

Deliberately not a ConversationHandler: a contact message is unambiguous whenever it
arrives, so there is no state to lose on a restart and nothing to persist.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session
from telegram import (
    BotCommand,
    BotCommandScopeChat,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import BaseHandler, CommandHandler, MessageHandler, filters

from conversations.base import AppContext, identify, translator
from conversations.engine.services import PersonView
from conversations.help import describe, help_text
from conversations.menu import commands_for
from monitoring.i18n import Translator
from monitoring.phones import InvalidPhone, normalize_mobile
from storage.repositories import People

log = logging.getLogger(__name__)


def contact_keyboard(t: Translator) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [[KeyboardButton(t._("📱 Share my phone number"), request_contact=True)]],
        resize_keyboard=True,
        one_time_keyboard=True,
    )


async def start(update: Update, context: AppContext) -> None:
    message = update.effective_message
    assert message is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if update.effective_chat and update.effective_chat.type != "private":
        await message.reply_text(t._("Please talk to me in a private chat to register."))
        return
    if person is not None:
        await message.reply_text(
            t._(
                "Welcome back, {name}. You are registered as {what}. Send /help to see what "
                "you can do."
            ).format(name=person.name, what=describe(person, t)),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    await message.reply_text(
        t._(
            "Welcome to the poverty-relapse monitoring bot. To find you on the township's "
            "roster, please share your phone number with the button below."
        ),
        reply_markup=contact_keyboard(t),
    )


async def contact(update: Update, context: AppContext) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and message.contact is not None and user is not None
    t = translator(context)
    if message.contact.user_id != user.id:
        await message.reply_text(
            t._(
                "That is not your own contact. Please press the button to share your own "
                "phone number."
            ),
            reply_markup=contact_keyboard(t),
        )
        return
    try:
        phone = normalize_mobile(message.contact.phone_number)
    except InvalidPhone:
        phone = None
    now = context.services.now()

    def link(session: Session) -> PersonView | None:
        if phone is None:
            return None
        people = People(session)
        person = people.by_phone(phone)
        if person is None:
            return None
        people.link_telegram(person, user.id, now=now, actor=f"telegram:{user.id}")
        session.flush()
        return PersonView.of(person)

    person = await context.services.tx(link)
    if person is None:
        log.info("registration refused for telegram user %s: phone not on the roster", user.id)
        await message.reply_text(
            t._(
                "Your phone number is not on the township's roster. Please contact the "
                "township office to be added, then send /start again."
            ),
            reply_markup=ReplyKeyboardRemove(),
        )
        return
    t = translator(context, person)
    log.info("telegram user %s linked to person %s (%s)", user.id, person.id, person.role)
    await message.reply_text(
        t._("Hello {name}, you are registered as {what}.").format(
            name=person.name, what=describe(person, t)
        ),
        reply_markup=ReplyKeyboardRemove(),
    )
    await message.reply_text(help_text(person, t))
    await set_commands_for(context, message.chat_id, person, t)


async def set_commands_for(
    context: AppContext, chat_id: int, person: PersonView, t: Translator
) -> None:
    """Give this person's private chat the menu of their role (best effort)."""
    commands = [BotCommand(c, t._(d)) for c, d in commands_for(person.role)]
    try:
        await context.bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id))
    except TelegramError as exc:
        log.warning("could not set commands for chat %s: %s", chat_id, exc)


def handlers() -> list[BaseHandler[Update, AppContext, None]]:
    return [
        CommandHandler("start", start),
        MessageHandler(filters.CONTACT & filters.ChatType.PRIVATE, contact),
    ]
