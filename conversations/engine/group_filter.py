"""The last line of defence for group chats: every text a platform sends to a group passes
`for_group`, which masks anything shaped like an ID number or a mobile number
(`monitoring/shapes.py`) and logs a warning, without the value. The rules before it (the
roster import, `/propose`) keep such values out of household numbers and place names; this
catches what came in before them, or by a way nobody thought of.

Each platform calls it where its sends to groups meet: Telegram in `LimitedBot`
(`platforms/telegram/limits.py`), DingTalk in `send_card`, `send_message` and a card's update
(`platforms/dingtalk/outbound.py`)."""

from __future__ import annotations

import logging

from conversations.engine.replies import Button, Keyboard
from monitoring.shapes import mask_private

log = logging.getLogger(__name__)


def is_group(chat_id: int | str | None) -> bool:
    """A group's chat id is negative on both platforms (a person's is positive); a string
    (`@channel`) is a channel."""
    return isinstance(chat_id, str) or (isinstance(chat_id, int) and chat_id < 0)


def for_group(text: str, chat: int | str | None = None) -> str:
    """`text` as a group may read it: ID- and mobile-shaped values masked (a warning logged)."""
    masked, count = mask_private(text)
    if count:
        log.warning(
            "masked %s ID- or mobile-shaped value(s) in a message to group %s: find where "
            "it came from (a household number or a place name?)",
            count,
            chat if chat is not None else "?",
        )
    return masked


def labels_for_group(keyboard: Keyboard, chat: int | str | None = None) -> Keyboard:
    """The buttons with their labels as a group may read them (their data unchanged)."""
    return tuple(tuple(Button(for_group(b.label, chat), b.data) for b in row) for row in keyboard)
