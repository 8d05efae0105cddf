"""DingTalk's callbacks in the engine's neutral words: a robot message (single chat or group,
text, a picture, or rich text: words with pictures) or a card's button pressed becomes an
`Event`, DingTalk's string ids becoming integers (`storage/platform_ids.py`). The event's
update id is derived from DingTalk's message id, so the same callback handled twice (pushed
again on the same connection, as connectors report when an acknowledgement is slow) is the
same event and is not applied twice.

A group message reaches the robot only when it @mentions the robot, and its text then begins
with a space (DingTalk's "接收消息" page: its sample group message is " 你好"): the text is
taken without it. A press names its card and the presser; the chat is not taken from the
press (its `spaceType`/`spaceId` may be empty, and are not proof) but from the record of
where the card was delivered (`platforms/dingtalk/ids.py`)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from conversations.engine.events import ChatKind, Contact, Event
from platforms.dingtalk.card_template import PRESSED_DATA, PRESSED_TEXT
from storage.platform_ids import TELEGRAM_LIMIT, Card, Kind

BOT_MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_CALLBACK_TOPIC = "/v1.0/card/instances/callback"


@dataclass(frozen=True)
class Incoming:
    event: Event
    staff_id: str  # the person's DingTalk user id (for the contacts API)


@dataclass(frozen=True)
class Press:
    """A card's button pressed, as the callback tells it."""

    staff_id: str  # who pressed (DingTalk's user id)
    track: str  # the card (its out-track id)
    data: str  # the button's data
    text: str | None  # the text the card showed, when the template sends it
    space: str  # the space the callback names (often empty; never trusted alone)


def update_id_of(message_id: str) -> int:
    """The event's update id, from DingTalk's message id: the same id every time it is pushed,
    above Telegram's update ids (nothing is stored for it; handled updates are pruned)."""
    digest = int.from_bytes(hashlib.sha256(message_id.encode()).digest()[:8], "big")
    return TELEGRAM_LIMIT + digest % (2**62 - TELEGRAM_LIMIT)


Number = Callable[[Kind, str], int]  # DingTalk's id -> its integer (storage/platform_ids.py)


def ids_of(topic: str, data: dict[str, Any]) -> list[tuple[Kind, str]]:
    """The DingTalk ids a callback names, to be turned into integers before the event is made:
    the person, and the group a message was written in (a press's card is looked up, never
    created)."""
    if topic == BOT_MESSAGE_TOPIC:
        staff_id = str(data.get("senderStaffId") or "")
        group = str(data.get("conversationId")) if str(data.get("conversationType")) == "2" else ""
    else:
        staff_id, group = str(data.get("userId") or ""), ""
    wanted: list[tuple[Kind, str]] = []
    if staff_id:
        wanted.append((Kind.USER, staff_id))
    if group:
        wanted.append((Kind.GROUP, group))
    return wanted


def message_event(data: dict[str, Any], number: Number) -> Incoming | None:
    """A robot message: text (a command or an answer), a picture, or rich text."""
    staff_id = str(data.get("senderStaffId") or "")
    if not staff_id:
        return None  # someone outside the organisation: no roster person can be them
    group = str(data["conversationId"]) if str(data.get("conversationType")) == "2" else None
    user = number(Kind.USER, staff_id)
    chat, kind = (number(Kind.GROUP, group), ChatKind.GROUP) if group else (user, ChatKind.PRIVATE)
    text, photo = _content(data)
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


def _content(data: dict[str, Any]) -> tuple[str | None, str | None]:
    """The message's text (without the space an @mention leaves) and its first picture's
    download code."""
    kind, content = data.get("msgtype"), data.get("content")
    if kind == "text":
        text = data.get("text")
        if not isinstance(text, dict):
            raise ValueError("a text message whose text is not an object")  # malformed
        return str(text.get("content") or "").strip(), None
    if kind == "picture" and isinstance(content, dict):
        return None, str(content.get("downloadCode") or "") or None
    if kind == "richText" and isinstance(content, dict):
        items = [i for i in content.get("richText") or [] if isinstance(i, dict)]
        words = "\n".join(str(i["text"]) for i in items if "text" in i).strip()
        pictures = [str(i["downloadCode"]) for i in items if i.get("downloadCode")]
        return words or None, pictures[0] if pictures else None
    return None, None


def press_of(data: dict[str, Any]) -> Press | None:
    """The press a card callback tells of; None when it tells of none we can read."""
    staff_id, track = str(data.get("userId") or ""), str(data.get("outTrackId") or "")
    try:
        content = json.loads(data.get("content") or "{}")
    except (TypeError, ValueError):
        return None
    private = content.get("cardPrivateData") if isinstance(content, dict) else None
    params = private.get("params") if isinstance(private, dict) else None
    button = params.get(PRESSED_DATA) if isinstance(params, dict) else None
    if not staff_id or not track or not isinstance(button, str):
        return None
    assert isinstance(params, dict)
    text = params.get(PRESSED_TEXT)
    space = str(data.get("spaceId") or "")
    return Press(staff_id, track, button, text if isinstance(text, str) else None, space)


def press_event(press: Press, card: Card, user: int, message_id: str, text: str | None) -> Event:
    """The press as an event in the card's own chat (a person's or a group's), on that card."""
    kind = ChatKind.GROUP if card.chat_id < 0 else ChatKind.PRIVATE
    return Event(
        update_id_of("press:" + message_id),
        card.chat_id,
        kind,
        user,
        button=press.data,
        message_id=card.number,
        message_text=text,
    )


def with_contact(event: Event, mobile: str) -> Event:
    """The event as a shared contact of the person's own mobile number (registration)."""
    return Event(
        event.update_id,
        event.chat_id,
        event.chat_kind,
        event.user_id,
        contact=Contact(mobile, event.user_id),
    )
