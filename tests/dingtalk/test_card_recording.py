"""A press can come before the outbox has recorded the card (DingTalk took the card; the
transaction that records its owner and buttons commits a moment later): a card of ours is
waited for, briefly, instead of being refused as no longer valid. Found when the DingTalk week
failed on PostgreSQL in CI: "press on card ffp-… refused: unknown card"."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from conversations.engine.services import Services
from platforms.dingtalk.ids import OUR_CARDS, Cards, IdCache
from storage.platform_ids import Kind, PlatformIds

NOW = datetime(2026, 12, 1, 2, 0, tzinfo=UTC)


async def test_a_card_recorded_a_moment_after_the_press_is_found(
    session_factory: sessionmaker[Session],
) -> None:
    services = Services(
        session_factory=session_factory,
        translations=load_translations("zh_CN"),
        tz=ZoneInfo("Asia/Shanghai"),
        clock=lambda: NOW,
    )
    cards = Cards(services, IdCache(services))
    track = OUR_CARDS + "0123456789abcdef01234567"
    with session_factory() as s, s.begin():
        owner = PlatformIds(s).number(Kind.GROUP, "cid-qs", now=NOW)

    async def record_later() -> None:
        await asyncio.sleep(0.3)
        with session_factory() as s, s.begin():
            PlatformIds(s).card(track, chat_id=owner, buttons=frozenset({"al"}), now=NOW)

    recording = asyncio.create_task(record_later())
    card = await cards.get(track)
    await recording
    assert card is not None and card.chat_id == owner and card.buttons == frozenset({"al"})

    started = time.monotonic()
    assert await cards.get("not-one-of-ours") is None  # another's card: not waited for
    assert time.monotonic() - started < 0.25
    assert await cards.get(OUR_CARDS + "never") is None  # ours, never recorded: given up
