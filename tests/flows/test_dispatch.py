"""`dispatch`, the one dispatch of every platform: commands in the chats they belong in, the
wrong chat said, unknown commands, buttons to their flows or the router, stale and misplaced
buttons refused, a private message to the open conversation, a command during one."""

from __future__ import annotations

from itertools import count

from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from conversations.dispatch import dispatch
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Edit, Reply, Say, Toast
from conversations.engine.services import Services
from tests.small_town import STAFF, VILLAGE_GROUP, A, at

ids = count(1)


async def send(
    services: Services, user: int, chat: int | None = None, **what: object
) -> list[Reply]:
    chat_id = chat if chat is not None else user
    kind = ChatKind.PRIVATE if chat_id == user else ChatKind.GROUP
    event = Event(next(ids), chat_id, kind, user, **what)  # type: ignore[arg-type]
    frozen = None
    if "button" in what:
        frozen = frozenset({str(what["button"]).split(":")[0]})
    return await dispatch(event, services, on_message=frozen)


def text_of(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies if isinstance(r, Say | Toast | Edit))


async def test_commands_chats_buttons_and_the_open_conversation(
    services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: at("2026-11-24T10:00")
    assert "命令" in text_of(await send(services, A, text="/help"))
    assert "私聊" in text_of(await send(services, A, VILLAGE_GROUP, text="/checkin"))
    assert "在群里发送" in text_of(await send(services, STAFF, text="/bind"))
    assert "不认识这个命令" in text_of(await send(services, A, text="/frobnicate"))
    assert await send(services, A, VILLAGE_GROUP, text="大家好") == []  # group talk
    assert "没看懂" in text_of(await send(services, A, text="你好"))  # nothing open

    listing = await send(services, A, text="/checkin")
    [say] = [r for r in listing if isinstance(r, Say)]
    first = await send(services, A, button=say.keyboard[0][0].data, message_text=say.text)
    assert "本次走访方式" in text_of(first)
    # a command while the check-in is open: where it stands, not the command
    assert "本次走访方式" in text_of(await send(services, A, text="/summary"))
    # a typed answer goes to the conversation through the router
    assert "请点击下面的按钮" in text_of(await send(services, A, text="入户"))
    # a stale or forged button, and a conversation's button pressed in a group
    assert text_of(await send(services, A, button="zz:1")) == "该按钮已失效。"
    assert text_of(await send(services, A, VILLAGE_GROUP, button="ci:a:visit_method:home")) == (
        "此按钮不能在这里使用。"
    )


async def test_a_conversations_answer_is_one_transaction(
    services: Services, town: sessionmaker[Session]
) -> None:
    """The person, their draft, the answer and the event's id in one transaction (the
    router's): a press and a typed answer alike. The platforms add none (DingTalk's press:
    tests/dingtalk/test_adapter.py)."""
    services.clock = lambda: at("2026-11-24T10:00")
    listing = await send(services, A, text="/checkin")
    [say] = [r for r in listing if isinstance(r, Say)]
    await send(services, A, button=say.keyboard[0][0].data, message_text=say.text)
    engine = services.session_factory.kw["bind"]
    begun: list[int] = []

    def count(_connection: object) -> None:
        begun.append(1)

    event.listen(engine, "begin", count)
    try:
        pressed = await send(services, A, button="ci:a:visit_method:home")
        typed = await send(services, A, text="5")
    finally:
        event.remove(engine, "begin", count)
    assert "共同生活" in text_of(pressed) and "收入" in text_of(typed)
    assert len(begun) == 2
