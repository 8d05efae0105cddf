"""The DingTalk adapter: each Stream callback (a robot message, a card's button) becomes a
neutral event, goes through the same table of flows as on Telegram
(`conversations/dispatch.py`), and the replies are carried out on DingTalk
(`platforms/dingtalk/outbound.py`). It returns True, so the callback is acknowledged, only
when all of
that is done: a crash before leaves the callback to be pushed again, and its update id
(DingTalk's message id) keeps it from being applied twice.

A person is found on the roster by the mobile number of their DingTalk account (the
contacts API) on their first message: the registration flow gets it as the person's own
shared contact, with the same audit and the same refusal of unknown numbers as on Telegram,
and no contact-sharing step."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import time
from typing import Any

from dingtalk_stream.frames import CallbackMessage

from conversations.dispatch import dispatch
from conversations.engine.events import ChatKind
from conversations.engine.replies import Reply, Say
from conversations.engine.services import Services
from conversations.engine.turn import turn_of
from monitoring.i18n import N_
from platforms.dingtalk.ids import IdCache
from platforms.dingtalk.inbound import (
    BOT_MESSAGE_TOPIC,
    CARD_CALLBACK_TOPIC,
    Incoming,
    ids_of,
    message_event,
    press_event,
    with_contact,
)
from platforms.dingtalk.openapi import DingTalkError, OpenApi, PermissionMissing
from platforms.dingtalk.outbound import Deliverer
from storage.platform_ids import Kind

log = logging.getLogger(__name__)

TOPICS = (BOT_MESSAGE_TOPIC, CARD_CALLBACK_TOPIC)
MALFORMED = (TypeError, ValueError, KeyError, AttributeError)  # a callback of the wrong shape
# How long a person found on the roster is taken as still on it without a look-up: a person
# taken off the roster meanwhile is refused by every flow all the same (each reads them).
LINKED_FOR = 600.0
NO_MOBILE = N_(
    "Your DingTalk account shows no mobile number, so the township's roster can not find "
    "you. Please ask the township office to check your DingTalk contact details."
)
NO_PERMISSION = N_(
    "The township's DingTalk application may not read mobile numbers yet, so the roster can "
    "not find you. Please ask your organisation's DingTalk administrator to grant the "
    "application the permission “{permission}” (developer console: 权限管理 > 通讯录管理), "
    "then write to me again."
)


class DingTalkAdapter:
    def __init__(self, services: Services, api: OpenApi, card_template: str) -> None:
        self.services, self.api = services, api
        self.ids = IdCache(services)
        self.deliverer = Deliverer(api, card_template, self.ids.external, self.ids.number)
        # A group's title, from its messages: a card's press does not carry it (/bind's
        # button names the group by it).
        self.titles: dict[int, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # per person: their callbacks in order
        # People known to be linked to the roster, and when that was last read: their
        # events go straight to the dispatch (no look-up of their own).
        self._linked: dict[int, float] = {}

    async def on_callback(self, callback: CallbackMessage) -> bool:
        """Handle one callback; True when it may be acknowledged. One person's callbacks are
        handled one at a time, in the order they came (as the Telegram poller does): two
        quick answers never race for the same conversation."""
        if not isinstance(callback.data, dict):
            return _ignored(callback, "its data is not a JSON object")
        data = dict(callback.data)
        person = str(data.get("senderStaffId") or data.get("userId") or "")
        lock = self._locks.setdefault(person, asyncio.Lock())
        async with lock:
            try:
                return await self._handle(callback, data)
            except DingTalkError as exc:
                if exc.status == 0 or exc.status >= 500:
                    raise  # DingTalk out of reach: not acknowledged
                # A reply DingTalk refused (a card it does not know, say): the answer is
                # kept, and pushing the callback again would change nothing.
                log.warning(
                    "DingTalk callback %s handled; DingTalk refused a reply: %s",
                    callback.headers.message_id,
                    exc,
                )
                return True

    async def _handle(self, callback: CallbackMessage, data: dict[str, Any]) -> bool:
        topic = callback.headers.topic
        if topic not in TOPICS:
            return True  # a topic not subscribed to: nothing to do
        try:
            wanted = ids_of(topic, data)
        except MALFORMED as exc:
            return _ignored(callback, f"malformed ({type(exc).__name__})")
        numbers = await self.ids.numbers(wanted)

        def number(kind: Kind, external: str) -> int:
            return numbers[(kind, external)]

        incoming: Incoming | None
        try:
            if topic == BOT_MESSAGE_TOPIC:
                incoming = message_event(data, number)
            else:
                incoming = press_event(data, str(callback.headers.message_id), number)
        except MALFORMED as exc:
            return _ignored(callback, f"malformed ({type(exc).__name__})")
        if incoming is None:
            return _ignored(callback, "no message or button this bot reads, or not a member")
        event = incoming.event
        if event.chat_kind is ChatKind.GROUP and event.chat_title:
            self.titles[event.chat_id] = event.chat_title
        elif event.chat_kind is ChatKind.GROUP and event.chat_id in self.titles:
            event = dataclasses.replace(event, chat_title=self.titles[event.chat_id])
        on_message: frozenset[str] | None = None
        button = event.button
        if button is not None:
            known = self.deliverer.card(event.message_id)
            if known is not None:
                event = dataclasses.replace(event, message_text=known[0])
                on_message = known[1]
            else:  # a card sent before a restart: its own buttons, as far as can be told
                on_message = frozenset({button.split(":", 1)[0]})
        turn = None
        if not self._known_linked(event.user_id):
            turn = await turn_of(event, self.services)  # the person, looked up once
            if turn.person is not None and event.user_id is not None:
                self._linked[event.user_id] = time.monotonic()
            elif event.chat_kind is ChatKind.PRIVATE and button is None:
                try:
                    mobile = await self.api.mobile_of(incoming.staff_id)
                except PermissionMissing as missing:  # logged once by the client
                    text = turn.t._(NO_PERMISSION).format(permission=missing.permission)
                    await self.deliverer.deliver(event, [Say(text)])
                    return True
                if mobile is None:
                    replies: list[Reply] = [Say(turn.t._(NO_MOBILE))]
                    await self.deliverer.deliver(event, replies)
                    return True
                event = with_contact(event, mobile)
                turn = await turn_of(event, self.services)
        await self.deliverer.deliver(
            event, await dispatch(event, self.services, on_message, turn=turn)
        )
        return True

    def _known_linked(self, user_id: int | None) -> bool:
        seen = self._linked.get(user_id) if user_id is not None else None
        return seen is not None and time.monotonic() - seen < LINKED_FOR


def _ignored(callback: CallbackMessage, why: str) -> bool:
    """A callback the bot can do nothing with: acknowledged (it would only come again), one
    line logged (without its content), and the next one handled."""
    log.warning(
        "DingTalk callback %s on %s ignored: %s",
        callback.headers.message_id,
        callback.headers.topic,
        why,
    )
    return True
