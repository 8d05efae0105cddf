"""The DingTalk adapter end to end through the stand-in and the real database: a person is
found on the roster by their DingTalk mobile number on their first message (an unknown
number and an account without one are told what to do), /checkin comes as a card whose
buttons update it in place question by question, a typed answer is taken, and a press
pushed again by DingTalk is not applied twice."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.dingtalk.server import DingTalkStandIn
from storage.models import AuditEntry, Draft, Person
from tests.conftest import import_examples
from tests.dingtalk.connect import connected_adapter
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET

PEOPLE = [
    {"userid": "manager0001", "name": "李建国", "mobile": "13800138001"},  # a helper
    {"userid": "manager0002", "name": "路人甲", "mobile": "13912345678"},  # not on the roster
    {"userid": "manager0003", "name": "无手机", "mobile": ""},  # no mobile in DingTalk
]


class Town:
    def __init__(self, standin: DingTalkStandIn, http: aiohttp.ClientSession) -> None:
        self.standin, self.http = standin, http

    async def send(self, userid: str, text: str) -> str:
        async with self.http.post(
            self.standin.url + "/control/send", json={"userid": userid, "text": text}
        ) as response:
            answer: dict[str, Any] = await response.json()
        message_id = str(answer["messageId"])
        assert await self.standin.wait_acked(message_id, 10), f"{text!r} not acknowledged"
        return message_id

    async def press(self, userid: str, card: str, data: str) -> str:
        async with self.http.post(
            self.standin.url + "/control/press",
            json={"userid": userid, "outTrackId": card, "params": {"data": data}},
        ) as response:
            answer: dict[str, Any] = await response.json()
        message_id = str(answer["messageId"])
        assert await self.standin.wait_acked(message_id, 10), f"{data} not acknowledged"
        return message_id

    def texts(self, userid: str) -> list[str]:
        return [
            str(m["msgParam"].get("content"))
            for m in self.standin.state.sent
            if m["to"] == userid and m["kind"] == "message"
        ]

    def cards(self, userid: str) -> list[dict[str, Any]]:
        return [m for m in self.standin.state.sent if m["to"] == userid and m["kind"] == "card"]


@pytest.fixture
async def town(session_factory: sessionmaker[Session]) -> AsyncIterator[Town]:
    import_examples(session_factory)
    standin = DingTalkStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await standin.start()
    try:
        async with (
            connected_adapter(standin, session_factory),
            aiohttp.ClientSession() as http,
        ):
            for person in PEOPLE:
                await http.post(standin.url + "/control/users", json=person)
            yield Town(standin, http)
    finally:
        await standin.stop()


async def test_registration_by_mobile_and_a_check_in_on_cards(
    town: Town, session_factory: sessionmaker[Session]
) -> None:
    helper = "manager0001"
    await town.send(helper, "你好")
    hello, most_used = town.texts(helper)
    assert hello.startswith("李建国您好") and "帮扶责任人" in hello
    assert "/checkin" in most_used
    with session_factory() as s:
        person = s.scalars(select(Person).where(Person.phone == "+8613800138001")).one()
        assert person.platform_user_id is not None and person.platform_user_id >= 2**53
        linked = s.scalars(
            select(AuditEntry).where(
                AuditEntry.entity_key == "+8613800138001", AuditEntry.field == "platform_user_id"
            )
        ).one()
        # the audit trail says who acted on which platform, by DingTalk's own id
        assert linked.actor == f"dingtalk:{helper}" and person.platform == "dingtalk"

    # /checkin: a card listing the helper's households; a press turns it into the first
    # question, and each answer into the next, on the same card
    await town.send(helper, "/checkin")
    [listing] = town.cards(helper)
    assert "请选择要走访的农户" in listing["params"]["markdown"]
    household = next(
        b["data"] for b in json.loads(listing["params"]["buttons"]) if "LX01001" in b["text"]
    )
    await town.press(helper, listing["outTrackId"], household)
    assert "本次走访方式" in listing["params"]["markdown"] and listing["updates"] == 1
    pressed = await town.press(helper, listing["outTrackId"], "ci:a:visit_method:home")
    assert "共同生活" in listing["params"]["markdown"] and listing["updates"] == 2
    # the same press pushed again (on the same connection, as connectors report): not
    # applied twice
    frame = town.standin.state.frames[pressed]
    frame.acked = False
    await town.standin.redeliver()
    assert await town.standin.wait_acked(pressed, 10)
    with session_factory() as s:
        [draft] = s.scalars(select(Draft)).all()
        assert draft.answers == {
            "income_basis": "first",
            "school_basis": "ask",
            "visit_method": "home",
        }
    # a typed answer (the members) is taken; the next question comes as a new card
    await town.send(helper, "5")
    with session_factory() as s:
        [draft] = s.scalars(select(Draft)).all()
        assert draft.answers == {
            "income_basis": "first",
            "school_basis": "ask",
            "visit_method": "home",
            "members": 5,
        }
    latest = town.cards(helper)[-1]
    assert latest is not listing and "收入" in latest["params"]["markdown"]


async def test_unknown_numbers_and_accounts_without_one_are_told(town: Town) -> None:
    await town.send("manager0002", "/start")
    [told] = town.texts("manager0002")
    assert "名单" in told
    await town.send("manager0003", "你好")
    [no_mobile] = town.texts("manager0003")
    assert no_mobile.startswith("您的钉钉账号没有手机号")


async def test_one_persons_quick_presses_are_handled_in_order(
    town: Town, session_factory: sessionmaker[Session]
) -> None:
    """Two answers pressed at once (weak signal, a double tap): DingTalk may deliver them
    together; they are taken one after the other, in order, both kept."""
    helper = "manager0001"
    await town.send(helper, "你好")
    await town.send(helper, "/checkin")
    [listing] = town.cards(helper)
    household = next(
        b["data"] for b in json.loads(listing["params"]["buttons"]) if "LX01001" in b["text"]
    )
    await town.press(helper, listing["outTrackId"], household)
    pushed = []
    for data in ("ci:a:visit_method:home", "ci:a:members:5"):  # without waiting in between
        async with town.http.post(
            town.standin.url + "/control/press",
            json={"userid": helper, "outTrackId": listing["outTrackId"], "params": {"data": data}},
        ) as response:
            pushed.append(str((await response.json())["messageId"]))
    for message_id in pushed:
        assert await town.standin.wait_acked(message_id, 10)
    with session_factory() as s:
        [draft] = s.scalars(select(Draft)).all()
        assert draft.answers == {
            "income_basis": "first",
            "school_basis": "ask",
            "visit_method": "home",
            "members": 5,
        }


async def test_a_press_on_a_card_is_one_transaction(
    town: Town, session_factory: sessionmaker[Session]
) -> None:
    """As on Telegram: the person, their draft, the answer and the press's id in one
    transaction; DingTalk's ids and the card to update come from memory."""
    helper = "manager0001"
    await town.send(helper, "你好")
    await town.send(helper, "/checkin")
    [listing] = town.cards(helper)
    household = next(
        b["data"] for b in json.loads(listing["params"]["buttons"]) if "LX01001" in b["text"]
    )
    await town.press(helper, listing["outTrackId"], household)
    engine = session_factory.kw["bind"]
    begun: list[int] = []

    def count(_connection: object) -> None:
        begun.append(1)

    event.listen(engine, "begin", count)
    try:
        await town.press(helper, listing["outTrackId"], "ci:a:visit_method:home")
    finally:
        event.remove(engine, "begin", count)
    assert "共同生活" in listing["params"]["markdown"]  # the answer was taken and shown
    assert len(begun) == 1
