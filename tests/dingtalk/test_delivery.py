"""What DingTalk says about a send, read as DingTalk documents it, through the one outbox drain
against the stand-in (the small town's people and groups on DingTalk):

- `createAndDeliver` answers 200 with a result per space: a red warning's card that did not
  reach the village group is a failed send, so the binding is broken, the warning goes to
  the township group instead and the staff are told;
- `batchSend` answers 200 with the people it did not reach: unknown or filtered out (the
  person is marked unreachable), or held back by flow control (the message waits, then goes);
- the documented codes for a robot removed or a group gone each mark the binding broken;
  the stand-in answers each case with its documented code."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from bot.outbox import OutboxDrain
from platforms.dingtalk.openapi import DingTalkError, OpenApi
from platforms.dingtalk.transport import DingTalkTransport
from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.dingtalk.state import Failure
from storage.bindings import BROKEN
from storage.models import GroupBinding, OutboxMessage, Person
from storage.outbox import Outbox
from storage.platform_ids import Kind, PlatformIds
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET
from tests.small_town import SHANGHAI, STAFF, TOWNSHIP_GROUP, VILLAGE_GROUP, A, at, green_checkin

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
NOTICE = {"text": "Sent /bind in this group.", "params": {}}  # any catalogued text


@dataclass
class Town:
    standin: DingTalkStandIn
    api: OpenApi
    db: sessionmaker[Session]
    chats: dict[str, int]  # DingTalk's id -> the integer the bot knows the chat by

    def drain(self) -> OutboxDrain:
        async def tx(work: Any) -> Any:
            with self.db() as s, s.begin():
                return work(s)

        transport = DingTalkTransport(self.api, "fangfanpin.buttons")
        return OutboxDrain(transport, tx, load_translations("zh_CN"), SHANGHAI, now=lambda: NOW)

    def received(self, to: str) -> list[str]:
        return [
            str(m["params"]["markdown"] if m["kind"] == "card" else m["msgParam"]["content"])
            for m in self.standin.state.sent
            if m["to"] == to
        ]

    def binding(self, cid: str) -> str:
        with self.db() as s:
            found = s.scalar(select(GroupBinding).where(GroupBinding.chat_id == self.chats[cid]))
            assert found is not None
            return found.status

    def queue(self, to: str, key: str = "notice") -> int:
        with self.db() as s, s.begin():
            Outbox(s).enqueue(
                key=f"{key}:{to}", kind="notice", chat_id=self.chats[to], now=NOW, payload=NOTICE
            )
            return int(s.scalar(select(OutboxMessage.id).where(OutboxMessage.key == f"{key}:{to}")))

    def row(self, row_id: int) -> OutboxMessage:
        with self.db() as s:
            found = s.get(OutboxMessage, row_id)
            assert found is not None
            s.expunge(found)
            return found


@pytest.fixture
async def dingtalk(town: sessionmaker[Session]) -> AsyncIterator[Town]:
    """The small town (tests/conftest.py) on DingTalk: helper A is `d-helper`, the staff
    member `d-staff`, the village group `cid-v`, the township group `cid-t`."""
    standin = DingTalkStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await standin.start()
    state = standin.state
    for userid, name in (("d-staff", "杨镇长"), ("d-helper", "甲")):
        state.users[userid] = {"userid": userid, "name": name, "mobile": "13800000001"}
    for cid, title in (("cid-v", "青山村工作群"), ("cid-t", "龙溪镇群")):
        state.groups[cid] = {"id": cid, "title": title, "members": ["d-staff"], "robot": True}
    chats = {}
    with town() as s, s.begin():
        ids = PlatformIds(s)
        for old, kind, new in (
            (STAFF, Kind.USER, "d-staff"),
            (A, Kind.USER, "d-helper"),
            (VILLAGE_GROUP, Kind.GROUP, "cid-v"),
            (TOWNSHIP_GROUP, Kind.GROUP, "cid-t"),
        ):
            chats[new] = number = ids.number(kind, new, now=NOW)
            if kind is Kind.USER:
                s.execute(
                    update(Person)
                    .where(Person.platform_user_id == old)
                    .values(platform_user_id=number)
                )
            else:
                s.execute(
                    update(GroupBinding).where(GroupBinding.chat_id == old).values(chat_id=number)
                )
    api = OpenApi(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=standin.url,
        oapi_url=standin.url,
        retries=(),
    )
    try:
        yield Town(standin, api, town, chats)
    finally:
        await api.close()
        await standin.stop()


async def test_a_warning_card_not_delivered_goes_to_the_township_group_instead(
    dingtalk: Town,
) -> None:
    dingtalk.standin.state.groups["cid-v"]["robot"] = False  # the robot removed meanwhile
    green_checkin(dingtalk.db, "H3", at("2026-11-24T09:00"), food=False)  # red: a warning
    drain = dingtalk.drain()
    while await drain.drain():
        pass
    # DingTalk answered 200 with `success: false` for the village group's card
    creates = [c for c in dingtalk.standin.state.calls if c["path"].endswith("createAndDeliver")]
    assert creates and all(c["status"] == 200 for c in creates)
    assert dingtalk.received("cid-v") == []
    assert dingtalk.binding("cid-v") == BROKEN
    township = dingtalk.received("cid-t")
    assert sum("🔴" in t for t in township) == 2  # its own copy, and the village group's
    assert sum("未能发到村工作群" in t for t in township) == 1
    assert any("青山村工作群" in t for t in dingtalk.received("d-staff"))  # the staff told


async def test_a_person_dingtalk_did_not_reach_is_not_taken_as_reached(
    dingtalk: Town,
) -> None:
    users = dingtalk.standin.state.users
    users["d-helper"]["flow_controlled"] = 1  # held back once by flow control
    held = dingtalk.queue("d-helper")
    drain = dingtalk.drain()
    await drain.drain()
    later = dingtalk.row(held)
    assert later.status == "pending" and "flowControlledStaffIdList" in str(later.last_error)
    with dingtalk.db() as s, s.begin():  # the wait is over
        s.execute(update(OutboxMessage).values(next_attempt_at=NOW))
    await drain.drain()
    assert dingtalk.row(held).status == "sent"
    assert len(dingtalk.received("d-helper")) == 1

    users["d-helper"]["filtered"] = True  # DingTalk filtered the message out
    filtered = dingtalk.queue("d-helper", key="second")
    await drain.drain()
    assert dingtalk.row(filtered).status == "failed"
    with dingtalk.db() as s:
        helper = s.scalar(
            select(Person).where(Person.platform_user_id == dingtalk.chats["d-helper"])
        )
        assert helper is not None and helper.unreachable_since is not None
    assert len(dingtalk.received("d-helper")) == 1  # nothing more arrived


async def test_the_standin_answers_a_dead_group_with_dingtalks_documented_code(
    dingtalk: Town,
) -> None:
    groups, api = dingtalk.standin.state.groups, dingtalk.api
    cases = []
    groups["cid-v"]["robot"] = False
    groups["cid-t"]["disbanded"] = True
    for cid in ("cid-v", "cid-t", "cid-nowhere"):
        with pytest.raises(DingTalkError) as refused:
            await api.to_group(cid, "sampleText", {"content": "x"})
        cases.append((refused.value.status, refused.value.code))
        with pytest.raises(DingTalkError) as card:  # a card: 200, `success` false
            await api.create_card(f"ffp-{cid}", "fangfanpin.buttons", f"IM_GROUP.{cid}", {})
        assert (card.value.status, card.value.code) == (200, refused.value.code)
    assert cases == [
        (400, "invalidParameter.robotCode.notExsit"),
        (400, "group.disbanded"),
        (400, "invalid.openConversationId"),
    ]


@pytest.mark.parametrize(
    "code",
    [
        "invalidParameter.robotCode.notExsit",
        "invalid.openConversationId",
        "group.disbanded",
        "bot.stopped",
        "invalidRequest.robotIsStop",
        "resource.unavailable",
        "resource.not.found",
    ],
)
async def test_each_documented_code_for_a_dead_group_breaks_the_binding(
    dingtalk: Town, code: str
) -> None:
    dingtalk.standin.state.failures.append(Failure("/v1.0/robot/groupMessages/send", 400, 1, code))
    lost = dingtalk.queue("cid-v")
    await dingtalk.drain().drain()
    assert dingtalk.row(lost).status == "failed" and code in str(dingtalk.row(lost).last_error)
    assert dingtalk.binding("cid-v") == BROKEN
    assert dingtalk.binding("cid-t") != BROKEN
