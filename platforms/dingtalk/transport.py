"""DingTalk's side of the outbox (`bot/outbox.py` drains it): red warnings as interactive
cards (so an acknowledgement updates them in place), everything else as robot messages, a
chart as an uploaded picture; DingTalk's answer in the core's words (docs/dingtalk.md,
"Limits" and "Error codes", with their sources):

- throttled (the rate per API, the robot's own send limits, a person held back by flow
  control) and 5xx: retried by the OpenAPI client, then given back to the outbox with a
  pause (`RetryAt`); a network failure means DingTalk is out of reach (the drain backs off);
- the organisation's monthly quota used up: nothing more is sent for `QUOTA_PAUSE`, then one
  message tries (`Paused`; the rows wait, none fails; /summary says since when);
- a group gone for the robot (removed, stopped, the group disbanded or unknown: `GONE`) or
  a person DingTalk does not know or filtered out: the chat is lost, exactly as a Telegram
  403 (`ChatGone`); a card DingTalk answered 200 but did not deliver counts as refused by
  its `errorMsg`;
- any other refusal: `Refused`, never silent either (`conversations/outbox/undelivered.py`).
Groups are paced at 20 messages a minute, DingTalk's documented limit per robot and group."""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections import deque
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from bot.transport import ChatGone, Outcome, Paused, Refused, RetryAt, Sent
from conversations.outbox.render import Outgoing
from platforms.dingtalk.openapi import QUOTA_USED_UP, THROTTLED, DingTalkError, OpenApi
from platforms.dingtalk.outbound import card_params, record_card, send_card, send_message
from storage.platform_ids import Kind, Platform, PlatformIds

log = logging.getLogger(__name__)

GROUP_PER_MINUTE = 20
# DingTalk's codes (0716 the robot sends a group message, 0013 global error codes, 0783
# createAndDeliver; docs/dingtalk.md) for a chat the robot can not write in any more.
GONE = frozenset(
    {
        "invalidParameter.robotCode.notExsit",  # (sic) 机器人不存在，请检查机器人是否在群内
        "invalidParameter.robotCode.empty",  # 机器人robotCode无效，请检查机器人是否在群内
        "invalidParameter.robotCode",  # 无效的robotCode，请检查机器人是否在群内
        "robot.not.found",  # 机器人不存在
        "resource.not.found",  # 资源不存在，可能是机器人不存在
        "resource.unavailable",  # 资源不可用，可能是机器人已停用…
        "bot.stopped",  # 群机器人已经停用
        "invalidRequest.robotIsStop",  # 机器人已经被组织停用
        "bot.forbidden.sendMessage",  # 账户被禁言
        "group.disbanded",  # 群已经解散
        "invalid.openConversationId",  # 无效的openConversationId
        "not.found",  # 群聊不存在，请检查openConversationId是否正确
        "staffId.notExisted",  # a person: staffId不存在
        "robot.oto.notExist",  # 没有有效的机器人单聊会话
        "param.userIdNotExist",  # a card to a person: 用户user不存在
        "invalidStaffIdList",  # batchSend: unknown to DingTalk
        "filteredStaffIdList",  # batchSend: filtered out, not delivered
    }
)
GONE_MESSAGES = ("机器人不存在", "群已经解散", "群机器人已经停用", "机器人已经被组织停用")
# The robot's own send limits (HTTP 400) and batchSend's flow control: later, not now.
SEND_LIMITS = frozenset(
    {"send.too.fast", "send.byToken.tooFast", "too.many.group", "too.many.people"}
)
FLOW_CONTROLLED = "flowControlledStaffIdList"
RETRY_SECONDS = 30.0  # after the client's own retries of a throttled or failing call
SEND_LIMIT_SECONDS = 60.0  # a robot's send limit or a person's flow control
QUOTA_PAUSE = 1800.0  # the monthly quota used up: one message tries again after this


def outcome_of(exc: DingTalkError, quota_pause: float = QUOTA_PAUSE) -> Outcome:
    """DingTalk's refusal in the core's words."""
    error = str(exc)[:300]
    code = exc.code
    if code in QUOTA_USED_UP:
        return Paused(quota_pause, error)
    if exc.status == 0:  # no answer at all
        return RetryAt(None, error, link_down=True)
    if code in SEND_LIMITS or code == FLOW_CONTROLLED:
        return RetryAt(SEND_LIMIT_SECONDS, error)
    if code in THROTTLED or exc.status == 429 or exc.status >= 500:
        return RetryAt(RETRY_SECONDS, error)
    if gone(code):
        return ChatGone(error)
    return Refused(error)


def gone(code: str) -> bool:
    """A code (or a card's `errorMsg`, whose values DingTalk does not document: a code, or
    a sentence naming one or quoting its documented message) that means the chat is gone."""
    if code in GONE:
        return True
    words = re.findall(r"[A-Za-z][\w.]*", code)
    return any(w in GONE for w in words) or any(m in code for m in GONE_MESSAGES)


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

    def __init__(
        self,
        api: OpenApi,
        card_template: str,
        pace: GroupPace | None = None,
        *,
        quota_pause: float = QUOTA_PAUSE,
    ) -> None:
        self.api, self.card_template = api, card_template
        self.pace = pace or GroupPace()
        self.quota_pause = quota_pause

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
            return outcome_of(exc, self.quota_pause)

    async def _send(self, target: tuple[Kind, str], out: Outgoing, png: bytes | None) -> str | None:
        """Send; a card's out-track id (None for a message: nothing to update later)."""
        if out.keyboard:
            return await send_card(self.api, self.card_template, target, out.text, out.keyboard)
        messages: list[tuple[str, dict[str, Any]]] = [("sampleText", {"content": out.text})]
        if png is not None:
            media = await self.api.upload(png, "chart.png", "image")
            messages.append(("sampleImageMsg", {"photoURL": media}))
        for key, params in messages:
            if target[0] is not Kind.USER:
                await send_message(self.api, target, key, params)
                continue
            missed = await self.api.to_people([target[1]], key, params)
            not_to = f"DingTalk did not deliver to {target[1]}"
            if missed.flow_controlled:
                raise DingTalkError(200, FLOW_CONTROLLED, not_to)
            if missed.invalid:
                raise DingTalkError(200, "invalidStaffIdList", not_to)
            if missed.filtered:
                raise DingTalkError(200, "filteredStaffIdList", not_to)
        return None

    def record(self, session: Session, ref: int | str | None, now: datetime) -> int | None:
        """A card gets its integer (a warning's card is updated when acknowledged), recorded
        with the chat it went to and its buttons (a press is checked against them)."""
        if not isinstance(ref, str):
            return None
        return record_card(session, ref, now)

    async def edit(self, address: Any, out: Outgoing) -> None:
        try:
            params = card_params(out.text, out.keyboard, out.chat_id)
            await self.api.update_card(str(address), params)
        except DingTalkError as exc:  # best effort: the card shows its earlier state
            log.debug("could not bring card %s up to date: %s", address, exc)
