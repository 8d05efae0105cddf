"""/language: a person chooses the bot's language with a button or typed; the choice is kept
on the person and audited, their menu is redrawn in it, and what the bot then says to them
is in it; a bad name changes nothing; groups keep the township's language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.dispatch import dispatch
from conversations.engine.events import ChatKind
from conversations.engine.replies import Edit, Reply, Say, SetMenu, Toast
from conversations.engine.services import Services
from conversations.engine.turn import Turn
from conversations.people.help import help_flow
from conversations.people.language import language, language_pressed
from conversations.reports.summary import summary
from storage.models import AuditEntry, Person
from tests.flows.conftest import Runner
from tests.small_town import HEAD, STAFF, TOWNSHIP_GROUP, VILLAGE_GROUP, at


def locale_of(town: sessionmaker[Session], user_id: int) -> str | None:
    with town() as s:
        return s.scalars(select(Person.locale).where(Person.platform_user_id == user_id)).one()


async def test_a_person_chooses_english_and_the_bot_speaks_it_to_them(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    [ask] = await run.text(language, HEAD, "/language")
    assert isinstance(ask, Say) and "现在：中文" in ask.text
    assert [b.label for b in ask.keyboard[0]] == ["中文", "English"]
    toast, chosen, menu = await run.event(
        language_pressed, HEAD, HEAD, button=ask.keyboard[0][1].data, message_text=ask.text
    )
    assert isinstance(toast, Toast) and isinstance(chosen, Edit)
    assert chosen.text.startswith("The bot now speaks English with you")
    assert isinstance(menu, SetMenu) and ("help", "What you can do here") in menu.commands
    assert locale_of(town, HEAD) == "en"
    with town() as s:
        [entry] = s.scalars(select(AuditEntry).where(AuditEntry.field == "locale")).all()
        head = s.scalars(select(Person).where(Person.platform_user_id == HEAD)).one()
        assert (entry.old_value, entry.new_value) == (None, "en")
        assert (entry.actor, entry.entity_key) == (f"person:{head.id}", head.phone)
    [help_text] = await run.text(help_flow, HEAD, "/help")
    assert isinstance(help_text, Say) and "Commands:" in help_text.text
    # the staff member still reads Chinese
    [staff_help] = await run.text(help_flow, STAFF, "/help")
    assert isinstance(staff_help, Say) and "命令" in staff_help.text

    # typed, back to Chinese; a language the bot does not have changes nothing
    [bad] = await run.text(language, HEAD, "/language klingon")
    assert isinstance(bad, Say) and "Unknown language klingon" in bad.text
    assert locale_of(town, HEAD) == "en"
    back, _menu = await run.text(language, HEAD, "/language zh")
    assert isinstance(back, Say) and back.text.startswith("现在起本机器人用中文与您交流")
    assert locale_of(town, HEAD) == "zh_CN"


async def test_language_is_chosen_in_private_and_only_by_registered_people(
    run: Runner, town: sessionmaker[Session]
) -> None:
    [in_group] = await run.text(
        language, HEAD, "/language en", chat_id=VILLAGE_GROUP, kind=ChatKind.GROUP
    )
    assert isinstance(in_group, Say) and "私聊" in in_group.text
    [stranger] = await run.text(language, 999, "/language en")
    assert isinstance(stranger, Say) and "/start" in stranger.text
    assert locale_of(town, HEAD) is None


async def test_groups_are_answered_in_the_townships_language_whoever_asks(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    """A person who chose English reads English privately; what they ask in a group is
    answered in the township's language (FANGFANPIN_LOCALE), which everyone there reads."""
    for user in (STAFF, HEAD):
        await run.text(language, user, "/language en")
    assert locale_of(town, STAFF) == locale_of(town, HEAD) == "en"
    services.clock = lambda: at("2026-12-02T10:00")

    mine, _ = await run.text(summary, STAFF, "/summary")
    assert isinstance(mine, Say) and mine.text.startswith("龙溪镇, Week 49")
    in_group, _ = await run.text(
        summary, STAFF, "/summary", chat_id=TOWNSHIP_GROUP, kind=ChatKind.GROUP
    )
    assert isinstance(in_group, Say) and in_group.text.startswith("龙溪镇 第49周")
    assert "Week" not in in_group.text

    # A command that belongs in the private chat, sent in the village group.
    [where] = await run.text(
        dispatched, HEAD, "/checkin", chat_id=VILLAGE_GROUP, kind=ChatKind.GROUP
    )
    assert isinstance(where, Say) and where.text == "请在与我的私聊中发送 /checkin。"
    [private] = await run.text(dispatched, HEAD, "/bind")
    assert isinstance(private, Say) and private.text == "Send /bind in the group itself."


async def dispatched(turn: Turn) -> list[Reply]:
    """The one dispatch, as a flow of the runner."""
    return await dispatch(turn.event, turn.services, turn=turn)
