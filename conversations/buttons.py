"""Where each kind of button may be pressed, declared once.

Clients can send any button data on any message the bot wrote, so the data proves nothing
about where it was pressed. Every press passes the guard first
(`platforms/telegram/guard.py`, handler group -2): a prefix pressed in a chat it does not
belong in, or on a message that carries no button
of its flow, is refused with a toast and goes no further: a forged check-in button can not
post a summary into a group, a binding button can not bind a private chat or rewrite a
warning. Warning buttons are checked further by their flow: only on a message that shows that
warning."""

from __future__ import annotations

from enum import Enum

from conversations.engine.events import ChatKind


class Where(Enum):
    OWN_PRIVATE = "own private chat"  # the presser's private chat with the bot
    GROUP = "group"
    GROUP_OR_OWN_PRIVATE = "group, or the presser's private chat"


# prefix -> the chats its buttons belong in, with the flow that owns them
BUTTONS: dict[str, Where] = {
    "ci": Where.OWN_PRIVATE,  # check-in (conversations/checkin.py)
    "ms": Where.OWN_PRIVATE,  # recording a measure (conversations/warnings/measures.py)
    "pp": Where.OWN_PRIVATE,  # writing a proposal (conversations/proposals.py)
    "pd": Where.OWN_PRIVATE,  # deciding a proposal (conversations/proposals.py)
    "el": Where.OWN_PRIVATE,  # risk elimination (conversations/proposals.py)
    "gb": Where.GROUP,  # binding a group (conversations/people/groups.py)
    "lg": Where.OWN_PRIVATE,  # choosing one's language (conversations/people/language.py)
    "mn": Where.OWN_PRIVATE,  # /mine's pages (conversations/reports/mine.py)
    "tk": Where.OWN_PRIVATE,  # a task's buttons (conversations/tasks/flow.py)
    "pl": Where.OWN_PRIVATE,  # a plan's print version (conversations/plan/flow.py)
    # record a measure for a household: under /history, the plan notices, a failed
    # elimination check (conversations/tasks/start.py)
    "hm": Where.OWN_PRIVATE,
    "ld": Where.OWN_PRIVATE,  # a lead's buttons (conversations/leads/flow.py)
    "sr": Where.OWN_PRIVATE,  # a self-report's (conversations/leads/selfreport.py)
    "nl": Where.OWN_PRIVATE,  # the national system's list (conversations/national/flow.py)
    # a red warning's buttons: on its copies in the groups, and on the copy with the full
    # reasons sent privately to those who may act on it (conversations/warnings/flow.py)
    "al": Where.GROUP_OR_OWN_PRIVATE,
}
KNOWN_PREFIXES = tuple(f"{prefix}:" for prefix in BUTTONS)


def prefix_of(data: str | None) -> str:
    return (data or "").split(":", 1)[0]


def allowed_here(
    data: str | None,
    chat_kind: ChatKind,
    chat_id: int,
    user_id: int,
    on_message: frozenset[str] | None,
) -> bool:
    """Whether a button with `data` may be pressed in this chat by this user, on a message
    whose buttons have the prefixes `on_message` (None: Telegram no longer shows the
    message). A flow's button counts only on a message the flow made: one that carries
    buttons of the same flow. Data of no known flow is left to the stray-button answer."""
    prefix = prefix_of(data)
    where = BUTTONS.get(prefix)
    if where is None:
        return True
    if on_message is not None and prefix not in on_message:
        return False
    own_private = chat_kind is ChatKind.PRIVATE and chat_id == user_id
    if where is Where.OWN_PRIVATE:
        return own_private
    in_group = chat_kind is ChatKind.GROUP and on_message is not None
    if where is Where.GROUP_OR_OWN_PRIVATE:
        return in_group or (own_private and on_message is not None)
    return in_group
