"""A week of monitoring on DingTalk, end to end: the DingTalk bot (`platforms/dingtalk/run.py`, the
same database, flows, scheduler and outbox as on Telegram) against the stand-in. People
register by their DingTalk mobile; the staff bind the village and township groups with card
buttons; a helper's check-in ends red; the warning reaches both groups once, as cards naming
the problem in general words (no full name, no amounts, no health details); the village head
acknowledges it and records a help measure with the cards' buttons, and the cards show
both; reminders and missed visits go out; /summary comes with its chart; a dropped socket
loses no answer, and what a person sends while the bot is down is answered when it is back
(a callback pushed again is not applied twice: tests/dingtalk/test_adapter.py)."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import aiohttp
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.schedule import WakeSender, job_specs
from bot.settings import Settings, load_settings
from platforms.dingtalk.run import Running, running_dingtalk
from platforms.dingtalk.settings import DingTalkSettings
from platforms.dingtalk.settings import load as load_dingtalk
from sandbox.dingtalk.server import DingTalkStandIn
from storage.models import Alert, CheckIn, GroupBinding
from storage.models_measures import Measure
from tests.conftest import ALL_YEARS, import_examples
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET
from tests.privacy import leaks
from tests.small_town import at

HELPER, HEAD, STAFF = "ding-helper", "ding-head", "ding-staff"
VILLAGE, TOWNSHIP = "cid-qingshan", "cid-longxi"
TUESDAY = at("2026-11-24T10:00")


class Town:
    def __init__(self, standin: DingTalkStandIn, http: aiohttp.ClientSession) -> None:
        self.standin, self.http = standin, http

    async def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        async with self.http.post(self.standin.url + path, json=body) as response:
            answer: dict[str, Any] = await response.json()
            assert response.status == 200, answer
            return answer

    async def say(self, user: str, text: str, group: str | None = None) -> str:
        body = {"userid": user, "text": text, **({"group": group} if group else {})}
        message_id = str((await self._post("/control/send", body))["messageId"])
        assert await self.standin.wait_acked(message_id, 15), f"{text!r} not acknowledged"
        return message_id

    def sent(self, to: str) -> list[dict[str, Any]]:
        return [m for m in self.standin.state.sent if m["to"] == to]

    def card(self, to: str) -> dict[str, Any]:
        return [m for m in self.sent(to) if m["kind"] == "card"][-1]

    def text(self, message: dict[str, Any]) -> str:
        if message["kind"] == "card":
            return str(message["params"]["markdown"])
        return str(message["msgParam"].get("content") or message["msgParam"].get("photoURL"))

    async def press(self, user: str, card: dict[str, Any], label: str) -> str:
        buttons = json.loads(card["params"]["buttons"])
        data = next((b["data"] for b in buttons if label in b["text"]), None)
        assert data is not None, f"no {label!r} in {[b['text'] for b in buttons]}"
        body = {"userid": user, "outTrackId": card["outTrackId"], "params": {"data": data}}
        message_id = str((await self._post("/control/press", body))["messageId"])
        assert await self.standin.wait_acked(message_id, 15), f"{label} not acknowledged"
        return message_id

    async def press_raw(self, user: str, card: dict[str, Any], data: str) -> None:
        """A callback with any `data` on `card` (no client shows such a button there)."""
        body = {"userid": user, "outTrackId": card["outTrackId"], "params": {"data": data}}
        message_id = str((await self._post("/control/press", body))["messageId"])
        assert await self.standin.wait_acked(message_id, 15), f"{data} not acknowledged"

    async def press_data(self, user: str, card: dict[str, Any], prefix: str) -> None:
        """Press the first button whose data starts with `prefix`."""
        buttons = json.loads(card["params"]["buttons"])
        label = next(b["text"] for b in buttons if b["data"].startswith(prefix))
        await self.press(user, card, label)

    async def until(self, to: str, fragment: str, timeout: float = 15) -> dict[str, Any]:
        """The newest message or card to `to` showing `fragment` (the outbox is async)."""
        for _ in range(int(timeout / 0.05)):
            for message in reversed(self.sent(to)):
                if fragment in self.text(message):
                    return message
            await asyncio.sleep(0.05)
        raise AssertionError(
            f"{fragment!r} never reached {to}: {[self.text(m) for m in self.sent(to)]}"
        )


@pytest.fixture
def settings(standin: DingTalkStandIn, database_url: str) -> Settings:
    return load_settings(
        database_url=database_url,
        policy_file=str(ALL_YEARS),
        platform="dingtalk",
        _env_file=None,
    )


@pytest.fixture
def own(standin: DingTalkStandIn) -> DingTalkSettings:
    """DingTalk's own settings (FANGFANPIN_DINGTALK_*), for the stand-in."""
    return load_dingtalk(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        card_template="fangfanpin.buttons",
        api_url=standin.url,
        oapi_url=standin.url,
    )


