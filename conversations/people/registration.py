"""Registration: /start asks for the phone number; a shared contact links the roster person.

Deliberately no conversation state: a contact is unambiguous whenever it arrives, so there is
nothing to lose on a restart and nothing to persist."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from conversations.engine.events import ChatKind
from conversations.engine.replies import Reply, Say, SetMenu
from conversations.engine.services import PersonView, language
from conversations.engine.turn import Turn
from conversations.people.help import describe, short_help
from conversations.people.menu import commands_for
from monitoring.i18n import Translator
from monitoring.phones import InvalidPhone, normalize_mobile
from storage.identities import Identities, Served, serving_of
from storage.platform_ids import actor_of_account
from storage.repositories import People

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Elsewhere:
    """The person's township is served by another bot (`served`; None: by none yet)."""

    served: Served | None


def elsewhere(served: Served | None, t: Translator) -> str:
    """Which bot to use instead: nothing of the person's own is said (not even their name:
    anyone can share a contact they own, but this bot is not theirs)."""
    if served is None:
        return t._(
            "This bot does not serve your township. Please ask the township office which "
            "bot to use."
        )
    platforms = {"telegram": t._("Telegram"), "dingtalk": t._("DingTalk")}
    bot = served.handle or served.identity
    return t._(
        "This bot does not serve your township: please use {bot} ({platform}). Nothing was "
        "recorded here."
    ).format(bot=bot, platform=platforms.get(served.platform, served.platform))


def _ask_phone(t: Translator) -> str:
    return t._("📱 Share my phone number")


async def start(turn: Turn) -> list[Reply]:
    person, t = turn.person, turn.t
    if turn.event.chat_kind is not ChatKind.PRIVATE:
        return [Say(t._("Please talk to me in a private chat to register."))]
    if person is not None:
        return [
            Say(
                t._(
                    "Welcome back, {name}. You are registered as {what}. Send /help to see "
                    "what you can do."
                ).format(name=person.name, what=describe(person, t)),
                clear_ask_phone=True,
            )
        ]
    return [
        Say(
            t._(
                "Welcome to the poverty-relapse monitoring bot. To find you on the township's "
                "roster, please share your phone number with the button below."
            )
            + "\n"
            + t._("Not a cadre? To report your household's difficulty, send /report."),
            ask_phone=_ask_phone(t),
        )
    ]


async def contact(turn: Turn) -> list[Reply]:
    """A shared contact in a private chat: link the person whose phone it is."""
    event, services = turn.event, turn.services
    shared = event.contact
    assert shared is not None and event.user_id is not None
    t = language(services, None)
    user_id = event.user_id
    if shared.owner_user_id != user_id:
        return [
            Say(
                t._(
                    "That is not your own contact. Please press the button to share your own "
                    "phone number."
                ),
                ask_phone=_ask_phone(t),
            )
        ]
    try:
        phone: str | None = normalize_mobile(shared.phone)
    except InvalidPhone:
        phone = None
    now = services.now()

    def link(session: Session) -> PersonView | Elsewhere | None:
        if phone is None:
            return None
        people = People(session)
        person = people.by_phone(phone)
        if person is None:
            return None
        if not serving_of(session).covers(person.township_id):  # another county's bot
            return Elsewhere(Identities(session).serving(person.township_id))
        people.link_account(person, user_id, now=now, actor=actor_of_account(session, user_id))
        session.flush()
        return PersonView.of(person)

    person = await services.tx(link)
    if isinstance(person, Elsewhere):
        log.info("registration refused for user %s: another bot serves their township", user_id)
        return [Say(elsewhere(person.served, t), clear_ask_phone=True)]
    if person is None and phone is not None:  # a self-report's phone (/report), if it asks
        from conversations.leads.selfreport import contact_taken

        own = await contact_taken(turn, phone)
        if own is not None:
            return own
    if person is None:
        log.info("registration refused for user %s: phone not on the roster", user_id)
        return [
            Say(
                t._(
                    "Your phone number is not on the township's roster. Please contact the "
                    "township office to be added, then send /start again."
                ),
                clear_ask_phone=True,
            )
        ]
    t = language(services, person)
    log.info("user %s linked to person %s (%s)", user_id, person.id, person.role)
    return [
        Say(
            t._("Hello {name}, you are registered as {what}.").format(
                name=person.name, what=describe(person, t)
            ),
            clear_ask_phone=True,
        ),
        Say(short_help(person, t)),
        SetMenu(tuple((c, t._(d)) for c, d in commands_for(person.role))),
    ]
