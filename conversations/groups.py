"""Groups: /bind makes a group the township's group or a village's group; the bot notices
being added or removed and a group's upgrade to a supergroup.

Callback data: gb:t (the township group), gb:v:<village id>.
"""

from __future__ import annotations

import logging
import re

from sqlalchemy.orm import Session
from telegram import ChatMemberUpdated, InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatMemberStatus
from telegram.error import TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from conversations.base import AppContext, answer_query, identify, translator
from conversations.engine.services import PersonView
from conversations.notices import tell_staff_group_lost
from monitoring.i18n import Translator
from monitoring.people import Role
from storage.bindings import ACTIVE, BROKEN, ENDED, Bindings
from storage.models import Person
from storage.repositories import Places

log = logging.getLogger(__name__)
CALLBACK = re.compile(r"^gb:(?:t|v:(?P<village>\d{1,12}))$")
GROUPS = filters.ChatType.GROUPS
IN = {ChatMemberStatus.MEMBER, ChatMemberStatus.ADMINISTRATOR, ChatMemberStatus.OWNER}


def _is_staff(person: PersonView | None) -> bool:
    return person is not None and person.role is Role.TOWNSHIP_STAFF


def _bound_elsewhere(session: Session, chat_id: int, township_id: int) -> str | None:
    """What the group is bound to, if that belongs to another township."""
    bindings = Bindings(session)
    binding = bindings.of_chat(chat_id)
    if binding is None or binding.status != "active" or binding.township_id == township_id:
        return None
    return bindings.describe(binding)


def _not_yours(target: str, t: Translator) -> str:
    return t._(
        "This group is the group of {target}: only that township's staff can change it."
    ).format(target=target)


async def bind_command(update: Update, context: AppContext) -> None:
    message = update.effective_message
    assert message is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if not _is_staff(person):
        await message.reply_text(t._("Only township staff can bind a group."))
        return
    assert person is not None
    chat = update.effective_chat
    assert chat is not None
    other = await context.services.tx(lambda s: _bound_elsewhere(s, chat.id, person.township_id))
    if other is not None:
        await message.reply_text(_not_yours(other, t))
        return
    villages = await context.services.tx(
        lambda s: [(v.id, v.name) for v in Places(s).villages_of(person.township_id)]
    )
    rows = [
        [
            InlineKeyboardButton(
                t._("Township group ({township})").format(township=person.township_name),
                callback_data="gb:t",
            )
        ]
    ]
    buttons = [InlineKeyboardButton(name, callback_data=f"gb:v:{vid}") for vid, name in villages]
    rows.extend(buttons[i : i + 3] for i in range(0, len(buttons), 3))
    await message.reply_text(
        t._("Whose group is this? Red warnings for it will be posted here."),
        reply_markup=InlineKeyboardMarkup(rows),
    )


async def bind_pressed(update: Update, context: AppContext) -> None:
    query = update.callback_query
    chat = update.effective_chat
    assert query is not None and chat is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    match = CALLBACK.match(query.data or "")
    if not _is_staff(person) or match is None:
        await answer_query(query, t._("Only township staff can bind a group."))
        return
    assert person is not None
    village_id = int(match["village"]) if match["village"] else None
    now = context.services.now()

    def bind(session: Session) -> str | None:
        if village_id is not None and not any(
            v.id == village_id for v in Places(session).villages_of(person.township_id)
        ):
            return None
        if _bound_elsewhere(session, chat.id, person.township_id) is not None:
            return None
        by = session.get(Person, person.id)
        assert by is not None
        binding = Bindings(session).bind(
            chat_id=chat.id,
            title=chat.title,
            township_id=person.township_id,
            village_id=village_id,
            by=by,
            now=now,
        )
        return Bindings(session).describe(binding)

    target = await context.services.tx(bind)
    if target is None:
        await answer_query(query, t._("This button is no longer valid."))
        return
    await answer_query(query)
    text = (
        t._(
            "This group is now the township group of {township}. Red warnings of all "
            "villages come here."
        ).format(township=person.township_name)
        if village_id is None
        else t._("This group is now the group of {target}. Its red warnings come here.").format(
            target=target
        )
    )
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text)
            return
        except TelegramError:
            log.debug("could not edit the /bind message", exc_info=True)
    await chat.send_message(text)


