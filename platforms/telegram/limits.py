"""Telegram's size limits, kept for every message the bot composes.

A text over 4096 characters (a caption over 1024) is refused with a 400, and so is an inline
keyboard of more than 100 buttons: a village's missed-visit list or a 500-household due list
would never arrive. `LimitedBot` is the Bot the application uses; every send and edit goes
through it, so no caller has to remember:
- a long text is split at line boundaries into numbered parts, `(1/3)` first;
- a keyboard of more than 100 buttons is paged over several messages of at most 100 (rows are
  kept whole); the first page goes with the last part of the text, the others follow;
- a long caption keeps its first part on the picture; the rest follows as text;
- a text, caption or button label for a group passes the group filter (anything shaped
  like an ID or mobile number masked, a warning logged: `conversations/engine/group_filter.py`).
The message returned is the one carrying the (first page of) buttons, as callers edit it.
"""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message
from telegram.ext import ExtBot
from telegram.warnings import PTBUserWarning

from conversations.engine.group_filter import for_group, is_group

# `do_api_request` for a method the Bot has suggests the method instead (see edit_message_text).
warnings.filterwarnings("ignore", "Please use 'Bot.editMessageText'", PTBUserWarning)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
BUTTON_LIMIT = 100
_LABEL_ROOM = 12  # "(12/34)\n" and some to spare


def split_text(text: str, first: int = TEXT_LIMIT, rest: int = TEXT_LIMIT) -> list[str]:
    """`text` in parts of at most `first` (then `rest`) characters, cut at line ends where a
    line fits, numbered `(i/n)` when there is more than one."""
    if len(text) <= first:
        return [text]
    parts: list[str] = []
    current: list[str] = []
    size = 0

    def limit() -> int:
        return (first if not parts else rest) - _LABEL_ROOM

    def flush() -> None:
        nonlocal current, size
        if current:
            parts.append("\n".join(current))
        current, size = [], 0

    for line in text.split("\n"):
        while len(line) > limit():  # one line longer than a message: cut it, at a separator
            flush()
            cut = _cut_at(line, limit())
            parts.append(line[:cut])
            line = line[cut:]
        added = len(line) + (1 if current else 0)
        if size + added > limit():
            flush()
            added = len(line)
        current.append(line)
        size += added
    flush()
    parts = [p for p in parts if p.strip()] or [text[: first - _LABEL_ROOM]]
    if len(parts) == 1:
        return parts
    return [f"({i}/{len(parts)})\n{part}" for i, part in enumerate(parts, start=1)]


_SEPARATORS = "、，,；; "


def _cut_at(line: str, limit: int) -> int:
    """Where to cut a line too long for one message: after the last separator (a list's
    "、") in the second half of what fits, else at the limit."""
    best = max(line.rfind(sep, 0, limit) for sep in _SEPARATORS)
    return best + 1 if best >= limit // 2 else limit


def page_keyboard(markup: Any) -> list[Any]:
    """An inline keyboard as pages of at most BUTTON_LIMIT buttons (rows kept whole); any
    other markup (or none) as it is."""
    if not isinstance(markup, InlineKeyboardMarkup):
        return [markup]
    rows: Sequence[Sequence[InlineKeyboardButton]] = markup.inline_keyboard
    if sum(len(row) for row in rows) <= BUTTON_LIMIT:
        return [markup]
    pages: list[list[Sequence[InlineKeyboardButton]]] = [[]]
    count = 0
    for row in rows:
        if count + len(row) > BUTTON_LIMIT and pages[-1]:
            pages.append([])
            count = 0
        pages[-1].append(row)
        count += len(row)
    return [InlineKeyboardMarkup(page) for page in pages]


def for_chat(chat_id: Any, text: str, markup: Any) -> tuple[str, Any]:
    """The text and buttons as they may go to `chat_id`: to a group, filtered."""
    if not is_group(chat_id):
        return text, markup
    if isinstance(markup, InlineKeyboardMarkup):
        markup = InlineKeyboardMarkup(
            [[_label_for_group(chat_id, b) for b in row] for row in markup.inline_keyboard]
        )
    return for_group(text, chat_id), markup


