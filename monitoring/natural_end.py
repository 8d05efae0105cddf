"""自然消除: a household that leaves monitoring because it no longer exists as one here: its
last member died, or it moved away. Township staff record it with the date and the cause
(`/natural_end`); there is no notice chain (nothing is decided about the household's income)
and no criteria; it is audited and the ledger shows it (docs/policy.md). Pure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from monitoring.i18n import N_
from monitoring.proposals import Refused
from monitoring.shapes import looks_private

NOTE_LONGEST = 200


class EndCause(StrEnum):
    DEATH = "death"  # the last member of the household died (整户死亡)
    MOVED = "moved"  # the household moved away for good (整户迁出)


# What staff type for a cause: the Chinese words cadres use, and the English.
CAUSE_WORDS: dict[str, EndCause] = {
    "死亡": EndCause.DEATH,
    "去世": EndCause.DEATH,
    "整户死亡": EndCause.DEATH,
    "death": EndCause.DEATH,
    "迁出": EndCause.MOVED,
    "迁走": EndCause.MOVED,
    "整户迁出": EndCause.MOVED,
    "moved": EndCause.MOVED,
}

USAGE = N_(
    "Please give the household number, the cause (死亡 the last member died, 迁出 the "
    "household moved away), the date and a note if you like, e.g. /natural_end LX01012 迁出 "
    "2026-11-20 全家迁往外省."
)


@dataclass(frozen=True)
class NaturalEndRequest:
    number: str
    cause: EndCause
    on: date
    note: str


def parse_natural_end(args: Sequence[str], today: date) -> NaturalEndRequest:
    """`/natural_end <number> <cause> <date> [note]`; Refused says what is wrong."""
    if len(args) < 3:
        raise Refused(USAGE)
    number, cause_word, day = args[0].strip().upper(), args[1].strip(), args[2].strip()
    cause = CAUSE_WORDS.get(cause_word.lower() if cause_word.isascii() else cause_word)
    if cause is None:
        raise Refused(USAGE)
    try:
        on = date.fromisoformat(day)
    except ValueError:
        raise Refused(USAGE) from None
    if on > today:
        raise Refused(N_("The date of a natural end can not be later than today."))
    note = " ".join(args[3:]).strip()[:NOTE_LONGEST]
    if looks_private(note):
        raise Refused(
            N_("A note never holds a phone or ID number. Please give the note without it.")
        )
    return NaturalEndRequest(number, cause, on, note)
