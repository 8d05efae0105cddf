"""The group filter on DingTalk: a card, its update and a robot message to a group go with
anything shaped like an ID or mobile number masked (a warning logged, without the value);
a person's own chat is left as it is. `send_card` and `send_message` are what the outbox
and the replies both send with."""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Button, Edit, Say
from conversations.engine.services import Services
from conversations.outbox.render import Outgoing
from platforms.dingtalk.ids import Cards, IdCache
from platforms.dingtalk.openapi import OpenApi
from platforms.dingtalk.outbound import Deliverer, send_message
from platforms.dingtalk.transport import DingTalkTransport
from sandbox.dingtalk.server import DingTalkStandIn
from storage.platform_ids import Kind, PlatformIds
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TEXT = "户编号 500118198507029464，青山村 电话13700137000"
MASKED = "户编号 500***********9464，青山村 电话137****7000"


@pytest.fixture
async def api(standin: DingTalkStandIn) -> AsyncIterator[OpenApi]:
    client = OpenApi(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        api_url=standin.url,
        oapi_url=standin.url,
        retries=(0.01,),
    )
    try:
        yield client
    finally:
        await client.close()


async def test_group_texts_are_masked_and_logged_private_ones_are_not(
    standin: DingTalkStandIn,
    api: OpenApi,
    session_factory: sessionmaker[Session],
    caplog: pytest.LogCaptureFixture,
) -> None:
    def tx_number(kind: Kind, external: str) -> int:
        with session_factory() as s, s.begin():
            return PlatformIds(s).number(kind, external, now=NOW)

    services = Services(
        session_factory=session_factory,
        translations=load_translations("zh_CN"),
        tz=ZoneInfo("Asia/Shanghai"),
        clock=lambda: NOW,
    )
    ids = IdCache(services)
    cards = Cards(services, ids)
    group, person = tx_number(Kind.GROUP, "cid-qs"), tx_number(Kind.USER, "u1")
    deliverer = Deliverer(api, "fangfanpin.buttons", ids, cards)
    caplog.set_level(logging.WARNING, logger="conversations.engine.group_filter")
    in_group = Event(update_id=1, chat_id=group, chat_kind=ChatKind.GROUP, user_id=person)

    keyboard = ((Button("青山村 13700137000", "gb:v:1"),),)
    await deliverer.deliver(in_group, [Say(TEXT, keyboard), Say(TEXT)])
    [card] = [m for m in standin.state.sent if m["kind"] == "card"]
    assert card["to"] == "cid-qs" and card["params"]["markdown"] == MASKED
    assert "青山村 137****7000" in card["params"]["buttons"]
    assert "gb:v:1" in card["params"]["buttons"]  # the data as it was
    recorded = await cards.get(card["outTrackId"])
    assert recorded is not None and recorded.chat_id == group
    assert recorded.buttons == frozenset({"gb"})
    pressed = Event(
        update_id=2,
        chat_id=group,
        chat_kind=ChatKind.GROUP,
        user_id=person,
        message_id=recorded.number,
    )
    await deliverer.deliver(pressed, [Edit("已确认 " + TEXT)])  # through the API
    assert card["params"]["markdown"] == "已确认 " + MASKED and card["updates"] == 1
    # the same in a press's acknowledgement
    answer = await deliverer.answer(pressed, recorded, [Edit("再次 " + TEXT)], time.monotonic())
    assert answer["cardData"]["cardParamMap"]["markdown"] == "再次 " + MASKED
    await send_message(api, (Kind.USER, "u1"), "sampleText", {"content": TEXT})

    messages = [m for m in standin.state.sent if m["kind"] == "message"]
    assert [(m["to"], m["msgParam"]["content"]) for m in messages] == [
        ("cid-qs", MASKED),
        ("u1", TEXT),
    ]
    warnings = [r for r in caplog.records if r.name == "conversations.engine.group_filter"]
    assert len(warnings) == 5  # the card and its button, its two updates, the message
    assert "500118198507029464" not in caplog.text and "13700137000" not in caplog.text

    # the outbox bringing a group card up to date (a warning acknowledged while on its way)
    caplog.clear()
    transport = DingTalkTransport(api, "fangfanpin.buttons")
    await transport.edit(card["outTrackId"], Outgoing(group, "追上 " + TEXT))
    assert card["params"]["markdown"] == "追上 " + MASKED
    assert [r for r in caplog.records if r.name == "conversations.engine.group_filter"]
