"""Registration on the neutral engine: /start, a shared contact, the menu of the role."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.events import ChatKind
from conversations.engine.replies import Say, SetMenu
from conversations.people.registration import contact, start
from storage.models import Person
from tests.conftest import import_examples
from tests.flows.conftest import Runner

USER = 501  # 李建国, helper, +8613800138001


def linked(factory: sessionmaker[Session]) -> dict[str, int | None]:
    with factory() as s:
        return {p.name: p.platform_user_id for p in s.scalars(select(Person))}


async def test_start_share_own_contact_and_get_the_role_menu(
    run: Runner, session_factory: sessionmaker[Session]
) -> None:
    import_examples(session_factory)
    [ask] = await run.text(start, USER, "/start")
    assert isinstance(ask, Say) and ask.ask_phone == "📱 发送我的手机号"

    [refused] = await run.contact(contact, USER, "8613800138001", owner=999)
    assert isinstance(refused, Say) and "不是您本人" in refused.text and refused.ask_phone
    [unknown] = await run.contact(contact, USER, "+8613911112222", owner=USER)
    assert isinstance(unknown, Say) and "不在乡镇名单" in unknown.text
    assert unknown.clear_ask_phone
    assert USER not in linked(session_factory).values()

    hello, help_, menu = await run.contact(contact, USER, "8613800138001", owner=USER)
    assert isinstance(hello, Say) and "李建国" in hello.text and hello.clear_ask_phone
    assert isinstance(help_, Say) and "/checkin" in help_.text
    assert isinstance(menu, SetMenu)
    assert [c for c, _ in menu.commands][:3] == ["start", "help", "checkin"]
    assert linked(session_factory)["李建国"] == USER

    [again] = await run.text(start, USER, "/start")
    assert isinstance(again, Say) and "欢迎回来" in again.text
    [group] = await run.text(start, USER, "/start", chat_id=-1, kind=ChatKind.GROUP)
    assert isinstance(group, Say) and "私聊" in group.text
