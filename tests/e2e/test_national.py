"""Issue 31, part 3, over the wire: changes recorded in the chat, the national system's list
(/national) shows exactly them, 已录入 empties it, and a new change is the only one listed."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models_national import NationalEntry
from tests.conftest import import_examples
from tests.driver import Chat, register
from tests.e2e.test_alerts import HELPER, STAFF, TUESDAY

EMPTY = "没有待录入国家系统的变更：所有变更均已录入。"


async def record_measure(helper: Chat, number: str, amount: str) -> None:
    """/measure: 临时救助 for 镇民政办, an amount, within 7 days (as the measures' own test)."""
    assert "请选择类别" in (await helper.send(f"/measure {number}"))["text"]
    await helper.press("临时救助")
    await helper.press("镇民政办")
    await helper.send("申请临时救助")
    await helper.send(amount)
    assert "已交给 镇民政办" in (await helper.press("7 天内"))["text"]


async def test_the_list_shows_the_changes_the_tick_empties_it_a_new_one_comes_back(
    bot: AppType, client: SandboxClient, session_factory: sessionmaker[Session]
) -> None:
    import_examples(session_factory)
    bot.bot_data.services.clock = lambda: TUESDAY
    helper = await register(client, *HELPER)
    staff = await register(client, *STAFF)
    assert (await staff.send("/national"))["text"] == EMPTY  # the roster is not listed

    await record_measure(helper, "LX01001", "1500")
    shown = await staff.send("/national")
    lines = shown["text"].splitlines()
    assert lines[:3] == [
        "待录入国家系统（第 1/1 户）",
        "LX01001 户 徐德明（青山村）",
        "系统户编号：未填（发送 /national LX01001 和编号即可补录）",
    ]
    [item] = [line for line in lines if line.startswith("· ")]
    assert "新增帮扶措施" in item and "临时救助，镇民政办，金额 1,500 元" in item
    rows = shown["reply_markup"]["inline_keyboard"]
    assert [b["text"] for row in rows for b in row] == ["✅ 已录入", "📄 全部清单（表格）"]

    ticked = await staff.press("✅ 已录入", edits=True)
    assert ticked["text"] == EMPTY and not ticked.get("reply_markup")
    assert (await staff.send("/national"))["text"] == EMPTY
    with session_factory() as s:
        [entry] = s.scalars(select(NationalEntry)).all()
        assert entry.up_to > 0

    await record_measure(helper, "LX01004", "800")
    again = await staff.send("/national")
    assert "（第 1/1 户）" in again["text"] and "LX01004 户" in again["text"]
    assert "LX01001" not in again["text"]
    [item] = [line for line in again["text"].splitlines() if line.startswith("· ")]
    assert "金额 800 元" in item
