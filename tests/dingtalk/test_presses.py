"""Presses on DingTalk cards, as DingTalk delivers them: never again (a press whose card
update was lost, the bot stopped after the answer's commit, is answered when pressed again
by where the conversation stands, on that card), and never trusted for where they were made
(a card answers only in the chat it was delivered to, and only for its own buttons)."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from conversations.engine.services import Services
from conversations.registry import ROUTER
from platforms.dingtalk.adapter import TOPICS, DingTalkAdapter
from platforms.dingtalk.openapi import OpenApi
from platforms.dingtalk.stream import StreamConnection
from sandbox.dingtalk.scripted import ScriptedPerson
from sandbox.dingtalk.server import DingTalkStandIn
from sandbox.scripts import quick_checkin
from storage.models import CheckIn, Draft
from tests.conftest import import_examples
from tests.dingtalk.credentials import CLIENT_ID, CLIENT_SECRET

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # Tuesday 10:00 in Shanghai
ONE, TWO = "helper-one", "helper-two"  # 李建国 and 王秀英, helpers of 青山村


class Town:
    """The stand-in, the database, and the DingTalk bot, which can be stopped and started
    again (a new adapter: nothing kept in memory)."""

    def __init__(self, standin: DingTalkStandIn, services: Services) -> None:
        self.standin, self.services = standin, services
        self.task: asyncio.Task[None] | None = None
        self.api: OpenApi | None = None

    async def start(self) -> None:
        self.api = OpenApi(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_url=self.standin.url,
            oapi_url=self.standin.url,
            retries=(0.01,),
        )
        adapter = DingTalkAdapter(self.services, self.api, "fangfanpin.buttons")
        stream = StreamConnection(
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            api_url=self.standin.url,
            topics=TOPICS,
            on_callback=adapter.on_callback,
            backoff=(0.05,),
        )
        connections = self.standin.state.connections
        self.task = asyncio.create_task(stream.run())
        for _ in range(200):
            if self.standin.connected and self.standin.state.connections > connections:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the bot did not connect")

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        if self.api is not None:
            await self.api.close()

    async def send(self, userid: str, text: str) -> None:
        answer = await self.standin.person_sends(userid, text)
        assert await self.standin.wait_acked(str(answer["messageId"]), 10), text

    async def press(self, userid: str, card: dict[str, Any], data: str, **how: Any) -> None:
        answer = await self.standin.person_presses(
            userid, card["outTrackId"], {"data": data}, **how
        )
        assert "error" not in answer, answer
        assert await self.standin.wait_acked(str(answer["messageId"]), 10)

    async def press_answer_lost(self, userid: str, card: dict[str, Any], data: str) -> None:
        """Pressed, handled, and the acknowledgement lost with the socket."""
        self.standin.state.lose_acks = 1
        await self.standin.person_presses(userid, card["outTrackId"], {"data": data})
        for _ in range(500):
            if not self.standin.state.lose_acks:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("the press was never answered")

    def texts(self, userid: str) -> list[str]:
        return [
            str(m["msgParam"].get("content"))
            for m in self.standin.state.sent
            if m["to"] == userid and m["kind"] == "message"
        ]

    def cards(self, userid: str) -> list[dict[str, Any]]:
        return [m for m in self.standin.state.sent if m["to"] == userid and m["kind"] == "card"]


def button(card: dict[str, Any], fragment: str) -> str:
    buttons = json.loads(card["params"]["buttons"])
    found = [b["data"] for b in buttons if fragment in b["text"] or b["data"] == fragment]
    assert found, f"no {fragment!r} in {buttons}"
    return str(found[0])


def answers(factory: sessionmaker[Session]) -> dict[str, Any] | None:
    with factory() as s:
        draft = s.scalars(select(Draft)).first()
        return dict(draft.answers) if draft else None


@pytest.fixture
async def town(session_factory: sessionmaker[Session]) -> AsyncIterator[Town]:
    import_examples(session_factory)
    standin = DingTalkStandIn(client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    await standin.start()
    for userid, name, mobile in ((ONE, "李建国", "13800138001"), (TWO, "王秀英", "13800138002")):
        standin.state.users[userid] = {"userid": userid, "name": name, "mobile": mobile}
    services = Services(
        session_factory=session_factory,
        translations=load_translations("zh_CN"),
        tz=ZoneInfo("Asia/Shanghai"),
        clock=lambda: NOW,
        router=ROUTER,
    )
    town = Town(standin, services)
    await town.start()
    try:
        for userid in (ONE, TWO):
            await town.send(userid, "你好")  # registered by their DingTalk mobile
        yield town
    finally:
        await town.stop()
        await standin.stop()


async def test_a_press_whose_card_update_was_lost_shows_the_next_question_on_that_card(
    town: Town, session_factory: sessionmaker[Session]
) -> None:
    await town.send(ONE, "/checkin")
    [card] = town.cards(ONE)
    await town.press(ONE, card, button(card, "LX01001"))
    visit = card["params"]["markdown"]
    assert "本次走访方式" in visit
    # The answer is committed, then the bot stops before DingTalk has the acknowledgement
    # (with the card's new data in it): the card still asks the visit method.
    await town.press_answer_lost(ONE, card, "ci:a:visit_method:home")
    assert answers(session_factory) == {
        "income_basis": "first",
        "school_basis": "ask",
        "visit_method": "home",
    }
    assert card["params"]["markdown"] == visit
    await town.stop()
    await town.start()  # a new process: it remembers no card
    # Pressed again, unchanged: the card shows where the check-in stands (the members
    # question, with its buttons), and says so; nothing is stored twice, no message is sent.
    messages = len(town.texts(ONE))
    await town.press(ONE, card, "ci:a:visit_method:home")
    assert card["params"]["markdown"].startswith("该问题已回答过；当前进行到这里：")
    assert "共同生活" in card["params"]["markdown"]
    assert button(card, "仍为").startswith("ci:a:members:")
    assert answers(session_factory) == {
        "income_basis": "first",
        "school_basis": "ask",
        "visit_method": "home",
    }
    assert len(town.texts(ONE)) == messages and len(town.cards(ONE)) == 1
    # ...and the check-in goes on from there, on the same card.
    await town.press(ONE, card, button(card, "仍为"))
    assert "收入" in card["params"]["markdown"]
    assert set(answers(session_factory) or {}) == {
        "income_basis",
        "school_basis",
        "visit_method",
        "members",
    }


async def test_a_confirm_whose_card_update_was_lost_says_the_check_in_is_kept(
    town: Town, session_factory: sessionmaker[Session]
) -> None:
    helper = ScriptedPerson(town.standin, ONE)
    *answers_, _confirm = quick_checkin(1)
    await helper.run(
        [
            ("send", "/checkin", "请选择要走访的农户"),
            ("press", "LX01001", "本次走访方式"),
            *answers_[1:],
        ]
    )
    summary = town.cards(ONE)[-1]
    await town.press_answer_lost(ONE, summary, button(summary, "确认提交"))
    assert town.texts(ONE)[-1].startswith("已保存：LX01001 户的走访记录。")
    assert button(summary, "确认提交")  # the card did not change
    await town.stop()
    await town.start()
    # Confirm pressed again: the check-in is not open any more, and the answer says the
    # confirmed one is kept; the card loses its buttons; nothing is saved twice.
    await town.press(ONE, summary, button(summary, "确认提交"))
    assert town.texts(ONE)[-1].startswith("当前没有进行中的走访记录（已确认提交的均已保存）")
    assert json.loads(summary["params"]["buttons"]) == []
    with session_factory() as s:
        assert len(s.scalars(select(CheckIn)).all()) == 1


async def test_a_private_card_answers_its_owner_only(
    town: Town, session_factory: sessionmaker[Session]
) -> None:
    await town.send(ONE, "/checkin")
    [card] = town.cards(ONE)
    before = dict(card["params"]), card["updates"]
    # A second helper's press on the first one's card (a frame no client would send:
    # DingTalk shows a private card only to its owner): refused, in their own chat.
    await town.press(TWO, card, button(card, "LX01001"), forged=True)
    assert (dict(card["params"]), card["updates"]) == before
    assert answers(session_factory) is None
    assert town.texts(TWO)[-1] == "此按钮不能在这里使用。"
    assert not town.cards(TWO)
    # The owner's own press is taken.
    await town.press(ONE, card, button(card, "LX01001"))
    assert "本次走访方式" in card["params"]["markdown"]


async def test_a_card_answers_only_its_own_buttons(
    town: Town, session_factory: sessionmaker[Session]
) -> None:
    await town.send(ONE, "/checkin")
    [card] = town.cards(ONE)
    before = dict(card["params"]), card["updates"]
    for data in ("lg:en", "mn:p:2", "gb:v:1"):  # buttons of other screens, on this card
        await town.press(ONE, card, data, forged=True)
        assert town.texts(ONE)[-1] == "此按钮不能在这里使用。"
    assert (dict(card["params"]), card["updates"]) == before
    # A card the bot never sent: no longer valid, nothing created for it.
    ghost = {"outTrackId": "ffp-ghost"}
    town.standin.state.cards["ffp-ghost"] = {"to": ONE, "outTrackId": "ffp-ghost", "params": {}}
    await town.press(ONE, ghost, "ci:hh:1")
    assert town.texts(ONE)[-1] == "该按钮已失效。"
    assert answers(session_factory) is None
