"""Issue 29 over the wire: the helper sends `/measure` with a household's number in the
real Application against the stand-in, records a measure for 镇民政办 without any warning, and
the unit's staff receive the task privately and find it in /tasks."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from storage.models_measures import Measure
from storage.roster import import_roster
from tests.conftest import import_examples
from tests.driver import register
from tests.e2e.test_alerts import HELPER, TUESDAY
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
