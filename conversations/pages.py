"""Lists longer than a phone screen, shown a page at a time with ◀ / ▶ buttons that turn the
page in place (the message is edited, not sent again)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from conversations.engine.callbacks import Action
from conversations.engine.replies import Button
from monitoring.i18n import Translator

T = TypeVar("T")
PAGE_SIZE = 8  # lines of a list on one screen, with its heading and buttons


def page_of(items: Sequence[T], page: int) -> tuple[Sequence[T], int, int]:
    """The items of `page` (counted from 1, kept within the list), the page and the number of
    pages."""
    pages = max(1, -(-len(items) // PAGE_SIZE))
    page = min(max(1, page), pages)
    return items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], page, pages


def page_note(page: int, pages: int, t: Translator) -> str:
    """`（第 2/3 页）`, or nothing for a list on one page."""
    return t._(" (page {page} of {pages})").format(page=page, pages=pages) if pages > 1 else ""


def pager(action: Action, page: int, pages: int, t: Translator) -> tuple[Button, ...]:
    """The ◀ previous / next ▶ buttons (none on a list of one page)."""
    buttons = []
    if page > 1:
        buttons.append(Button(t._("◀ Previous"), action.data(page=page - 1)))
    if page < pages:
        buttons.append(Button(t._("Next ▶"), action.data(page=page + 1)))
    return tuple(buttons)


def page_pressed(action: Action, data: str | None) -> int | None:
    values = action.read(data)
    if values is None or not values["page"].isdigit():
        return None
    return int(values["page"])