@pytest.fixture
async def town(
    standin: DingTalkStandIn, session_factory: sessionmaker[Session]
) -> AsyncIterator[Town]:
    import_examples(session_factory)
    async with aiohttp.ClientSession() as http:
        town = Town(standin, http)
        for user, name, mobile in (
            (HELPER, "李建国", "13800138001"),
            (HEAD, "张卫东", "13700137001"),
            (STAFF, "杨振华", "18700187001"),
        ):
            await town._post("/control/users", {"userid": user, "name": name, "mobile": mobile})
        await town._post(
            "/control/groups",
            {"id": VILLAGE, "title": "青山村防返贫群", "members": [HELPER, HEAD, STAFF]},
        )
        await town._post(
            "/control/groups",
            {"id": TOWNSHIP, "title": "龙溪镇防返贫工作群", "members": [HEAD, STAFF]},
        )
        yield town


async def connected(standin: DingTalkStandIn, times: int = 1) -> None:
    for _ in range(400):
        if standin.connected and standin.state.connections >= times:
            return
        await asyncio.sleep(0.025)
    raise AssertionError("the DingTalk bot did not connect")


async def run_job(running: Running, settings: Settings, name: str, when: datetime) -> int:
    services = running.services
    return await job_specs(settings)[name].run(when, services.tx, WakeSender(running.outbox.wake))


