"""/language: a person picks the language the bot speaks to them (buttons 中文 / English, or
`/language en` typed); kept on the person, audited, and their command menu redrawn in it.
Group messages stay in the township's default language (`FANGFANPIN_LOCALE`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conversations.engine.callbacks import Action
from conversations.engine.events import ChatKind
from conversations.engine.replies import Button, Edit, Reply, Say, SetMenu, Toast
from conversations.engine.turn import Turn
from conversations.people.menu import commands_for
from monitoring.i18n import SUPPORTED_LOCALES, Translator, parse_locale
from storage.models import Person
from storage.repositories import Audit

CHOOSE = Action("lg", "set", "locale")
NAMES = {"zh_CN": "中文", "en": "English"}  # each in its own language


def _chosen(t: Translator) -> str:
    return t._("The bot now speaks {language} with you. Groups keep the township's language.")


async def _set(turn: Turn, locale: str) -> tuple[Translator, list[Reply]]:
    """Store the choice (audited) and answer in the new language, with the menu in it."""
    person, services = turn.person, turn.services
    assert person is not None
    now = services.now()

    def store(session: Session) -> None:
        row = session.get(Person, person.id)
        assert row is not None
        Audit(session).update_fields(
            row,
            {"locale": locale},
            now=now,
            actor=f"person:{person.id}",
            entity="person",
            key=row.phone,
        )

    await services.tx(store)
    t = services.translations.get(locale)
    menu = SetMenu(tuple((c, t._(d)) for c, d in commands_for(person.role)))
    return t, [menu]


async def language(turn: Turn) -> list[Reply]:
    person, t = turn.person, turn.t
    if turn.event.chat_kind is not ChatKind.PRIVATE:
        where = t._("Please send /{command} in your private chat with me.")
        return [Say(where.format(command="language"))]
    if person is None:
        return [Say(t._("You are not registered yet. Send /start and share your phone number."))]
    wanted = " ".join(turn.event.args).strip()
    if wanted:
        try:
            locale = parse_locale(wanted)
        except ValueError:
            names = "、".join(NAMES[loc] for loc in SUPPORTED_LOCALES)
            return [
                Say(
                    t._("Unknown language {value}: choose {names}.").format(
                        value=wanted, names=names
                    )
                )
            ]
        new, replies = await _set(turn, locale)
        return [Say(_chosen(new).format(language=NAMES[locale])), *replies]
    keyboard = (tuple(Button(NAMES[loc], CHOOSE.data(locale=loc)) for loc in SUPPORTED_LOCALES),)
    current = NAMES[person.locale or turn.services.translations.default_locale]
    question = t._("Which language should the bot use with you? Now: {current}")
    return [Say(question.format(current=current), keyboard)]


async def language_pressed(turn: Turn) -> list[Reply]:
    person, t = turn.person, turn.t
    values = CHOOSE.read(turn.event.button)
    if person is None or values is None or values["locale"] not in SUPPORTED_LOCALES:
        return [Toast(t._("This button is no longer valid."))]
    locale = values["locale"]
    new, replies = await _set(turn, locale)
    return [Toast(""), Edit(_chosen(new).format(language=NAMES[locale])), *replies]
