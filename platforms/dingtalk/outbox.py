"""The outbox on DingTalk: red warnings (as cards, so an acknowledgement updates them in
place), all-clears, notices, proposals and every job's messages, claimed and marked sent as
on Telegram (`storage/outbox.py`: a row is claimed, committed, then sent, and marked sent
with the integer of what DingTalk made of it).

Failures: throttling and 5xx are retried by the OpenAPI client (1, 2, 4 s) and then given
back to the outbox with a pause; a group the robot was removed from (`robot.not.in.group`)
or a person DingTalk does not know marks the chat lost, exactly as a Telegram 403 does
(`conversations/undelivered.py`: the binding broken, the staff told, a warning posted to the
township group instead); any other refusal is never silent either. Groups are paced at 20
messages a minute, DingTalk's documented limit per robot and group."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from conversations.outbox_render import Outgoing, render
from conversations.undelivered import lost_chat, undeliverable
from monitoring.i18n import Translations
from platforms.dingtalk.openapi import DingTalkError, OpenApi
from platforms.dingtalk.outbound import send_card, send_message
from scheduler.worker import Worker
from storage.outbox import Outbox
from storage.platform_ids import Kind, Platform, PlatformIds

log = logging.getLogger(__name__)
T = TypeVar("T")
Tx = Callable[[Callable[[Session], T]], Awaitable[T]]

GROUP_PER_MINUTE = 20
UNKNOWN_PERSON = "staffId.notExisted"
LOST = {"robot.not.in.group", UNKNOWN_PERSON}  # the chat is gone for the robot


class GroupPace:
    """At most `per_minute` messages a minute to one group (a sliding minute)."""

    def __init__(self, per_minute: int = GROUP_PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.sent: dict[int, deque[float]] = {}

    async def wait(self, chat_id: int) -> None:
        if chat_id > 0:
            return  # a person's chat
        times = self.sent.setdefault(chat_id, deque())
        while True:
            now = time.monotonic()
            while times and now - times[0] >= 60:
                times.popleft()
            if len(times) < self.per_minute:
                times.append(now)
                return
            await asyncio.sleep(60 - (now - times[0]))


class DingTalkOutbox(Worker):
    task_name = "dingtalk-outbox"

    def __init__(
        self,
        api: OpenApi,
        tx: Tx[Any],
        translations: Translations,
        tz: ZoneInfo,
        *,
        card_template: str,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        interval: float = 5.0,
        stale_after: timedelta = timedelta(minutes=2),
        notice_days: int = 5,
        pace: GroupPace | None = None,
    ) -> None:
        super().__init__()
        self.api, self.tx, self.translations, self.tz = api, tx, translations, tz
        self.card_template = card_template
        self.now, self.interval, self.stale_after = now, interval, stale_after
        self.notice_days = notice_days
        self.pace = pace or GroupPace()
        self.me = f"dingtalk:{uuid.uuid4().hex[:16]}"

    async def before(self) -> None:
        await self.tx(lambda s: Outbox(s).take_back(prefix="dingtalk:", me=self.me))

    async def drain(self) -> int:
        """Send what is due, chats side by side, each chat's rows in order."""
        sent, previous = 0, None
        while not self._stopping.is_set():
            rows = await self.tx(
                lambda s: Outbox(s).due(
                    self.now(), stale_after=self.stale_after, platform=Platform.DINGTALK
                )
            )
            if not rows or rows == previous:
                break
            previous = rows
            by_chat: dict[int, list[int]] = {}
            for row_id, chat_id in rows:
                by_chat.setdefault(chat_id, []).append(row_id)

            async def in_order(ids: list[int]) -> int:
                return sum([await self.deliver(row_id) for row_id in ids])

            sent += sum(await asyncio.gather(*(in_order(ids) for ids in by_chat.values())))
        return sent

    async def deliver(self, row_id: int) -> int:
        now = self.now()

        def claim(session: Session) -> tuple[Outgoing, tuple[Kind, str] | None] | bool | None:
            row = Outbox(session).claim(row_id, now, stale_after=self.stale_after, by=self.me)
            if row is None:
                return False
            out = render(session, row, self.translations, self.tz, now, self.notice_days)
            if out is None:
                Outbox(session).failed(row_id, "nothing to send")
                return None
            return out, PlatformIds(session).external(out.chat_id)

        claimed = await self.tx(claim)
        if not isinstance(claimed, tuple):
            return 0
        out, target = claimed
        if target is None:
            error = f"no DingTalk chat for {out.chat_id}"
            await self.tx(lambda s: undeliverable(s, row_id, error, self.now()))
            return 0
        try:
            await self.pace.wait(out.chat_id)
            card = await self._send(out, target)
        except DingTalkError as exc:
            return await self._failed(row_id, exc)

        def sent(session: Session) -> None:
            # a card gets its integer (a warning's card is updated when acknowledged); a
            # message has nothing to update
            number = (
                PlatformIds(session).number(Kind.MESSAGE, card, now=self.now()) if card else None
            )
            Outbox(session).sent([(row_id, number)], now=self.now())

        await self.tx(sent)
        return 1

    async def _send(self, out: Outgoing, target: tuple[Kind, str]) -> str | None:
        """Send; a card's out-track id (None for a message)."""
        if out.keyboard:
            return await send_card(self.api, self.card_template, target, out.text, out.keyboard)
        messages: list[tuple[str, dict[str, Any]]] = [("sampleText", {"content": out.text})]
        if out.chart is not None:
            png = await asyncio.to_thread(out.chart)
            media = await self.api.upload(png, "chart.png", "image")
            messages.append(("sampleImageMsg", {"photoURL": media}))
        for key, params in messages:
            if not await send_message(self.api, target, key, params):
                raise DingTalkError(400, UNKNOWN_PERSON, f"DingTalk has no {target[1]}")
        return None

    async def _failed(self, row_id: int, exc: DingTalkError) -> int:
        error = str(exc)[:300]
        if exc.code in LOST:
            log.warning("DingTalk outbox %s: the chat is lost: %s", row_id, error)
            await self.tx(lambda s: lost_chat(s, row_id, error, self.now()))
        elif exc.status in (0, 429) or exc.status >= 500:
            later = self.now() + timedelta(seconds=30)
            await self.tx(lambda s: Outbox(s).retry_at(row_id, later, error))
        else:
            await self.tx(lambda s: undeliverable(s, row_id, error, self.now()))
        self.wake()  # the notices, and a warning's copy for the township group
        return 0
