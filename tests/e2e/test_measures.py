"""Issue 29 over the wire: the helper sends `/measure` with a household's number in the
real Application against the stand-in, records a measure for 镇民政办 without any warning, and
the unit's staff receive the task privately and find it in /tasks."""

from __future__ import annotations

import io
import re
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models_measures import Measure
from storage.roster import import_roster
from tests.conftest import import_examples
from tests.driver import Chat, ledger_of, register
from tests.e2e.test_alerts import (
    HEAD,
    HELPER,
    STAFF,
    TOWNSHIP_GROUP,
    TUESDAY,
    VILLAGE_GROUP,
    bind,
    red_warning_in_the_village,
)
from tests.small_town import at

CIVIL = (504, "钱民政", "+8613600136001")  # 镇民政办's staff (部门干部)


@pytest.fixture
def roster(session_factory: sessionmaker[Session], tmp_path: Path) -> sessionmaker[Session]:
    import_examples(session_factory)
    units = tmp_path / "units.csv"
    units.write_text(
        "姓名,电话,角色,乡镇,村,单位\n钱民政,13600136001,部门干部,龙溪镇,,镇民政办\n",
        encoding="utf-8",
    )
    with session_factory() as s, s.begin():
        import_roster(s, [units], now=at("2026-11-01T08:00"), actor="test")
    return session_factory


async def test_measure_from_a_household_reaches_the_unit_privately(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    bot.bot_data.services.clock = lambda: TUESDAY
    helper = await register(client, *HELPER)
    await register(client, *CIVIL)  # linked: the unit's staff can be told

    ask = await helper.send("/measure LX01001")
    assert "LX01001 户（徐德明）" in ask["text"] and "请选择类别" in ask["text"]
    units = await helper.press("临时救助")
    assert "哪个单位" in units["text"]
    assert "需要办理什么" in (await helper.press("镇民政办"))["text"]
    assert "金额" in (await helper.send("申请临时救助"))["text"]
    assert "何时前完成" in (await helper.send("1500"))["text"]
    seq = await client.last_seq()
    done = await helper.press("7 天内")
    assert "已交给 镇民政办" in done["text"]

    # the unit's staff are told privately, and /tasks has it (with the amount, privately)
    [told] = await client.wait_bot_messages(CIVIL[0], after=seq, timeout=30)
    assert "LX01001 户（徐德明）" in told["text"] and "临时救助" in told["text"]
    assert "/tasks" in told["text"] and "1500" not in told["text"]
    assert re.search(r"须于 \d{4}年\d{1,2}月\d{1,2}日 前落实", told["text"])  # a date as read
    seq = await client.last_seq()
    await client.send_text(CIVIL[0], "/tasks", chat_id=CIVIL[0])
    _, task = await client.wait_bot_messages(CIVIL[0], after=seq, count=2, timeout=30)
    assert "LX01001" in task["text"] and "1,500" in task["text"] and "待办理" in task["text"]
    with roster() as s:
        measure = s.scalars(select(Measure)).one()
        assert (measure.alert_id, measure.responsible, measure.status) == (
            None,
            "镇民政办",
            "pending",
        )


UNIT = (506, "郑淑芬", "+8618700187003")  # the sample roster's 镇民政办 (部门干部)


@pytest.fixture
async def town(
    bot: AppType, client: SandboxClient, roster: sessionmaker[Session]
) -> dict[str, Chat]:
    """As in test_alerts: the helper, the head and the staff registered, the groups bound."""
    bot.bot_data.services.clock = lambda: TUESDAY
    people = {
        "helper": await register(client, *HELPER),
        "head": await register(client, *HEAD),
        "staff": await register(client, *STAFF),
    }
    await bind(client, VILLAGE_GROUP, "青山村防返贫群", "青山村")
    await bind(client, TOWNSHIP_GROUP, "龙溪镇防返贫工作群", "乡镇工作群")
    return people


async def test_a_red_warning_to_a_delivered_measure_end_to_end(
    town: dict[str, Chat], client: SandboxClient, roster: sessionmaker[Session]
) -> None:
    """Issue 29's path: a red check-in; the village head records 临时救助 for 镇民政办 with a
    deadline; the unit's staff get it privately and mark it 已落实; the helper and the head
    are told; the ledger and the plan show it delivered. No group sees the amount."""
    alert = await red_warning_in_the_village(town, client)
    head, helper = town["head"], town["helper"]
    unit = await register(client, *UNIT)
    await client.press(HEAD[0], alert["message_id"], text="✅ 确认收到", chat_id=VILLAGE_GROUP)
    seq = await client.last_seq()
    await client.press(HEAD[0], alert["message_id"], text="📝 记录帮扶措施", chat_id=VILLAGE_GROUP)
    assert "哪项帮扶措施" in (await client.reply(HEAD[0], after=seq))["text"]
    await head.press("临时救助")
    await head.press("镇民政办")
    await head.send("发放临时救助金 2000 元")
    await head.send("2000")
    seq = await client.last_seq()
    assert "已交给 镇民政办" in (await head.press("7 天内"))["text"]

    # the unit's staff: told privately (no amount in the notice), then /tasks and 已落实
    [told] = await client.wait_bot_messages(UNIT[0], after=seq, timeout=30)
    assert "LX01001" in told["text"] and "临时救助" in told["text"]
    seq = await client.last_seq()
    await client.send_text(UNIT[0], "/tasks", chat_id=UNIT[0])
    _, task = await client.wait_bot_messages(UNIT[0], after=seq, count=2, timeout=30)
    assert "2,000" in task["text"] and "待办理" in task["text"]
    seq = await client.last_seq()
    delivered = await unit.press("✅ 已落实")
    assert "已落实" in delivered["text"]
    for person in (HELPER[0], HEAD[0]):
        [notice] = await client.wait_bot_messages(person, after=seq, timeout=30)
        assert "帮扶措施已落实" in notice["text"] and "镇民政办" in notice["text"]
    with roster() as s:
        measure = s.scalars(select(Measure)).one()
        assert (measure.status, measure.responsible, measure.amount) == ("done", "镇民政办", 2000)

    # the plan shows the food risk covered by the delivered measure
    plan = await helper.send("/plan LX01001")
    assert "✅ 吃饭：已落实：临时救助" in plan["text"]
    assert "临时救助 — 镇民政办，已落实" in plan["text"]

    # the ledger's measures sheet has it delivered
    document = await ledger_of(town["staff"], "/export")
    book = openpyxl.load_workbook(io.BytesIO(await client.file(document["document"]["file_id"])))
    rows = [[c for c in row] for row in book["帮扶措施"].iter_rows(values_only=True)]
    header, *lines = rows
    [line] = [r for r in lines if "LX01001" in r]
    assert line[header.index("状态")] == "已落实" and line[header.index("责任单位")] == "镇民政办"

    # no group ever saw the amount or the measure's words
    for group in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        for message in await client.bot_messages(group):
            assert "2000" not in message.get("text", "") and "2,000" not in message.get("text", "")
            assert "临时救助金" not in message.get("text", "")