async def unbind_command(update: Update, context: AppContext) -> None:
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if not _is_staff(person):
        await message.reply_text(t._("Only township staff can unbind a group."))
        return
    assert person is not None
    now = context.services.now()

    def unbind(session: Session) -> str | None:
        bindings = Bindings(session)
        binding = bindings.of_chat(chat.id)
        if binding is None:
            return None
        other = _bound_elsewhere(session, chat.id, person.township_id)
        if other is not None:
            return "!" + _not_yours(other, t)
        bindings.end(binding, status=ENDED, now=now, actor=f"person:{person.id}")
        return bindings.describe(binding)

    target = await context.services.tx(unbind)
    if target is not None and target.startswith("!"):
        await message.reply_text(target[1:])
    elif target is None:
        await message.reply_text(t._("This group is not bound."))
    else:
        await message.reply_text(
            t._("This group is no longer the group of {target}.").format(target=target)
        )


async def membership(update: Update, context: AppContext) -> None:
    """The bot was added to a group or removed from it."""
    change: ChatMemberUpdated | None = update.my_chat_member
    if change is None or change.chat.type == "private":
        return
    was_in = change.old_chat_member.status in IN
    is_in = change.new_chat_member.status in IN
    chat = change.chat
    adder = await identify(context, change.from_user)
    t = translator(context, adder)
    now = context.services.now()
    if is_in and not was_in:
        log.info("added to group %s by telegram user %s", chat.id, change.from_user.id)
        if _is_staff(adder):
            try:
                await context.bot.send_message(
                    change.from_user.id,
                    t._(
                        "You added me to the group “{title}”. Send /bind in that group to make it "
                        "the township group or a village's group."
                    ).format(title=chat.title or "?"),
                )
            except TelegramError:
                log.info("could not tell %s privately about group %s", change.from_user.id, chat.id)
        await context.bot.send_message(
            chat.id,
            t._(
                "Hello! I post red warnings of poverty-relapse monitoring. Township staff: send "
                "/bind here to choose whose group this is."
            ),
        )
        return
    if was_in and not is_in:
        log.warning("removed from group %s by telegram user %s", chat.id, change.from_user.id)

        def lost(session: Session) -> None:
            bindings = Bindings(session)
            binding = bindings.of_chat(chat.id)
            if binding is None or binding.status != ACTIVE:
                return
            bindings.end(binding, status=BROKEN, now=now, actor=f"telegram:{change.from_user.id}")
            tell_staff_group_lost(
                session,
                binding.township_id,
                binding.id,
                bindings.describe(binding),
                chat.title,
                now,
            )

        await context.services.tx(lost)
        context.services.wake_outbox()


async def migrated(update: Update, context: AppContext) -> None:
    """A group became a supergroup: its binding follows it to the new chat id."""
    message = update.effective_message
    if message is None or message.migrate_to_chat_id is None:
        return
    old, new = message.chat_id, message.migrate_to_chat_id
    now = context.services.now()
    moved = await context.services.tx(lambda s: Bindings(s).migrate(old, new, now=now))
    if moved is not None:
        log.info("group %s became supergroup %s; binding kept", old, new)


def handlers() -> list[BaseHandler[Update, AppContext, None]]:
    return [
        CommandHandler("bind", bind_command, filters=GROUPS),
        CommandHandler("unbind", unbind_command, filters=GROUPS),
        CallbackQueryHandler(bind_pressed, pattern=r"^gb:"),
        ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER),
        MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
    ]
