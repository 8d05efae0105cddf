"""What happened, in neutral words: who, in which chat, what (a text, a button press)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class ChatKind(StrEnum):
    PRIVATE = "private"  # the person's own chat with the bot
    GROUP = "group"


@dataclass(frozen=True)
class Contact:
    """A shared phone number, and whose account it is (None: typed in, not a user's own)."""

    phone: str
    owner_user_id: int | None


@dataclass(frozen=True)
class Event:
    update_id: int  # the platform's id of this event: a change records it (handled once)
    chat_id: int
    chat_kind: ChatKind
    user_id: int | None
    text: str | None = None  # a message's text, commands included
    button: str | None = None  # the data of a pressed button
    message_id: int | None = None  # the message the button was on, or the message itself
    message_text: str | None = None  # the text of the message the button was on
    photo: str | None = None  # a sent photo (the platform's file id of its largest size)
    contact: Contact | None = None  # a shared contact
    chat_title: str | None = None  # a group's title
    bot_joined: bool = False  # the bot was added to this group (by `user_id`)
    bot_left: bool = False  # the bot was removed from this group, or lost it
    migrated_to: int | None = None  # the group became a supergroup with this chat id

    @property
    def command(self) -> str | None:
        """`/history LX01001` -> `history` (a bot's @name dropped); None for anything else."""
        if not self.text or not self.text.startswith("/") or len(self.text) < 2:
            return None
        return self.text[1:].split()[0].split("@")[0].lower()

    @property
    def args(self) -> list[str]:
        """The words after the command."""
        return (self.text or "").split()[1:] if self.command else []
