"""DingTalk's limits, as its pages on throttling and on the monthly quota describe them, in the
stand-in and in the bot: 20 calls a second per application and API (beyond: HTTP 403
`Forbidden.AccessDenied.QpsLimitForAppkeyAndApi`, not counted), and the organisation's
monthly quota (beyond: 403 `Forbidden.AccessDenied.ApiCountLimitForOrg`). A reminders job for
30 households reaches all 30 helpers (the OpenAPI client paces each API under the rate); a
quota used up stops the sending, keeps every message waiting (none failed), is logged once and
shown in the township staff's /summary, and the messages go once the quota is raised."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from bot.outbox import OutboxDrain
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Say
from conversations.engine.services import Services
from conversations.engine.turn import turn_of
from conversations.registry import ROUTER
from conversations.reports.summary import summary
from platforms.dingtalk.openapi import DingTalkError, OpenApi
from platforms.dingtalk.transport import DingTalkTransport
from platforms.dingtalk.usage import UsageMeter
from sandbox.dingtalk.server import DingTalkStandIn
from scheduler.jobs import reminders
from storage.api_usage import ApiUsages
from storage.models import OutboxMessage
from storage.outbox import Outbox
from storage.platform_ids import Kind, PlatformIds
from storage.repositories import People
from storage.roster import import_roster
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET

SHANGHAI = ZoneInfo("Asia/Shanghai")
THURSDAY = datetime(2026, 11, 26, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, week 2026-W48
HOUSEHOLDS = 30
STAFF_MOBILE = "18700000001"


def name(i: int) -> str:
    """A name without digits (the roster refuses those)."""
    signs = "甲乙丙丁戊己庚辛壬癸"
    return signs[i // 10] + signs[i % 10]


@dataclass
class World:
    standin: DingTalkStandIn
    api: OpenApi
    town: sessionmaker[Session]
    people: dict[str, int]  # DingTalk user id -> the integer the bot knows them by

    def drain(self, **transport: Any) -> OutboxDrain:
        async def tx(work: Any) -> Any:
            with self.town() as s, s.begin():
                return work(s)

        return OutboxDrain(
            DingTalkTransport(self.api, "fangfanpin.buttons", **transport),
            tx,
            load_translations("zh_CN"),
            SHANGHAI,
            now=lambda: THURSDAY,
        )

    def statuses(self) -> list[str]:
        with self.town() as s:
            return sorted(s.scalars(select(OutboxMessage.status)))

    def reached(self) -> set[str]:
        return {m["to"] for m in self.standin.state.sent}  # messages and cards


@pytest.fixture
async def world(session_factory: sessionmaker[Session], tmp_path: Path) -> AsyncIterator[World]:
    """A township of 30 households in one village, each with a helper of its own, and a
    township staff member, all on DingTalk (`u0`…`u29`, `staff`)."""
    households = tmp_path / "households.csv"
    rows = [
        f"龙溪镇,青山村,H{i:02d},户主{name(i)},,3,脱贫不稳定户,7000,帮扶{name(i)},1380000{i:04d}"
        for i in range(HOUSEHOLDS)
    ]
    header = (
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,"
        "帮扶责任人电话"
    )
    households.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    staff = tmp_path / "staff.csv"
    staff.write_text(f"姓名,电话,角色,乡镇,村\n杨镇长,{STAFF_MOBILE},乡镇干部,龙溪镇,\n", "utf-8")
    standin = DingTalkStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await standin.start()
    mobiles = {f"u{i}": f"1380000{i:04d}" for i in range(HOUSEHOLDS)} | {"staff": STAFF_MOBILE}
    people = {}
    with session_factory() as s, s.begin():
        import_roster(s, [households, staff], now=THURSDAY, actor="test")
        for userid, mobile in mobiles.items():
            standin.state.users[userid] = {"userid": userid, "name": userid, "mobile": mobile}
            number = PlatformIds(s).number(Kind.USER, userid, now=THURSDAY)
            person = People(s).by_phone("+86" + mobile)
            assert person is not None
            People(s).link_account(person, number, now=THURSDAY, actor="test")
            people[userid] = number
    api = OpenApi(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, api_url=standin.url, oapi_url=standin.url
    )
    try:
        yield World(standin, api, session_factory, people)
    finally:
        await api.close()
        await standin.stop()


async def test_the_standin_refuses_a_21st_call_in_a_second_with_dingtalks_403(
    world: World,
) -> None:
    world.standin.state.limits.per_second = 5
    blast = OpenApi(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=world.standin.url,
        retries=(),
        per_api_per_second=10_000,  # no pacing: as a client that does not pace
    )
    await blast.token()
    try:
        answers = await asyncio.gather(
            *(blast.to_people(["u1"], "sampleText", {"content": "x"}) for _ in range(12)),
            return_exceptions=True,
        )
    finally:
        await blast.close()
    refused = [a for a in answers if isinstance(a, DingTalkError)]
    assert refused and all(
        (e.status, e.code) == (403, "Forbidden.AccessDenied.QpsLimitForAppkeyAndApi")
        for e in refused
    )
    sent = [c for c in world.standin.state.calls if c["path"].endswith("/batchSend")]
    assert [c["metered"] for c in sent if c["status"] == 403] == [False] * len(refused)
    assert blast.calls == len(answers) - len(refused)  # the refused ones are not counted


async def test_a_reminders_job_for_30_households_reaches_all_30_helpers(world: World) -> None:
    drain = world.drain()

    class Drains:
        async def flush(self) -> None:
            await drain.drain()

    async def tx(work: Any) -> Any:
        with world.town() as s, s.begin():
            return work(s)

    queued = await reminders(THURSDAY, tx, Drains(), tz=SHANGHAI)
    assert queued == HOUSEHOLDS
    assert world.standin.state.limits.per_second == 20  # DingTalk's rate
    assert world.reached() == {f"u{i}" for i in range(HOUSEHOLDS)}  # each once
    assert len(world.standin.state.sent) == HOUSEHOLDS
    assert world.statuses() == ["sent"] * HOUSEHOLDS


async def test_the_monthly_quota_used_up_keeps_the_messages_and_the_staff_see_it(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    limits = world.standin.state.limits
    limits.monthly_quota, limits.used = 3, 0
    with world.town() as s, s.begin():
        for i in range(5):
            Outbox(s).enqueue(
                key=f"notice:{i}",
                kind="notice",
                chat_id=world.people[f"u{i}"],
                now=THURSDAY,
                payload={"text": "Sent /bind in this group.", "params": {}},
            )
    drain = world.drain(quota_pause=0.3)
    assert await drain.drain() == 3
    assert world.statuses() == ["pending", "pending", "sent", "sent", "sent"]  # none failed
    assert drain.paused
    calls = len(world.standin.state.calls)
    assert await drain.drain() == 0  # paused: DingTalk is not even asked
    assert len(world.standin.state.calls) == calls

    async def tx(work: Any) -> Any:
        with world.town() as s, s.begin():
            return work(s)

    meter = UsageMeter(world.api, tx, lambda: THURSDAY, SHANGHAI)
    await meter.drain()
    await meter.drain()
    with world.town() as s:
        assert ApiUsages(s).exhausted_since("dingtalk", "2026-11") == THURSDAY
    services = Services(
        session_factory=world.town,
        translations=load_translations("zh_CN"),
        tz=SHANGHAI,
        clock=lambda: THURSDAY,
        router=ROUTER,
    )
    staff = world.people["staff"]
    ask = Event(1, staff, ChatKind.PRIVATE, staff, text="/summary")
    text = next(r.text for r in await summary(await turn_of(ask, services)) if isinstance(r, Say))
    assert "⚠️ 自11月26日 09:00起，本单位本月钉钉接口调用额度已用完" in text

    limits.monthly_quota = 100  # the organisation's plan raised
    await asyncio.sleep(0.35)
    assert await drain.drain() == 2
    assert world.statuses() == ["sent"] * 5 and not drain.paused
    await meter.drain()
    with world.town() as s:
        assert ApiUsages(s).exhausted_since("dingtalk", "2026-11") is None
    text = next(r.text for r in await summary(await turn_of(ask, services)) if isinstance(r, Say))
    assert "额度已用完" not in text
    said = [r.getMessage() for r in caplog.records]
    assert sum("takes no messages for now" in m for m in said) == 1  # once, not per message
    assert sum("monthly API quota is used up" in m for m in said) == 1
    assert sum("takes messages again" in m for m in said) == 1
    if services.export_pool is not None:
        services.export_pool.shutdown()
