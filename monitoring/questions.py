"""The check-in's question types: what kind of answer a question takes, the facts about the
household the walker reads besides the answers, a question, a group of questions asked in
rounds, and a step (`monitoring/checkin.py` holds the questions themselves)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from monitoring.i18n import N_

Answers = dict[str, Any]


class Kind(StrEnum):
    CHOICE = "choice"  # inline buttons, one of `options`
    YESNO = "yesno"  # inline buttons 是 / 否 (typing 是/否 works too)
    COUNT = "count"  # a whole number of people, typed, or the "unchanged" button
    AMOUNT = "amount"  # yuan, typed
    TEXT = "text"  # free text, or the skip button
    PHOTO = "photo"  # a photo, or the skip button
    NAME = "name"  # a person's name, typed
    DATE = "date"  # a day, typed (2026-10-03, 2026年10月3日)
    MEMBER = "member"  # one of the household's members: a button each (or the name typed)


class AnswerError(ValueError):
    """`hint` is the message id to show before asking again."""

    def __init__(self, hint: str) -> None:
        super().__init__(hint)
        self.hint = hint


# Parses an answer that depends on the other answers (which member; a change the household's
# members allow): (answers, round, what was typed or the button's value, pressed) -> value,
# or AnswerError.
Check = Callable[[Answers, int, str, bool], Any]


@dataclass(frozen=True)
class Facts:
    """What the walker knows about the household besides the answers."""

    members: int
    has_school_child: bool | None  # None: never asked


@dataclass(frozen=True)
class Question:
    id: str
    kind: Kind
    text: str  # message id
    label: str  # message id, for the summary
    options: tuple[tuple[str, str], ...] = ()  # (value, label message id)
    applies: Callable[[Answers, Facts, str | None], bool] = lambda a, f, e: True
    skippable: bool = False
    guarantee: str | None = None  # the item of GUARANTEES this answers
    ok_when: bool = True  # for a guarantee: the answer that means "secure"
    # For a guarantee: the buttons, (secure, a problem), which say what they mean instead
    # of yes / no (a wrong tap on 是 changes a household's level); secure is on the left.
    says: tuple[str, str] = (N_("Secure"), N_("A problem"))
    # For a plain yes / no: the buttons (label, value) in their order, when 是 / 否 would
    # not say what the answer means (the income: 没有变化 / 有变化).
    answers_as: tuple[tuple[str, bool], ...] = ()
    # In a group: whether it is asked in a round (answers, round); unasked, its list holds
    # None for the round.
    in_round: Callable[[Answers, int], bool] | None = None
    check: Check | None = None


@dataclass(frozen=True)
class Group:
    """Questions asked in rounds while the last question of the round is answered yes."""

    id: str
    questions: tuple[Question, ...]
    applies: Callable[[Answers, Facts, str | None], bool]

    @property
    def repeat(self) -> Question:
        return self.questions[-1]


@dataclass(frozen=True)
class Step:
    question: Question
    round: int | None = None  # for a question in a group
