"""What the check-in's transaction did with an answer (`Taken`, tagged by `What`), for the
reply that follows it."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from conversations.checkin.confirm import ConfirmResult
from storage.checkins import DraftView


class What(StrEnum):
    """What the router's transaction did with an answer, for the reply (one branch each)."""

    EDIT_LIST = "edit list"
    IN_PLACE = "in place"
    DISCARDED = "discarded"
    KEPT = "kept"
    INVALID = "invalid"
    SHOW = "show"
    STALE = "stale"
    ANSWERED = "answered"
    NOT_MONITORED = "not monitored"
    MOVED = "moved"
    CONFIRMED = "confirmed"


# What a press answers on the pressed message itself (the next question, the list to edit;
# a question already answered: where the check-in stands).
SHOWN_IN_PLACE = frozenset({What.ANSWERED, What.IN_PLACE, What.EDIT_LIST, What.STALE})


@dataclass(frozen=True)
class Taken:
    """What the transaction did, for the reply."""

    what: What
    draft: DraftView | None = None
    note: str | None = None  # a msgid shown before the question
    answered: str | None = None  # the question answered by a button (shown on its message)
    result: ConfirmResult | None = None
    started: str = ""  # the week a moved draft was started in
    household: str = ""  # the household of a discarded draft
    # A typed answer: the message that showed the question with its buttons (they go) and
    # what it showed.
    screen: int | None = None
    before: DraftView | None = None
