"""What a check-in costs on DingTalk, counted from the stand-in's log of calls as DingTalk
meters them (`sandbox/dingtalk/state.py`'s `metered`: not the token, not the contacts API):
the same weekly check-in as the Telegram bench's (`sandbox/scripts.py`: the household list,
twelve presses, a typed note) costs three, the household list as a card, the card after the
typed note and the result; every press is answered in its acknowledgement. `make bench`
measures it for many helpers (`bench/dingtalk_calls.py`)."""

from __future__ import annotations

import asyncio

from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import load_settings
from platforms.dingtalk.run import running_dingtalk
from platforms.dingtalk.settings import load as load_dingtalk
from sandbox.dingtalk.scripted import ScriptedPerson
from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.dingtalk.state import metered
from sandbox.scripts import quick_checkin
from storage.models import CheckIn
from tests.conftest import ALL_YEARS, import_examples
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET
from tests.small_town import at

HELPER = "ding-helper"  # 李建国, helper of LX01001 and three more households


async def test_a_check_in_costs_three_metered_calls(
    standin: DingTalkStandIn,
    database_url: str,
    db: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    import_examples(session_factory)
    settings = load_settings(
        database_url=database_url,
        policy_file=str(ALL_YEARS),
        platform="dingtalk",
        _env_file=None,
    )
    standin.state.users[HELPER] = {"userid": HELPER, "name": "李建国", "mobile": "13800138001"}
    helper = ScriptedPerson(standin, HELPER)
    own = load_dingtalk(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        card_template="fangfanpin.buttons",
        api_url=standin.url,
        oapi_url=standin.url,
    )
    async with running_dingtalk(
        settings, own, db, clock=lambda: at("2026-11-24T10:00"), backoff=(0.05,)
    ):
        for _ in range(200):
            if standin.connected:
                break
            await asyncio.sleep(0.025)
        await helper.send("你好", "您已登记为")  # registration: the contacts API, not metered
        before = len(standin.state.calls)
        script = quick_checkin(1)
        await helper.run(
            [
                ("send", "/checkin", "请选择要走访的农户"),  # four households: a list first
                ("press", "LX01001", "本次走访方式"),
                *script[1:],
            ]
        )
        calls = standin.state.calls[before:]
    spent = [c["path"] for c in calls if metered(c)]
    assert spent == [
        "/v1.0/card/instances/createAndDeliver",  # the household list
        "/v1.0/card/instances/createAndDeliver",  # the question after the typed note
        "/v1.0/robot/oToMessages/batchSend",  # the result
    ]
    assert not [c for c in calls if c["path"] == "/v1.0/card/instances"]  # no update call
    with session_factory() as s:
        assert s.scalar(select(func.count(CheckIn.id))) == 1