async def test_a_week_on_dingtalk(
    town: Town,
    settings: Settings,
    own: DingTalkSettings,
    db: Engine,
    session_factory: sessionmaker[Session],
) -> None:
    clock = {"now": TUESDAY}
    async with running_dingtalk(
        settings, own, db, clock=lambda: clock["now"], backoff=(0.05,)
    ) as running:
        await connected(town.standin)
        for user in (HELPER, HEAD, STAFF):  # registered by their DingTalk mobile
            await town.say(user, "你好")
            assert "您已登记为" in town.text(town.sent(user)[0])

        # The staff bind both groups with the card's buttons.
        await town.say(STAFF, "/bind", group=VILLAGE)
        await town.press(STAFF, town.card(VILLAGE), "青山村")
        await town.say(STAFF, "/bind", group=TOWNSHIP)
        await town.press(STAFF, town.card(TOWNSHIP), "乡镇工作群")
        with session_factory() as s:
            assert s.scalar(select(func.count(GroupBinding.id))) == 2

        # A check-in that ends red, answered on cards (and one typed amount).
        await town.say(HELPER, "/checkin")
        await town.press(HELPER, town.card(HELPER), "LX01001")
        for label in ("入户", "仍为", "有变化"):
            await town.press(HELPER, town.card(HELPER), label)
        # 12,000 yuan for 5 people: below the red line (by source: wages, then none)
        for figure in ("1.2万", "0", "0", "0"):
            await town.say(HELPER, figure)
        # the socket drops between two answers: nothing is lost
        await town._post("/control/drop", {})
        await connected(town.standin, 2)
        await town.press(HELPER, town.card(HELPER), "否")  # no large expenditure
        for label in ("有保障", "有保障", "否", "有保障", "有保障", "有保障", "有保障"):
            await town.press(HELPER, town.card(HELPER), label)
        await town.press(HELPER, town.card(HELPER), "跳过")  # no note
        photo = {
            "userid": HELPER,
            "picture": base64.b64encode(b"jpeg of the house").decode(),
            "text": "房屋外观",  # a picture with words: DingTalk sends rich text
        }
        sent = await town._post("/control/send", photo)
        assert await town.standin.wait_acked(str(sent["messageId"]), 15)
        await town.press(HELPER, town.card(HELPER), "确认提交")
        saved = await town.until(HELPER, "已保存")
        assert "🔴 红色预警" in town.text(saved)

        # The warning reaches both groups once, as a card, in general words.
        village = await town.until(VILLAGE, "🔴 红色预警")
        township = await town.until(TOWNSHIP, "🔴 红色预警")
        for card in (village, township):
            text = town.text(card)
            assert "徐**" in text and "徐德明" not in text and "LX01001" in text
        await town.until(HEAD, "仅发给您")  # the reasons in full, privately
        # The helper (a member of the group) names the village group's warning card in a
        # callback with a button of their own /mine list, then with the card's own
        # acknowledge button: both refused, told privately; the group card unchanged.
        before = dict(village["params"]), village["updates"]
        ack = next(
            b["data"] for b in json.loads(village["params"]["buttons"]) if "确认" in b["text"]
        )
        for data in ("mn:p:1", ack):
            await town.press_raw(HELPER, village, data)
        assert (dict(village["params"]), village["updates"]) == before
        told = [town.text(m) for m in town.sent(HELPER)][-2:]
        assert told == ["此按钮不能在这里使用。", "无权操作：只有本村村干部或乡镇干部可以确认。"]
        # The village head acknowledges on the group's card: both cards show it.
        await town.press(HEAD, village, "确认收到")
        await town.until(VILLAGE, "已确认")
        await town.until(TOWNSHIP, "已确认")
        # ...and records a help measure: the group card's button starts it privately, on cards.
        await town.press(HEAD, village, "记录帮扶措施")
        for prefix in ("ms:k:", "ms:r:", "ms:n:", "ms:a:", "ms:d:"):
            await town.press_data(HEAD, town.card(HEAD), prefix)
        await town.until(VILLAGE, "已记录 1 项帮扶措施")
        with session_factory() as s:
            assert s.scalar(select(func.count(Measure.id))) == 1
            [alert] = s.scalars(select(Alert)).all()
            assert alert.acknowledged_at is not None
            warnings = [m for m in town.standin.state.sent if "🔴 红色预警" in town.text(m)]
            assert sorted(m["to"] for m in warnings if m["to"] in (VILLAGE, TOWNSHIP)) == [
                TOWNSHIP,
                VILLAGE,
            ]  # once each

        # Thursday's reminders reach the helper; Monday's missed-visits lists reach the group.
        await run_job(running, settings, "reminders", at("2026-11-26T09:00"))
        await town.until(HELPER, "户待走访")
        await run_job(running, settings, "missed-visits", at("2026-11-30T00:30"))
        await town.until(VILLAGE, "未走访")
        # /summary in the township group, with its chart as an image message.
        clock["now"] = at("2026-11-30T09:00")
        assert await running.usage.drain() > 0  # the metered calls so far, written
        await town.say(STAFF, "/summary", group=TOWNSHIP)
        summary = await town.until(TOWNSHIP, "本月钉钉接口调用")
        assert "标准版每月 5,000 次" in town.text(summary)
        assert any(
            m["msgKey"] == "sampleImageMsg" for m in town.sent(TOWNSHIP) if m["kind"] == "message"
        )

    # The bot is down (a restart): what the helper sends meanwhile is lost (DingTalk does not
    # push a robot message again); once the bot is back, the same message is answered, and
    # a card sent before the restart still answers its own buttons only.
    lost = await town._post("/control/send", {"userid": HELPER, "text": "/mine"})
    assert lost["pushed"] is False
    async with running_dingtalk(settings, own, db, clock=lambda: clock["now"], backoff=(0.05,)):
        await connected(town.standin, 3)
        assert not any("您负责的农户" in town.text(m) for m in town.sent(HELPER))
        await town.say(HELPER, "/mine")
        await town.until(HELPER, "您负责的农户")
        cards = len([m for m in town.sent(HEAD) if m["kind"] == "card"])
        await town.press(HEAD, village, "记录帮扶措施")  # the group card, sent before
        assert len([m for m in town.sent(HEAD) if m["kind"] == "card"]) == cards + 1
    assert not town.standin.state.frames[str(lost["messageId"])].acked
    with session_factory() as s:
        [checkin] = s.scalars(select(CheckIn)).all()  # the answers all kept, once
        assert checkin.photo_file_id is not None
        assert town.standin.state.media[checkin.photo_file_id] == b"jpeg of the house"
    # Nothing private in any group: every message and card the groups got, as the privacy
    # rule reads a platform's calls (a file in a group counts as one too).
    group_calls = [
        {
            "method": "sendDocument" if m.get("msgKey") == "sampleFile" else "sendMessage",
            "params": {"chat_id": -1, "text": town.text(m)},
        }
        for m in town.standin.state.sent
        if m["to"] in (VILLAGE, TOWNSHIP)
    ]
    assert len(group_calls) >= 6 and leaks(group_calls) == []
