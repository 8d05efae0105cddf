"""DingTalk's callbacks in the engine's neutral words: a robot message (single chat or group,
text or picture) or a card's button pressed becomes an `Event`, DingTalk's string ids
becoming integers (`storage/platform_ids.py`). The event's update id is derived from
DingTalk's message id, so a callback pushed again (not acknowledged before a restart) is the
same event and is not applied twice."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conversations.engine.events import ChatKind, Contact, Event
from storage.platform_ids import TELEGRAM_LIMIT, Kind

BOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"


@dataclass(frozen=True)
class Incoming:
    event: Event
    staff_id: str  # the person's DingTalk user id (for the contacts API)


def update_id_of(message_id: str) -> int:
    """The event's update id, from DingTalk's message id: the same id every time it is pushed,
    above Telegram's update ids (nothing is stored for it; handled updates are pruned)."""
    digest = int.from_bytes(hashlib.sha256(message_id.encode()).digest()[:8], "big")
    return TELEGRAM_LIMIT + digest % (2**62 - TELEGRAM_LIMIT)


Number = Callable[[Kind, str], int]  # DingTalk's id -> its integer (storage/platform_ids.py)


def ids_of(topic: str, data: dict[str, Any]) -> list[tuple[Kind, str]]:
    """The DingTalk ids a callback names, to be turned into integers before the event is made:
    the person, the group (if any), the card pressed (if any)."""
    wanted: list[tuple[Kind, str]] = []
    if topic == BOT_MESSAGE_TOPIC:
        staff_id = str(data.get("senderStaffId") or "")
        group = str(data.get("conversationId")) if str(data.get("conversationType")) == "2" else ""
    else:
        staff_id = str(data.get("userId") or "")
        group = str(data.get("spaceId") or "") if data.get("spaceType") == "IM_GROUP" else ""
        if data.get("outTrackId"):
            wanted.append((Kind.MESSAGE, str(data["outTrackId"])))
    if staff_id:
        wanted.append((Kind.USER, staff_id))
    if group:
        wanted.append((Kind.GROUP, group))
    return wanted


def _who(number: Number, staff_id: str, group: str | None) -> tuple[int, int, ChatKind]:
    """The person's integer, the chat's (a group's, or the person's own), and its kind."""
    user = number(Kind.USER, staff_id)
    if group is None:
        return user, user, ChatKind.PRIVATE
    return user, number(Kind.GROUP, group), ChatKind.GROUP


def message_event(data: dict[str, Any], number: Number) -> Incoming | None:
    """A robot message: text (a command or an answer) or a picture."""
    staff_id = str(data.get("senderStaffId") or "")
    if not staff_id:
        return None  # someone outside the organisation: no roster person can be them
    group = str(data["conversationId"]) if str(data.get("conversationType")) == "2" else None
    user, chat, kind = _who(number, staff_id, group)
    text = None
    photo = None
    if data.get("msgtype") == "text":
        text = str((data.get("text") or {}).get("content") or "").strip()
    elif data.get("msgtype") == "picture":
        photo = str((data.get("content") or {}).get("downloadCode") or "") or None
    event = Event(
        update_id_of("msg:" + str(data.get("msgId"))),
        chat,
        kind,
        user,
        text=text,
        photo=photo,
        chat_title=str(data.get("conversationTitle") or "") or None,
    )
    return Incoming(event, staff_id)


def press_event(data: dict[str, Any], message_id: str, number: Number) -> Incoming | None:
    """A card's button: its `data` param, on the card (`outTrackId`) it was pressed on."""
    staff_id = str(data.get("userId") or "")
    try:
        content = json.loads(data.get("content") or "{}")
    except ValueError:
        return None
    if not isinstance(content, dict):
        return None
    private = content.get("cardPrivateData")
    params = private.get("params") if isinstance(private, dict) else None
    button = params.get("data") if isinstance(params, dict) else None
    if not staff_id or not isinstance(button, str):
        return None
    group = str(data.get("spaceId")) if data.get("spaceType") == "IM_GROUP" else None
    user, chat, kind = _who(number, staff_id, group)
    track = data.get("outTrackId")
    card = number(Kind.MESSAGE, str(track)) if track else None
    event = Event(
        update_id_of("press:" + message_id), chat, kind, user, button=button, message_id=card
    )
    return Incoming(event, staff_id)


def with_contact(event: Event, mobile: str) -> Event:
    """The event as a shared contact of the person's own mobile number (registration)."""
    return Event(
        event.update_id,
        event.chat_id,
        event.chat_kind,
        event.user_id,
        contact=Contact(mobile, event.user_id),
    )
