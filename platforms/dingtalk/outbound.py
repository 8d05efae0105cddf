"""The engine's replies carried out on DingTalk:

- a text with buttons is an interactive card (the template named by the deployment, whose
  variables are `markdown`, the text, and `buttons`, a JSON list of rows of {text, data});
  an `Edit` updates that card in place, as Telegram edits a message;
- a text without buttons is a robot text message; a picture (a chart) and a file (the
  ledger) are uploaded and sent as image and file messages;
- DingTalk has no "toast" under a pressed button: a toast with words goes to the presser's
  single chat; command menus and the share-my-phone button have no counterpart (a person is
  found by the contacts API) and are left out.

Every text for a group (a card, its update, a message) passes the group filter
(`conversations/engine/group_filter.py`) here, where the replies and the outbox meet."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

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
from platforms.dingtalk.openapi import OpenApi
from storage.platform_ids import Kind

log = logging.getLogger(__name__)

KEEP_CARDS = 10_000  # cards whose text and buttons are remembered (for message_text)
Resolve = Callable[[int], Awaitable[tuple[Kind, str] | None]]
Number = Callable[[Kind, str], Awaitable[int]]


def card_params(text: str, keyboard: Keyboard) -> dict[str, str]:
    rows = [[{"text": b.label, "data": b.data} for b in row] for row in keyboard]
    return {"markdown": text, "buttons": json.dumps(rows, ensure_ascii=False)}


async def send_card(
    api: OpenApi, template: str, target: tuple[Kind, str], text: str, keyboard: Keyboard
) -> str:
    """A card to a person or a group; its out-track id (for updates in place)."""
    kind, external = target
    if kind is not Kind.USER:
        text, keyboard = for_group(text, external), labels_for_group(keyboard, external)
    space = f"IM_ROBOT.{external}" if kind is Kind.USER else f"IM_GROUP.{external}"
    track = "ffp-" + secrets.token_hex(12)
    await api.create_card(track, template, space, card_params(text, keyboard))
    return track


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
    def __init__(self, api: OpenApi, template: str, resolve: Resolve, number: Number) -> None:
        """`resolve`: what an integer chat or card id stands for; `number`: the integer
        for a new card (both in storage, through the adapter's transactions)."""
        self.api, self.template = api, template
        self.resolve, self.number = resolve, number
        self.cards: OrderedDict[int, tuple[str, frozenset[str]]] = OrderedDict()

    def card(self, card_id: int | None) -> tuple[str, frozenset[str]] | None:
        """The text and button prefixes of a card this process sent (None: not known)."""
        return self.cards.get(card_id) if card_id is not None else None

    async def deliver(self, event: Event, replies: list[Reply]) -> None:
        for reply in replies:
            await self._one(event, reply)

    async def _one(self, event: Event, reply: Reply) -> None:
        if isinstance(reply, Say):
            card_id = await self._say(reply.chat_id or event.chat_id, reply.text, reply.keyboard)
            if reply.shown is not None and card_id is not None:
                await reply.shown(card_id)
        elif isinstance(reply, Edit):
            card_id = reply.message_id if reply.message_id is not None else event.message_id
            target = await self.resolve(card_id) if card_id is not None else None
            if target is None or target[0] is not Kind.MESSAGE:
                await self._say(reply.chat_id or event.chat_id, reply.text, reply.keyboard)
                return
            text, keyboard, chat = reply.text, reply.keyboard, reply.chat_id or event.chat_id
            if is_group(chat):
                text, keyboard = for_group(text, chat), labels_for_group(keyboard, chat)
            await self.api.update_card(target[1], card_params(text, keyboard))
            self._remember(card_id, reply.text, reply.keyboard)
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

    async def _say(self, chat_id: int, text: str, keyboard: Keyboard) -> int | None:
        """A card (its id) for a text with buttons, else a message (None)."""
        if not keyboard:
            await self._message(chat_id, "sampleText", {"content": text})
            return None
        track = await send_card(
            self.api, self.template, await self._target(chat_id), text, keyboard
        )
        card_id = await self.number(Kind.MESSAGE, track)
        self._remember(card_id, text, keyboard)
        return card_id

    async def _message(self, chat_id: int, key: str, params: dict[str, Any]) -> None:
        await send_message(self.api, await self._target(chat_id), key, params)

    async def _target(self, chat_id: int) -> tuple[Kind, str]:
        target = await self.resolve(chat_id)
        if target is None:
            raise LookupError(f"no DingTalk chat for {chat_id}")
        return target

    def _remember(self, card_id: int | None, text: str, keyboard: Keyboard) -> None:
        if card_id is None:
            return
        prefixes = frozenset(b.data.split(":", 1)[0] for row in keyboard for b in row)
        self.cards[card_id] = (text, prefixes)
        self.cards.move_to_end(card_id)
        while len(self.cards) > KEEP_CARDS:
            self.cards.popitem(last=False)