def _label_for_group(chat_id: Any, button: InlineKeyboardButton) -> InlineKeyboardButton:
    label = for_group(button.text, chat_id)
    if label == button.text:
        return button
    return InlineKeyboardButton.de_json({**button.to_dict(), "text": label}, None)


def _more(index: int, total: int) -> str:
    return f"… ({index}/{total})"


class LimitedBot(ExtBot[Any]):
    """The application's Bot: sends and edits within Telegram's limits (module docstring)."""

    async def send_message(  # type: ignore[override]
        self, chat_id: int | str, text: str, **kwargs: Any
    ) -> Message:
        text, markup = for_chat(chat_id, text, kwargs.pop("reply_markup", None))
        pages = page_keyboard(markup)
        parts = split_text(text)
        for part in parts[:-1]:
            await super().send_message(chat_id, part, **kwargs)
        carrying = await super().send_message(chat_id, parts[-1], reply_markup=pages[0], **kwargs)
        await self._more_pages(chat_id, pages, kwargs)
        return carrying

    async def _more_pages(self, chat_id: int | str, pages: list[Any], kwargs: Any) -> None:
        for index, page in enumerate(pages[1:], start=2):
            await super().send_message(
                chat_id, _more(index, len(pages)), reply_markup=page, **kwargs
            )

    async def send_photo(  # type: ignore[override]
        self, chat_id: int | str, photo: Any, **kwargs: Any
    ) -> Message:
        return await self._captioned(super().send_photo, chat_id, photo, kwargs)

    async def send_document(  # type: ignore[override]
        self, chat_id: int | str, document: Any, **kwargs: Any
    ) -> Message:
        return await self._captioned(super().send_document, chat_id, document, kwargs)

    async def _captioned(
        self,
        send: Callable[..., Awaitable[Message]],
        chat_id: int | str,
        media: Any,
        kwargs: dict[str, Any],
    ) -> Message:
        """A picture or file with its caption's first part; the rest follows as text (with
        the buttons, if any, on the last part)."""
        if kwargs.get("caption"):
            kwargs["caption"], markup = for_chat(
                chat_id, kwargs["caption"], kwargs.pop("reply_markup", None)
            )
            if markup is not None:
                kwargs["reply_markup"] = markup
        caption = kwargs.get("caption")
        if not caption or len(caption) <= CAPTION_LIMIT:
            return await send(chat_id, media, **kwargs)
        parts = split_text(caption, CAPTION_LIMIT, TEXT_LIMIT)
        kwargs["caption"] = parts[0]
        markup = kwargs.pop("reply_markup", None)
        sent = await send(chat_id, media, **kwargs)
        for index, part in enumerate(parts[1:], start=2):
            await self.send_message(
                chat_id, part, reply_markup=markup if index == len(parts) else None
            )
        return sent

    async def edit_message_text(  # type: ignore[override]
        self, text: str, **kwargs: Any
    ) -> bool:
        """Edit a message (`chat_id` and `message_id`, or `inline_message_id`); True. The edited
        message Telegram sends back is not read (no caller uses it; parsing it was a twentieth
        of the bot's work on an answer), so this goes through `do_api_request`."""
        chat_id = kwargs.get("chat_id")
        text, markup = for_chat(chat_id, text, kwargs.pop("reply_markup", None))
        pages = page_keyboard(markup)
        parts = split_text(text)
        await self.do_api_request(
            "editMessageText",
            api_kwargs={"text": parts[0], "reply_markup": pages[0], **kwargs},
        )
        if chat_id is None:  # an inline message: nowhere to put the rest
            return True
        for part in parts[1:]:
            await super().send_message(chat_id, part)
        await self._more_pages(chat_id, pages, {})
        return True
