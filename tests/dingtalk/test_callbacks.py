"""The DingTalk adapter on a real organisation's terms, through the stand-in's Stream
connection and the real database:

- without the 企业员工手机号信息 permission, DingTalk's contacts API answers errcode 0 and no
  `mobile`: the person is told which permission the organisation must grant (by DingTalk's
  own name), the administrator's log says so once, and nobody is linked;
- a callback of the wrong shape (content that is a JSON list, or an object instead of a
  string; data that is no object; a text that is no object) and a press on a card DingTalk
  does not know, whose update it refuses, are each acknowledged with one log line, and the
  next message is answered."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from typing import Any, cast

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from conversations.people.language import CHOOSE
from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.dingtalk.state import BOT_MESSAGE_TOPIC, CARD_CALLBACK_TOPIC, Frame
from storage.models import Person
from tests.conftest import import_examples
from tests.dingtalk.connect import connected_adapter
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET

HELPER = {"userid": "manager0001", "name": "李建国", "mobile": "13800138001"}  # on the roster
HEAD = {"userid": "manager0002", "name": "张卫东", "mobile": "13700137001"}  # on the roster


class Org:
    def __init__(self, standin: DingTalkStandIn) -> None:
        self.standin = standin

    async def say(self, userid: str, text: str) -> None:
        answer = await self.standin.person_sends(userid, text)
        assert await self.standin.wait_acked(str(answer["messageId"]), 10), text

    async def push(self, topic: str, data: Any) -> bool:
        """A callback frame as given (`data` of any shape); whether it was acknowledged."""
        frame = Frame("CALLBACK", topic, cast(dict[str, Any], data))
        assert await self.standin.push(frame)
        return await self.standin.wait_acked(frame.message_id, 10)

    def texts(self, userid: str) -> list[str]:
        return [
            str(m["msgParam"].get("content"))
            for m in self.standin.state.sent
            if m["to"] == userid and m["kind"] == "message"
        ]


@pytest.fixture
async def org(session_factory: sessionmaker[Session]) -> AsyncIterator[Org]:
    import_examples(session_factory)
    standin = DingTalkStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await standin.start()
    for person in (HELPER, HEAD):
        standin.state.users[person["userid"]] = dict(person)
    try:
        async with connected_adapter(standin, session_factory, retries=()):
            yield Org(standin)
    finally:
        await standin.stop()


async def test_without_the_mobile_permission_people_are_told_which_permission_is_missing(
    org: Org, session_factory: sessionmaker[Session], caplog: pytest.LogCaptureFixture
) -> None:
    org.standin.state.limits.mobile_permission = False  # only qyapi_get_member granted
    await org.say(HELPER["userid"], "你好")
    await org.say(HEAD["userid"], "你好")
    for person in (HELPER, HEAD):
        [told] = org.texts(person["userid"])
        assert "“企业员工手机号信息”权限" in told and "钉钉管理员" in told
    with session_factory() as s:  # nobody linked
        linked = select(func.count(Person.id)).where(Person.platform_user_id.is_not(None))
        assert s.scalar(linked) == 0
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert sum("企业员工手机号信息" in m for m in said) == 1  # once, for the administrator
    assert not any(HELPER["mobile"] in m for m in said)

    org.standin.state.limits.mobile_permission = True  # granted: the next message registers
    await org.say(HELPER["userid"], "你好")
    assert any("您已登记为" in t for t in org.texts(HELPER["userid"])[1:])


async def test_malformed_callbacks_are_acknowledged_with_one_line_each(
    org: Org, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    await org.say(HELPER["userid"], "你好")  # registered: a person whose presses count
    press = {
        "userId": HELPER["userid"],
        "outTrackId": "ffp-unknown-card",
        "spaceType": "IM_ROBOT",
        "spaceId": HELPER["userid"],
        "type": "actionCallback",
    }
    shapes = [
        (CARD_CALLBACK_TOPIC, {**press, "content": "[1, 2]"}),  # a JSON list
        (CARD_CALLBACK_TOPIC, {**press, "content": ["cardPrivateData"]}),  # not a string
        (CARD_CALLBACK_TOPIC, {**press, "content": {"cardPrivateData": {"params": {}}}}),
        (CARD_CALLBACK_TOPIC, {**press, "content": '{"cardPrivateData": []}'}),
        (CARD_CALLBACK_TOPIC, ["not", "an", "object"]),
        (BOT_MESSAGE_TOPIC, {"senderStaffId": HELPER["userid"], "msgtype": "text", "text": "hi"}),
    ]
    for topic, data in shapes:
        caplog.clear()
        assert await org.push(topic, data), data
        assert len([r for r in caplog.records if "ignored" in r.getMessage()]) == 1, data

    # A press on a card the bot has no record of (nor DingTalk): acknowledged with one line,
    # nothing taken (a card is only trusted for where our record says it went).
    caplog.clear()
    english = {"cardPrivateData": {"params": {"data": CHOOSE.data(locale="en")}}}
    assert await org.push(CARD_CALLBACK_TOPIC, {**press, "content": json.dumps(english)})
    refused = [r.getMessage() for r in caplog.records if "refused" in r.getMessage()]
    assert len(refused) == 1 and "unknown card" in refused[0]

    await org.say(HELPER["userid"], "/help")  # and the next message is answered
    assert len(org.texts(HELPER["userid"])) >= 2
