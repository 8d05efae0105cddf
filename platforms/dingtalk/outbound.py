"""The engine's replies carried out on DingTalk:

- a text with buttons is an interactive card (the shipped template, `card_template.py`),
  recorded with the chat it went to and its buttons' prefixes (`PlatformIds.card`); an
  `Edit` of the card a button was pressed on goes back in the press's acknowledgement
  (DingTalk shows it: no API call), any other `Edit` updates its card through the API;
- a text without buttons is a robot text message; a picture (a chart) and a file (the
  ledger) are uploaded and sent as image and file messages;
- DingTalk has no "toast" under a pressed button: a toast with words goes to the presser's
  single chat; command menus and the share-my-phone button have no counterpart (a person is
  found by the contacts API) and are left out;
- metered calls are spent only where they must be (docs/dingtalk.md, "Metered calls"): an
  edit that would only take the buttons off an older card in a person's own chat is not made
  (a press on such a card redraws where the conversation stands, on that card).

Every text for a group (a card, its update, a message) passes the group filter
(`conversations/engine/group_filter.py`) here, where the replies and the outbox meet."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import time
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from conversations.buttons import prefix_of
from conversations.engine.events import Event
from conversations.engine.group_filter import for_group, is_group, labels_for_group
from conversations.engine.replies import (
    Document,
    Edit,
    Keyboard,
    Later,
    Photo,
    Reply,
    Say,
    SetMenu,
    Toast,
)
from platforms.dingtalk.card_template import BUTTON_DATA, BUTTON_LABEL, BUTTONS, TEXT
from platforms.dingtalk.ids import OUR_CARDS, Cards, IdCache
from platforms.dingtalk.openapi import DingTalkError, OpenApi
from storage.platform_ids import Card, Kind, PlatformIds

log = logging.getLogger(__name__)

# DingTalk waits 2 s for a card callback's answer (its card callback page): a press whose
# replies took longer updates its card through the API instead of the acknowledgement.
ACK_BUDGET = 1.5


class SentCard(str):
    """A card's out-track id, with whom it went to and its buttons' prefixes: recorded with
    it (`record_card`) wherever it was sent from (a reply, the outbox)."""

    target: tuple[Kind, str]
    buttons: frozenset[str]

    def __new__(cls, track: str, target: tuple[Kind, str], buttons: frozenset[str]) -> SentCard:
        card = super().__new__(cls, track)
        card.target, card.buttons = target, buttons
        return card


def prefixes(keyboard: Keyboard) -> frozenset[str]:
    return frozenset(prefix_of(b.data) for row in keyboard for b in row)


def card_params(text: str, keyboard: Keyboard, chat: int | str | None) -> dict[str, str]:
    """The template's variables (card data values are strings: a list goes as JSON), as the
    chat may read them: for a group (`chat` a group's integer, or a conversation id), the text
    and labels pass the group filter. Every card created or updated goes through here."""
    text, keyboard = for_chat(chat, text, keyboard) if chat is not None else (text, keyboard)
    buttons = [{BUTTON_LABEL: b.label, BUTTON_DATA: b.data} for row in keyboard for b in row]
    return {TEXT: text, BUTTONS: json.dumps(buttons, ensure_ascii=False)}


def for_chat(chat: int | str, text: str, keyboard: Keyboard) -> tuple[str, Keyboard]:
    if is_group(chat):
        return for_group(text, chat), labels_for_group(keyboard, chat)
    return text, keyboard


async def send_card(
    api: OpenApi, template: str, target: tuple[Kind, str], text: str, keyboard: Keyboard
) -> SentCard:
    """A card to a person or a group; its out-track id (for updates in place)."""
    kind, external = target
    space = f"IM_ROBOT.{external}" if kind is Kind.USER else f"IM_GROUP.{external}"
    track = OUR_CARDS + secrets.token_hex(12)
    group = None if kind is Kind.USER else external
    await api.create_card(track, template, space, card_params(text, keyboard, group))
    return SentCard(track, target, prefixes(keyboard))


def record_card(session: Session, ref: str, now: datetime) -> int:
    """The integer of a card sent from the outbox, recorded with its owner and buttons."""
    ids = PlatformIds(session)
    if isinstance(ref, SentCard):
        owner = ids.number(ref.target[0], ref.target[1], now=now)
        return ids.card(str(ref), chat_id=owner, buttons=ref.buttons, now=now)
    return ids.number(Kind.MESSAGE, ref, now=now)


async def send_message(
    api: OpenApi, target: tuple[Kind, str], key: str, params: dict[str, Any]
) -> bool:
    """A robot message to a person or a group; False when DingTalk did not deliver it to the
    person (unknown to DingTalk, filtered out, or held back by flow control)."""
    kind, external = target
    if kind is Kind.USER:
        return not await api.to_people([external], key, params)
    params = {k: for_group(v, external) if k == "content" else v for k, v in params.items()}
    await api.to_group(external, key, params)
    return True


class Deliverer:
    def __init__(self, api: OpenApi, template: str, ids: IdCache, cards: Cards) -> None:
        self.api, self.template = api, template
        self.ids, self.cards = ids, cards

    async def answer(self, event: Event, card: Card, replies: list[Reply], started: float) -> Any:
        """Carry out the replies to a press on `card`; the acknowledgement's response: the
        card's new data when a reply changes it (DingTalk's card callback page: "通过响应事件
        回调来更新卡片数据"), else "OK"."""
        shown: Edit | None = None
        rest: list[Reply] = []
        for reply in replies:
            on_card = isinstance(reply, Edit) and reply.message_id in (None, card.number)
            if on_card and isinstance(reply, Edit) and reply.chat_id in (None, card.chat_id):
                shown = reply
            else:
                rest.append(reply)
        await self.deliver(event, rest)
        if shown is None:
            return "OK"
        await self.cards.shown(card, shown.text, prefixes(shown.keyboard))
        params = card_params(shown.text, shown.keyboard, card.chat_id)
        if time.monotonic() - started > ACK_BUDGET:  # too late for the acknowledgement
            await self.api.update_card(card.external_id, params)
            return "OK"
        return {
            "cardUpdateOptions": {"updateCardDataByKey": True},
            "cardData": {"cardParamMap": params},
        }

    async def deliver(self, event: Event, replies: list[Reply]) -> None:
        for reply in replies:
            await self._one(event, reply)

    async def _one(self, event: Event, reply: Reply) -> None:
        if isinstance(reply, Say):
            card_id = await self._say(reply.chat_id or event.chat_id, reply.text, reply.keyboard)
            if reply.shown is not None and card_id is not None:
                await reply.shown(card_id)
        elif isinstance(reply, Edit):
            await self._edit(event, reply)
        elif isinstance(reply, Toast):
            if reply.text and event.user_id is not None:
                await self._say(event.user_id, reply.text, ())
        elif isinstance(reply, Photo):
            media = await self.api.upload(reply.png, reply.filename, "image")
            await self._message(
                reply.chat_id or event.chat_id, "sampleImageMsg", {"photoURL": media}
            )
        elif isinstance(reply, Document):
            media = await self.api.upload(reply.data, reply.filename, "file")
            kind = reply.filename.rsplit(".", 1)[-1]
            await self._message(
                reply.chat_id or event.chat_id,
                "sampleFile",
                {"mediaId": media, "fileName": reply.filename, "fileType": kind},
            )
        elif isinstance(reply, Later):
            work = reply.work

            async def later() -> None:
                await self.deliver(event, await work())

            asyncio.get_running_loop().create_task(later())
        elif isinstance(reply, SetMenu):
            return  # DingTalk robots have no per-chat command menu

    async def _edit(self, event: Event, reply: Edit) -> None:
        card_id = reply.message_id if reply.message_id is not None else event.message_id
        chat = reply.chat_id or event.chat_id
        target = await self.ids.external(card_id) if card_id is not None else None
        if target is None or target[0] is not Kind.MESSAGE:
            if not reply.best_effort:  # the text anew (as Telegram does for an edit)
                await self._say(chat, reply.text, reply.keyboard)
            return
        if reply.best_effort and not reply.keyboard and not is_group(chat):
            # Only the buttons would go, from an older card of a person's own chat: a metered
            # call saved (a press there redraws where the conversation stands).
            log.debug("left the buttons on card %s", card_id)
            return
        try:
            await self.api.update_card(target[1], card_params(reply.text, reply.keyboard, chat))
        except DingTalkError as exc:
            if not reply.best_effort:
                raise
            log.info("could not bring card %s up to date: %s", card_id, exc)
            return
        card = await self.cards.get(target[1])
        if card is not None:
            await self.cards.shown(card, reply.text, prefixes(reply.keyboard))

    async def _say(self, chat_id: int, text: str, keyboard: Keyboard) -> int | None:
        """A card (its id) for a text with buttons, else a message (None)."""
        if not keyboard:
            await self._message(chat_id, "sampleText", {"content": text})
            return None
        track = await send_card(
            self.api, self.template, await self._target(chat_id), text, keyboard
        )
        return await self.cards.sent(track, chat_id, track.buttons, text)

    async def _message(self, chat_id: int, key: str, params: dict[str, Any]) -> None:
        await send_message(self.api, await self._target(chat_id), key, params)

    async def _target(self, chat_id: int) -> tuple[Kind, str]:
        target = await self.ids.external(chat_id)
        if target is None:
            raise LookupError(f"no DingTalk chat for {chat_id}")
        return target
