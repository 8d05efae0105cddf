"""What a platform supplies to the one outbox drain (`bot/outbox.py`): a `Transport` that finds
a row's chat, sends one rendered row, and says how it went, in the core's words:

- `Sent`: delivered; `ref` is the platform's handle of the message (Telegram's message id, a
  DingTalk card's out-track id; None when nothing will be edited later);
- `RetryAt`: not now, later (a flood limit, the platform busy); `link_down`: the platform
  could not be reached at all (the drain then tries one message per round until it is back);
- `Paused`: the platform takes nothing from the bot for a while (DingTalk: the
  organisation's monthly quota used up): the row waits, unfailed, and no row of that
  platform is sent for `seconds`; then one row tries (as when the link was down);
- `Moved`: the chat has a new id (a Telegram group became a supergroup): send there;
- `ChatGone`: the bot can not write in that chat any more (blocked, removed from the group);
- `Refused`: this message will never be accepted (a permanent error for this message).

The drain decides what each means for the row, the bindings, the staff and the person
(`conversations/outbox/undelivered.py`), the same on every platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from conversations.outbox.render import Outgoing
from storage.platform_ids import Platform


@dataclass(frozen=True)
class Sent:
    ref: int | str | None = None


@dataclass(frozen=True)
class RetryAt:
    seconds: float | None  # None: the drain's backoff by the row's attempts
    error: str
    link_down: bool = False


@dataclass(frozen=True)
class Paused:
    seconds: float  # nothing is sent to the platform before this has passed
    error: str


@dataclass(frozen=True)
class Moved:
    chat_id: int


@dataclass(frozen=True)
class ChatGone:
    error: str


@dataclass(frozen=True)
class Refused:
    error: str


Outcome = Sent | RetryAt | Paused | Moved | ChatGone | Refused


class Transport(Protocol):
    """One platform's sending of outbox rows."""

    platform: Platform  # whose chats it takes (`storage/platform_ids.py`)
    label: str  # the platform's name in log lines ("Telegram")

    def address(self, session: Session, chat_id: int, message_id: int | None) -> Any:
        """Where to send (or, with `message_id`, which message to edit), in the platform's
        terms; None when the chat is unknown to it. Runs in the claim's transaction."""

    async def send(self, address: Any, out: Outgoing, png: bytes | None) -> Outcome:
        """Send one rendered row (with its chart drawn, if it has one)."""

    def record(self, session: Session, ref: int | str | None, now: datetime) -> int | None:
        """The integer kept on the row for a sent message's `ref` (to edit it later)."""

    async def edit(self, address: Any, out: Outgoing) -> None:
        """Show `out` in place of a message sent before (best effort: log, never raise)."""
