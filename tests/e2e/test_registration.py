"""Registration end to end: the real Application, over HTTP, through the Bot API stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models import AuditEntry, Person
from tests.conftest import import_examples

HELPER = (501, "李建国", "13800138001")
VILLAGE_HEAD = (502, "张卫东", "13700137001")
TOWNSHIP_STAFF = (503, "杨振华", "18700187001")


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    return session_factory


def person(factory: sessionmaker[Session], phone: str) -> Person:
    with factory() as session:
        found = session.scalar(select(Person).where(Person.phone == "+86" + phone))
        assert found is not None
        return found


async def say(client: SandboxClient, user_id: int, text: str) -> dict[str, Any]:
    seq = await client.last_seq()
    await client.send_text(user_id, text)
    return await client.reply(user_id, after=seq)


async def register(
    client: SandboxClient, user_id: int, name: str, phone: str
) -> list[dict[str, Any]]:
    await client.user(user_id, name)
    prompt = await say(client, user_id, "/start")
    keyboard = prompt["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_contact"] is True
    seq = await client.last_seq()
    await client.send_contact(user_id, phone, contact_user_id=user_id)
    return await client.wait_bot_messages(user_id, after=seq, count=2)


@pytest.mark.parametrize(
    ("who", "role_words", "most_used"),
    [
        (HELPER, "帮扶责任人", ["/checkin", "/mine"]),
        (VILLAGE_HEAD, "村干部", ["/summary", "/proposals"]),
        (TOWNSHIP_STAFF, "乡镇干部", ["/summary", "/export", "/proposals"]),
    ],
)
async def test_each_role_registers_by_sharing_contact(
    bot: AppType,
    client: SandboxClient,
    roster: sessionmaker[Session],
    who: tuple[int, str, str],
    role_words: str,
    most_used: list[str],
) -> None:
    user_id, name, phone = who
    seq = await client.last_seq()
    greeting, help_message = await register(client, user_id, name, "+86" + phone)

    assert name in greeting["text"] and role_words in greeting["text"]
    assert greeting["reply_markup"] == {"remove_keyboard": True}
    # A short screen: the role's most used commands, /help for the rest.
    lines = help_message["text"].splitlines()
    assert lines[0] == "常用命令：" and lines[-1] == "其他命令请发送 /help。"
    assert [line.split(" ")[0] for line in lines[1:-1]] == most_used
    assert person(roster, phone).platform_user_id == user_id
    with roster() as session:
        audit = session.scalars(
            select(AuditEntry).where(
                AuditEntry.entity == "person",
                AuditEntry.entity_key == "+86" + phone,
                AuditEntry.field == "platform_user_id",
            )
        ).all()
    assert [(a.old_value, a.new_value, a.actor) for a in audit] == [
        (None, str(user_id), f"telegram:{user_id}")
    ]
    # The person's private chat got the menu of their role.
    await client.wait_event(after=seq, kinds="commands", chat_id=user_id)
    commands = await client.commands()
    assert [c["command"] for c in commands[f"chat:{user_id}"]][:2] == ["start", "help"]


async def test_phone_without_plus_and_with_spaces_matches(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    user_id, name, phone = HELPER
    greeting, _ = await register(client, user_id, name, "86" + phone)
    assert name in greeting["text"]
    assert person(roster, phone).platform_user_id == user_id


async def test_contact_of_someone_else_is_refused(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await client.user(600, "冒充者")
    await say(client, 600, "/start")
    seq = await client.last_seq()
    # A forwarded contact: it belongs to the helper (user 501), the sender is 600.
    await client.send_contact(600, "+86" + HELPER[2], contact_user_id=501)
    reply = await client.reply(600, after=seq)
    assert "不是您本人" in reply["text"]
    seq = await client.last_seq()
    # A typed-in contact carries no user id at all.
    await client.send_contact(600, "+86" + HELPER[2])
    reply = await client.reply(600, after=seq)
    assert "不是您本人" in reply["text"]
    assert person(roster, HELPER[2]).platform_user_id is None


async def test_unknown_phone_is_told_to_contact_township_and_nothing_is_stored(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    with roster() as session:
        people_before = session.scalars(select(Person.id)).all()
        audit_before = session.scalars(select(AuditEntry.id)).all()
    await client.user(700, "路人")
    await say(client, 700, "/start")
    seq = await client.last_seq()
    await client.send_contact(700, "+8613311112222", contact_user_id=700)
    reply = await client.reply(700, after=seq)
    assert "不在乡镇名单" in reply["text"]
    with roster() as session:
        assert session.scalars(select(Person.id)).all() == people_before
        assert session.scalars(select(AuditEntry.id)).all() == audit_before
        assert session.scalar(select(Person).where(Person.platform_user_id == 700)) is None


async def test_help_lists_what_the_role_may_do(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    stranger = await say(client, 800, "/help")
    assert "还未登记" in stranger["text"] and "/start" in stranger["text"]
    await register(client, *HELPER)
    helper_help = await say(client, HELPER[0], "/help")
    assert "李建国" in helper_help["text"] and "龙溪镇青山村帮扶责任人" in helper_help["text"]


async def test_start_again_greets_a_registered_person(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await register(client, *TOWNSHIP_STAFF)
    again = await say(client, TOWNSHIP_STAFF[0], "/start")
    assert "欢迎回来" in again["text"] and "龙溪镇乡镇干部" in again["text"]


async def test_new_telegram_account_takes_over_and_the_old_link_is_audited(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    _, name, phone = HELPER
    await register(client, 501, name, phone)
    await register(client, 901, name, phone)  # the helper's new phone/account
    assert person(roster, phone).platform_user_id == 901
    with roster() as session:
        values = session.execute(
            select(AuditEntry.old_value, AuditEntry.new_value)
            .where(AuditEntry.field == "platform_user_id")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(v) for v in values] == [(None, "501"), ("501", "901")]


async def test_start_in_a_group_points_to_the_private_chat(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    await client.create_group(-1001, "青山村防返贫群")
    seq = await client.last_seq()
    await client.bot_membership(-1001, by_user_id=503)
    greeting = await client.reply(-1001, after=seq)
    assert "/bind" in greeting["text"]
    seq = await client.last_seq()
    await client.send_text(503, "/start@fangfanpin_bot", chat_id=-1001)
    reply = await client.reply(-1001, after=seq)
    assert "私聊" in reply["text"]
    assert "keyboard" not in (reply.get("reply_markup") or {})


async def test_menus_are_set_for_private_chats_and_groups_in_both_languages(
    bot: AppType, client: SandboxClient
) -> None:
    commands = await client.commands()
    assert {
        "all_private_chats",
        "all_private_chats@zh",
        "all_private_chats@en",
        "all_group_chats",
        "all_group_chats@en",
    } <= set(commands)
    assert commands["all_private_chats@en"][0] == {
        "command": "start",
        "description": "Register with your phone number",
    }
    assert commands["all_private_chats@zh"][0]["description"] == "用手机号登记"


async def test_a_failing_update_does_not_block_the_next(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    """The stand-in fails the bot's first reply with a 400; the next /start is answered."""
    await client.user(501, "李建国")
    await client.fail("400", method="sendMessage", count=1)
    seq = await client.last_seq()
    await client.send_text(501, "/start")
    await client.wait_event(after=seq, kinds="failed")
    apology = await client.reply(501, after=seq)  # the error handler tells the person
    assert "出了点问题" in apology["text"]
    reply = await say(client, 501, "/start")
    assert "手机号" in reply["text"]
