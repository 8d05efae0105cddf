"""DingTalk's side of the outbox (`bot/outbox.py` drains it): red warnings as interactive
cards (so an acknowledgement updates them in place), everything else as robot messages, a
chart as an uploaded picture; DingTalk's answer in the core's words.

Failures: throttling and 5xx are retried by the OpenAPI client (1, 2, 4 s) and then given back
to the outbox with a pause; a network failure means DingTalk is out of reach (the drain backs
off); a group the robot was removed from (`robot.not.in.group`) or a person DingTalk does not
know marks the chat lost, exactly as a Telegram 403 does; any other refusal is never silent
either (`conversations/undelivered.py`). Groups are paced at 20 messages a minute, DingTalk's
documented limit per robot and group (docs/dingtalk.md)."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.transport import ChatGone, Outcome, Refused, RetryAt, Sent
from conversations.outbox_render import Outgoing
from platforms.dingtalk.openapi import DingTalkError, OpenApi
from platforms.dingtalk.outbound import card_params, record_card, send_card, send_message
from storage.platform_ids import Kind, Platform, PlatformIds

log = logging.getLogger(__name__)

GROUP_PER_MINUTE = 20
UNKNOWN_PERSON = "staffId.notExisted"
LOST = {"robot.not.in.group", UNKNOWN_PERSON}  # the chat is gone for the robot
RETRY_SECONDS = 30.0  # after the client's own retries of a throttled or failing call


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


class DingTalkTransport:
    platform = Platform.DINGTALK
    label = "DingTalk"

    def __init__(self, api: OpenApi, card_template: str, pace: GroupPace | None = None) -> None:
        self.api, self.card_template = api, card_template
        self.pace = pace or GroupPace()

    def address(self, session: Session, chat_id: int, message_id: int | None) -> Any:
        """(chat id, (kind, DingTalk's id)) to send to; with `message_id`, the card's
        out-track id to update."""
        ids = PlatformIds(session)
        if message_id is not None:
            card = ids.external(message_id)
            return card[1] if card is not None and card[0] is Kind.MESSAGE else None
        target = ids.external(chat_id)
        return None if target is None else (chat_id, target)

    async def send(self, address: Any, out: Outgoing, png: bytes | None) -> Outcome:
        chat_id, target = address
        try:
            await self.pace.wait(chat_id)
            return Sent(await self._send(target, out, png))
        except DingTalkError as exc:
            error = str(exc)[:300]
            if exc.code in LOST:
                return ChatGone(error)
            if exc.status == 0:  # no answer at all
                return RetryAt(None, error, link_down=True)
            if exc.status == 429 or exc.status >= 500:
                return RetryAt(RETRY_SECONDS, error)
            return Refused(error)

    async def _send(self, target: tuple[Kind, str], out: Outgoing, png: bytes | None) -> str | None:
        """Send; a card's out-track id (None for a message: nothing to update later)."""
        if out.keyboard:
            return await send_card(self.api, self.card_template, target, out.text, out.keyboard)
        messages: list[tuple[str, dict[str, Any]]] = [("sampleText", {"content": out.text})]
        if png is not None:
            media = await self.api.upload(png, "chart.png", "image")
            messages.append(("sampleImageMsg", {"photoURL": media}))
        for key, params in messages:
            if not await send_message(self.api, target, key, params):
                raise DingTalkError(400, UNKNOWN_PERSON, f"DingTalk has no {target[1]}")
        return None

    def record(self, session: Session, ref: int | str | None, now: datetime) -> int | None:
        """A card gets its integer (a warning's card is updated when acknowledged), recorded
        with the chat it went to and its buttons (a press is checked against them)."""
        if not isinstance(ref, str):
            return None
        return record_card(session, ref, now)

    async def edit(self, address: Any, out: Outgoing) -> None:
        try:
            await self.api.update_card(str(address), card_params(out.text, out.keyboard))
        except DingTalkError as exc:  # best effort: the card shows its earlier state
            log.debug("could not bring card %s up to date: %s", address, exc)
