"""The DingTalk adapter: each Stream callback (a robot message, a card's button) becomes a
neutral event, goes through the same table of flows as on Telegram
(`conversations/dispatch.py`), and the replies are carried out on DingTalk
(`platforms/dingtalk/outbound.py`). A callback is acknowledged only when its answer has
committed; a press's acknowledgement carries its card's new data, so a press costs no API
call.

DingTalk does not push a callback again (robot messages are "fire-forgot": its Stream
protocol page), so nothing here waits for one: a message sent while the bot is down is lost,
and a press whose card update was lost (the bot stopped after the commit) is answered, when
pressed again, by the conversation where it stands, on that card.

A press is taken in the chat its card was delivered to, by our own record, never by what the
callback says: a private card answers only its owner, a group card only in its group, and
only for the buttons the card shows (`ids.Cards`).

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

from conversations.dispatch import STALE, WRONG_PLACE, dispatch
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Reply, Say, Toast
from conversations.engine.services import Services
from conversations.engine.turn import Turn, turn_of
from monitoring.i18n import N_
from platforms.dingtalk.ids import Cards, IdCache
from platforms.dingtalk.inbound import (
    BOT_MESSAGE_TOPIC,
    CARD_CALLBACK_TOPIC,
    ids_of,
    message_event,
    press_event,
    press_of,
    with_contact,
)
from platforms.dingtalk.openapi import DingTalkError, OpenApi, PermissionMissing
from platforms.dingtalk.outbound import Deliverer
from platforms.dingtalk.stream import Handled
from storage.platform_ids import Card, Kind

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
        self.cards = Cards(services, self.ids)
        self.deliverer = Deliverer(api, card_template, self.ids, self.cards)
        # A group's title, from its messages: a card's press does not carry it (/bind's
        # button names the group by it).
        self.titles: dict[int, str] = {}
        self._locks: dict[str, asyncio.Lock] = {}  # per person: their callbacks in order
        # People known to be linked to the roster, and when that was last read: their
        # events go straight to the dispatch (no look-up of their own).
        self._linked: dict[int, float] = {}

    async def on_callback(self, callback: CallbackMessage) -> Handled | bool:
        """Handle one callback; what to acknowledge it with. One person's callbacks are
        handled one at a time, in the order they came (as the Telegram poller does): two
        quick answers never race for the same conversation."""
        if not isinstance(callback.data, dict):
            return _ignored(callback, "its data is not a JSON object")
        data = dict(callback.data)
        person = str(data.get("senderStaffId") or data.get("userId") or "")
        lock = self._locks.setdefault(person, asyncio.Lock())
        async with lock:
            topic = callback.headers.topic
            try:
                if topic == BOT_MESSAGE_TOPIC:
                    handled = await self._message(data)
                elif topic == CARD_CALLBACK_TOPIC:
                    handled = await self._press(data, str(callback.headers.message_id))
                else:
                    return True  # a topic not subscribed to: nothing to do
            except MALFORMED as exc:
                return _ignored(callback, f"malformed ({type(exc).__name__})")
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
            if handled is None:
                return _ignored(callback, "no message or button this bot reads, or not a member")
            return handled

    async def _message(self, data: dict[str, Any]) -> Handled | None:
        numbers = await self.ids.numbers(ids_of(BOT_MESSAGE_TOPIC, data))
        incoming = message_event(data, lambda kind, external: numbers[(kind, external)])
        if incoming is None:
            return None
        event = incoming.event
        if event.chat_kind is ChatKind.GROUP and event.chat_title:
            self.titles[event.chat_id] = event.chat_title
        turn = await self._turn(event)
        if turn is not None and turn.person is None and event.chat_kind is ChatKind.PRIVATE:
            try:
                mobile = await self.api.mobile_of(incoming.staff_id)
            except PermissionMissing as missing:  # logged once by the client
                text = turn.t._(NO_PERMISSION).format(permission=missing.permission)
                await self.deliverer.deliver(event, [Say(text)])
                return Handled()
            if mobile is None:
                await self.deliverer.deliver(event, [Say(turn.t._(NO_MOBILE))])
                return Handled()
            event = with_contact(event, mobile)
            turn = await turn_of(event, self.services)
        await self.deliverer.deliver(event, await dispatch(event, self.services, turn=turn))
        return Handled()

    async def _press(self, data: dict[str, Any], message_id: str) -> Handled | None:
        started = time.monotonic()
        press = press_of(data)
        if press is None:
            return None  # nothing we can read: acknowledged, nothing done
        user = await self.ids.number(Kind.USER, press.staff_id)
        card = await self.cards.get(press.track)
        refusal = await self._refusal(card, press.space)
        if card is None or refusal is not None:
            log.warning("press on card %s refused: %s", press.track, refusal or "unknown card")
            # told in the presser's own chat; the card stays as it is
            own = Event(0, user, ChatKind.PRIVATE, user, button=press.data)
            t = (await turn_of(own, self.services)).t
            await self.deliverer.deliver(own, [Toast(t._(STALE if card is None else WRONG_PLACE))])
            return Handled()
        # What the card shows: as the press says it (the template sends it), else as last
        # set by this process
        shown = press.text if press.text is not None else self.cards.text(card.number)
        event = press_event(press, card, user, message_id, shown)
        if event.chat_kind is ChatKind.GROUP and event.chat_id in self.titles:
            event = dataclasses.replace(event, chat_title=self.titles[event.chat_id])
        replies: list[Reply] = await dispatch(
            event, self.services, card.buttons, turn=await self._turn(event)
        )
        return Handled(await self.deliverer.answer(event, card, replies, started))

    async def _refusal(self, card: Card | None, space: str) -> str | None:
        """Why a press on `card` is not taken (None: it is). The callback's space, when it
        names one, must be the card's group; a private card's chat has no id of ours."""
        if card is None or card.chat_id > 0 or not space:
            return None
        group = await self.ids.external(card.chat_id)
        if group is not None and space not in (group[1], f"IM_GROUP.{group[1]}"):
            return f"the callback names space {space}"
        return None

    async def _turn(self, event: Event) -> Turn | None:
        """The event with its person, looked up once (None: known to be linked, the dispatch
        looks them up where it needs them)."""
        if self._known_linked(event.user_id):
            return None
        turn = await turn_of(event, self.services)
        if turn.person is not None and event.user_id is not None:
            self._linked[event.user_id] = time.monotonic()
        return turn

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
