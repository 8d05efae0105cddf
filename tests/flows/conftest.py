"""Flows in process: neutral events in, neutral replies out, against the real database (no
HTTP, no Telegram)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from conversations.engine.events import ChatKind, Contact, Event
from conversations.engine.replies import Reply
from conversations.engine.services import Services
from conversations.engine.turn import Flow, turn_of
from conversations.registry import ROUTER

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def services(session_factory: sessionmaker[Session]) -> Iterator[Services]:
    services = Services(
        session_factory=session_factory,
        translations=load_translations("zh_CN"),
        tz=SHANGHAI,
        clock=lambda: datetime(2026, 11, 25, 2, 0, tzinfo=UTC),
        router=ROUTER,
    )
    yield services
    if services.export_pool is not None:
        services.export_pool.shutdown()


class Runner:
    """Sends neutral events to a flow, numbering them as a platform would."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.update_id = 0

    async def send(
        self, flow: Flow, user_id: int | None, chat_id: int, kind: ChatKind, **what: Any
    ) -> list[Reply]:
        """One event, numbered as a platform would, through `flow`."""
        self.update_id += 1
        event = Event(self.update_id, chat_id, kind, user_id, **what)
        return await flow(await turn_of(event, self.services))

    async def text(
        self,
        flow: Flow,
        user_id: int | None,
        text: str,
        *,
        chat_id: int | None = None,
        kind: ChatKind = ChatKind.PRIVATE,
    ) -> list[Reply]:
        chat = chat_id if chat_id is not None else (user_id or 0)
        return await self.send(flow, user_id, chat, kind, text=text)

    async def event(
        self, flow: Flow, user_id: int | None, chat_id: int, **what: Any
    ) -> list[Reply]:
        """Any other event (a button, the bot added or removed, a migration); a chat whose
        id is the user's is their private chat."""
        kind = ChatKind.PRIVATE if chat_id == user_id else ChatKind.GROUP
        return await self.send(flow, user_id, chat_id, kind, **what)

    async def answer(self, user_id: int, **what: Any) -> list[Reply]:
        """A private message that is no command, or a press of a conversation's button (text=,
        button=, photo=, message_text=...): what the router makes of it."""
        self.update_id += 1
        event = Event(self.update_id, user_id, ChatKind.PRIVATE, user_id, **what)
        return await ROUTER.answer(event, self.services)

    async def contact(self, flow: Flow, user_id: int, phone: str, owner: int | None) -> list[Reply]:
        return await self.send(
            flow, user_id, user_id, ChatKind.PRIVATE, contact=Contact(phone, owner)
        )


@pytest.fixture
def run(services: Services) -> Runner:
    return Runner(services)
