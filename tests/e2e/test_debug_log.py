"""At DEBUG the log holds no amount, health detail or full name: a red check-in with typed
amounts, an illness and a note about a stay in hospital, its warnings posted to both groups,
all through the real Application, logged as `fangfanpin` logs (bot/logs.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.logs import LIBRARY_LEVELS, setup_logging
from platforms.telegram.context import AppType
from sandbox.client import SandboxClient
from tests.conftest import import_examples
from tests.driver import register
from tests.e2e.test_alerts import HEAD, HELPER, STAFF, TOWNSHIP_GROUP, TUESDAY, VILLAGE_GROUP, bind

PRIVATE = [
    *("15,000", "15000", "1.5万", "4,500", "4500", "3,500", "3500", "4,800"),  # amounts
    *("住院", "因病", "看病", "疾病"),  # health
    *("李建国", "徐德明", "张卫东", "杨振华"),  # the helper, the head of household, the cadres
]


@pytest.fixture
def library_levels() -> Iterator[None]:
    before = {name: logging.getLogger(name).level for name in LIBRARY_LEVELS}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


async def test_a_red_checkin_at_debug_logs_no_amount_health_detail_or_name(
    bot: AppType,
    client: SandboxClient,
    session_factory: sessionmaker[Session],
    capsys: pytest.CaptureFixture[str],
    library_levels: None,
) -> None:
    import_examples(session_factory)
    bot.bot_data.services.clock = lambda: TUESDAY
    setup_logging("DEBUG", None)  # FANGFANPIN_LOG_LEVEL=DEBUG, no library asked for
    helper = await register(client, *HELPER)
    await register(client, *HEAD)
    await register(client, *STAFF)
    await bind(client, VILLAGE_GROUP, "青山村防返贫群", "青山村")
    await bind(client, TOWNSHIP_GROUP, "龙溪镇防返贫工作群", "乡镇工作群")

    await helper.send("/checkin")
    await helper.press("LX01001")
    await helper.press("入户")
    await helper.send("３人")
    await helper.press("有变化")  # the income changed: by source, the first time all four
    for figure in ("1.5万元", "0", "0", "0"):
        await helper.send(figure)
    await helper.press("是")  # a large rigid expenditure
    await helper.press("因病")
    await helper.send("4,500")
    await helper.press("否")
    await helper.press("有问题")  # food NOT secure
    for _ in range(5):  # clothing (no child at school), medical, treatment, housing, water
        reply = await helper.press("有保障")
        if "义务教育阶段（约" in reply["text"]:
            await helper.press("否")
    await helper.send("老人住院看病，疾病开销大")
    await helper.press("跳过")
    seq = await client.last_seq()
    result = await helper.press("确认提交")
    assert "🔴 红色预警" in result["text"] and "4,800" in result["text"]
    for group in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        await client.wait_bot_messages(group, after=seq)

    log = capsys.readouterr().err
    assert " DEBUG " in log or " INFO " in log, log  # the log was written
    leaked = [word for word in PRIVATE if word in log]
    assert leaked == [], "\n".join(
        line for line in log.splitlines() if any(w in line for w in leaked)
    )
