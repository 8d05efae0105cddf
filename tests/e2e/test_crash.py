"""Nothing lost on a crash: the bot process is killed (SIGKILL) after every answer of a
check-in and started again; the check-in completes with every answer kept, once."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.client import SandboxClient
from sandbox.scripts import helper_name
from sandbox.scripts import quick_checkin as many_script
from sandbox.server import SandboxBotAPI
from storage.bindings import Bindings
from storage.models import CheckIn, Draft, Household, Village
from storage.repositories import People
from storage.roster import import_roster
from tests.conftest import import_examples
from tests.driver import BotProcess, Chat, register
from tests.long import sized

# (action, value, fragment of the question that must come next)
SCRIPT = [
    ("send", "/checkin", "请选择要走访的农户"),
    ("press", "LX01001", "本次走访方式"),
    ("press", "入户", "几口人"),
    ("send", "3", "收入有明显变化"),
    ("press", "有变化", "近12个月工资性收入"),
    ("send", "1.2万", "经营性净收入"),
    ("send", "0", "财产性收入"),
    ("send", "0", "转移性收入"),
    ("send", "0", "大额刚性支出吗"),
    ("press", "是", "什么原因"),
    ("press", "因病", "家庭自己实际支付了多少元"),
    ("send", "5000", "还有其他大额支出"),
    ("press", "否", "吃饭有保障"),
    ("press", "有保障", "衣物和被褥"),
    ("press", "有保障", "义务教育阶段（约"),
    ("press", "是", "失学辍学吗"),
    ("press", "都在校", "基本医疗保险"),
    ("press", "有保障", "看得起病"),
    ("press", "有保障", "住房安全吗"),
    ("press", "有保障", "饮水安全"),
    ("press", "有问题", "要备注的吗"),
    ("send", "屋后水井被污染", "走访照片"),
    ("press", "跳过", "请核对"),
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
    shown: int | None = None
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
            await helper.press(value, wait=wait_for_reply, on=shown)
        if mode == 2:  # the bot handled it and is now trying to confirm it
            await client.wait_event(after=seq, kinds="failed")
        bot_process.kill()
        restarted = await client.last_seq()
        bot_process.start()
        await client.wait_event(after=restarted, kinds="polled", timeout=60)
        reply = await helper.wait_last(expected, timeout=60, since=seq)
        assert expected in reply["text"]
        shown = reply["message_id"]  # the next answer is given on what the bot showed

    # Updates really were delivered again after a crash (not confirmed before handling) ...
    deliveries: dict[int, int] = {}
    for event in await client.events(after=0, kinds="delivered"):
        for update_id in event["update_ids"]:
            deliveries[update_id] = deliveries.get(update_id, 0) + 1
    assert any(count > 1 for count in deliveries.values())
    log = (tmp_path / "bot.log").read_text()
    # ... and shown where they stand: one for each kill after a handled answer (every third
    # step), the final Confirm aside (its conversation has ended: it is answered "saved").
    assert log.count("was handled before a restart") >= (len(SCRIPT) - 1) // 3
    assert "handler failed" not in log
    # ... and every answer was applied once.
    with session_factory() as s:
        rows = list(s.scalars(select(CheckIn).join(Household).where(Household.number == "LX01001")))
        assert s.scalar(select(Draft)) is None
    assert len(rows) == 1, "a redelivered confirm must not store the check-in twice"
    row = rows[0]
    assert (row.visit_method, row.members, row.income_changed) == ("home", 3, True)
    assert row.expected_income == Decimal("12000.00")
    assert row.expenses == [{"cause": "illness", "amount": "5000.00"}]
    assert (row.food_ok, row.clothing_ok, row.education_ok) == (True, True, True)
    assert (row.medical_ok, row.housing_ok, row.water_ok) == (True, True, False)
    assert row.note == "屋后水井被污染" and row.photo_file_id is None
    assert row.level == "red"


# ----------------------------------------------------------------------------- many helpers

HELPERS = sized(40, 100)
KILLS = sized(3, 5)
VILLAGE_GROUP, TOWNSHIP_GROUP = -700111, -700222


@pytest.fixture
def many(session_factory: sessionmaker[Session], sandbox: SandboxBotAPI, tmp_path: Path) -> None:
    """HELPERS helpers (already linked to Telegram), one household each, in two villages whose
    groups (and the township's) are bound."""
    households = [
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话"
    ]
    for i in range(HELPERS):
        village = "甲村" if i < HELPERS // 2 else "乙村"
        households.append(
            f"百户镇,{village},B{i:03d},户主{i:03d},,3,脱贫不稳定户,9000,{helper_name(i)},1390000{i:04d}"
        )
    (tmp_path / "households.csv").write_text("\n".join(households) + "\n", encoding="utf-8")
    (tmp_path / "staff.csv").write_text(
        "姓名,电话,角色,乡镇,村\n镇干部,18700000001,乡镇干部,百户镇,\n", encoding="utf-8"
    )
    now = datetime.now(UTC)
    with session_factory() as s, s.begin():
        import_roster(s, [tmp_path / "households.csv", tmp_path / "staff.csv"], now=now, actor="t")
        people = People(s)
        for i in range(HELPERS):
            person = people.by_phone(f"+861390000{i:04d}")
            assert person is not None
            people.link_account(person, 20000 + i, now=now, actor="test")
        staff = people.by_phone("+8618700000001")
        assert staff is not None
        village = s.scalars(select(Village).where(Village.name == "甲村")).one()
        bindings = Bindings(s)
        for chat_id, village_id in ((VILLAGE_GROUP, village.id), (TOWNSHIP_GROUP, None)):
            bindings.bind(
                chat_id=chat_id,
                title=str(chat_id),
                township_id=staff.township_id,
                village_id=village_id,
                by=staff,
                now=now,
            )
    for chat_id in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        sandbox.add_group(chat_id, str(chat_id))


@pytest.mark.timeout(900)
async def test_many_helpers_and_kills_lose_nothing_and_post_each_warning_once(
    many: None,
    bot_process: BotProcess,
    client: SandboxClient,
    session_factory: sessionmaker[Session],
    database_url: str,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip(
            "run once, on SQLite: the kill-and-restart logic is the bot's, not the database's"
        )
    rng = random.Random(10)
    for i in range(HELPERS):
        await client.user(20000 + i, helper_name(i))

    async def helper_run(i: int) -> None:
        chat = Chat(client, 20000 + i)
        await asyncio.sleep(rng.random() * 2)
        shown: int | None = None
        for action, value, expected in many_script(i):
            seq = await client.last_seq()
            if action == "send":
                await chat.send(value, wait=False)
            else:
                await chat.press(value, wait=False, on=shown)
            shown = (await chat.wait_last(expected, timeout=240, since=seq))["message_id"]

    async def killer() -> None:
        for _ in range(KILLS):
            await asyncio.sleep(rng.uniform(4, 14))
            bot_process.kill()
            bot_process.start()

    await asyncio.gather(killer(), *(helper_run(i) for i in range(HELPERS)))

    with session_factory() as s:
        rows = s.execute(
            select(Household.number, CheckIn.level, CheckIn.note, CheckIn.food_ok).join(
                CheckIn, CheckIn.household_id == Household.id
            )
        ).all()
        assert s.scalar(select(Draft)) is None
    assert len(rows) == HELPERS and len({r[0] for r in rows}) == HELPERS  # none lost, none twice
    for number, level, note, food in rows:
        i = int(number[1:])
        assert note == f"第{i}户走访" and food is (i % 10 != 0)
        assert level == ("red" if i % 10 == 0 else "green")

    red = [f"B{i:03d}" for i in range(0, HELPERS, 10)]
    village_red = [n for n in red if int(n[1:]) < HELPERS // 2]

    async def posted(chat_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for message in await client.bot_messages(chat_id):
            text = message.get("text", "")
            if "🔴 红色预警" in text:
                for number in red:
                    if f"户编号 {number}" in text:
                        counts[number] = counts.get(number, 0) + 1
        return counts

    deadline = asyncio.get_running_loop().time() + 120
    while asyncio.get_running_loop().time() < deadline:
        town, village = await posted(TOWNSHIP_GROUP), await posted(VILLAGE_GROUP)
        if len(town) == len(red) and len(village) == len(village_red):
            break
        await asyncio.sleep(1)
    assert town == dict.fromkeys(red, 1)  # each red warning once in the township group
    assert village == dict.fromkeys(village_red, 1)  # and once in 甲村's group
    log = bot_process.cwd.joinpath("bot.log").read_text()
    assert "handler failed" not in log
