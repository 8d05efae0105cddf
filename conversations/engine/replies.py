"""What a flow answers, in neutral words: say something (here or in another chat), edit the
message a button was pressed on, a short notice where the button was (a toast), a picture or
a file."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Button:
    label: str
    data: str


Keyboard = tuple[tuple[Button, ...], ...]


@dataclass(frozen=True)
class Say:
    text: str
    keyboard: Keyboard = ()
    chat_id: int | None = None  # None: the chat of the event
    # A button under the typing area that shares the person's own phone number (its label).
    ask_phone: str | None = None
    clear_ask_phone: bool = False  # take that button away again
    best_effort: bool = False  # a chat that refuses it (never opened, blocked) is no error
    # Delivered instead when the chat refuses it (e.g. a toast: "open a private chat first").
    if_refused: Reply | None = None
    # Called with the sent message's id: a conversation keeps which message shows its
    # question, so that the next one takes the buttons off it.
    shown: Callable[[int], Awaitable[None]] | None = None


@dataclass(frozen=True)
class SetMenu:
    """The commands offered in the event's chat (command, description), e.g. after a person
    registered: the menu of their role."""

    commands: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Edit:
    """Change the message (when it can not be changed any more, the text is sent anew)."""

    text: str
    keyboard: Keyboard = ()
    message_id: int | None = None  # None: the message the button was pressed on
    chat_id: int | None = None  # None: the chat of the event
    best_effort: bool = False  # a message gone or a chat lost is no error, and nothing is resent


@dataclass(frozen=True)
class Toast:
    text: str


@dataclass(frozen=True)
class Photo:
    png: bytes
    filename: str
    caption: str = ""
    chat_id: int | None = None  # None: the chat of the event


@dataclass(frozen=True)
class Document:
    data: bytes
    filename: str
    caption: str = ""
    chat_id: int | None = None  # None: the chat of the event
    # Delivered instead when the chat refuses it (a person who never opened a private chat
    # with the bot, or blocked it), as for `Say`.
    if_refused: Reply | None = None


@dataclass(frozen=True)
class Later:
    """Work that goes on after the answer (an export of seconds): its replies are delivered
    when it is done; the person's other messages are answered meanwhile."""

    work: Callable[[], Awaitable[list[Reply]]]


Reply = Say | Edit | Toast | Photo | Document | Later | SetMenu
