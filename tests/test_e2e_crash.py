"""Nothing lost on a crash: the bot process is killed (SIGKILL) after every answer of a
check-in and started again; the check-in completes with every answer kept, once."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.sandbox.client import SandboxClient
from storage.models import CheckIn, CheckInDraft, Household
from tests.conftest import import_examples
from tests.driver import BotProcess, register

# (action, value, fragment of the question that must come next)
SCRIPT = [
    ("send", "/checkin", "请选择要走访的农户"),
    ("press", "LX01001", "本次走访方式"),
    ("press", "入户", "几口人"),
    ("send", "3", "收入有明显变化"),
    ("press", "是", "预计纯收入"),
    ("send", "1.2万", "大额刚性支出吗"),
    ("press", "是", "什么原因"),
    ("press", "因病", "金额多少元"),
    ("send", "5000", "还有其他大额支出"),
    ("press", "否", "吃饭有保障"),
    ("press", "是", "衣物和被褥"),
    ("press", "是", "义务教育阶段（约"),
    ("press", "是", "失学辍学吗"),
    ("press", "否", "基本医疗保险"),
    ("press", "是", "住房安全吗"),
    ("press", "是", "饮水安全"),
    ("press", "否", "要备注的吗"),
    ("send", "屋后水井被污染", "走访照片"),
    ("press", "不加照片", "请核对"),
    ("press", "确认提交", "已保存"),
]


@pytest.fixture
def roster(session_factory: sessionmaker[Session]) -> sessionmaker[Session]:
    import_examples(session_factory)
    return session_factory


@pytest.mark.timeout(600)
async def test_killed_after_every_answer_the_checkin_completes_with_all_answers(
    roster: sessionmaker[Session],
    bot_process: BotProcess,
    client: SandboxClient,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    helper = await register(client, 501, "李建国", "+8613800138001")
    for index, (action, value, expected) in enumerate(SCRIPT):
        # Vary the moment of death: (0) before the bot may have handled the answer; (1) after
        # it answered with the next question; (2) after it answered but before it could
        # confirm the update to Telegram (the stand-in holds the next getUpdates), so the
        # handled update comes again after the restart.
        mode = index % 3
        wait_for_reply = mode != 0
        if mode == 2:
            await client.fail("hang", method="getUpdates", hang_seconds=3)
        seq = await client.last_seq()
        if action == "send":
            await helper.send(value, wait=wait_for_reply)
        else:
            await helper.press(value, wait=wait_for_reply)
        if mode == 2:  # the bot handled it and is now trying to confirm it
            await client.wait_event(after=seq, kinds="failed")
        bot_process.kill()
        restarted = await client.last_seq()
        bot_process.start()
        await client.wait_event(after=restarted, kinds="polled", timeout=60)
        reply = await helper.wait_last(expected, timeout=60)
        assert expected in reply["text"]

    # Updates really were delivered again after a crash (not confirmed before handling) ...
    deliveries: dict[int, int] = {}
    for event in await client.events(after=0, kinds="delivered"):
        for update_id in event["update_ids"]:
            deliveries[update_id] = deliveries.get(update_id, 0) + 1
    assert any(count > 1 for count in deliveries.values())
    log = (tmp_path / "bot.log").read_text()
    assert log.count("was handled before a restart") >= len(SCRIPT) // 3
    assert "handler failed" not in log
    # ... and every answer was applied once.
    with session_factory() as s:
        rows = list(s.scalars(select(CheckIn).join(Household).where(Household.number == "LX01001")))
        assert s.scalar(select(CheckInDraft)) is None
    assert len(rows) == 1, "a redelivered confirm must not store the check-in twice"
    row = rows[0]
    assert (row.visit_method, row.members, row.income_changed) == ("home", 3, True)
    assert row.expected_income == Decimal("12000.00")
    assert row.expenses == [{"cause": "illness", "amount": "5000.00"}]
    assert (row.food_ok, row.clothing_ok, row.education_ok) == (True, True, True)
    assert (row.medical_ok, row.housing_ok, row.water_ok) == (True, True, False)
    assert row.note == "屋后水井被污染" and row.photo_file_id is None
    assert row.level == "red"
