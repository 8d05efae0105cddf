"""Household members (家庭成员): who belongs to a household and who lives in it now. Where
members are recorded, the household's count (the per-capita figure's divisor, and what the
check-in's members question starts from) is those living in it. Pure."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

LONGEST_TEXT = 40  # a relation, health, schooling or insurance cell


class Presence(StrEnum):
    """Whether a member lives in the household now (only those who do are counted)."""

    LIVING = "living"
    AWAY = "away"  # left the household (work elsewhere for good, married out, moved)
    DEAD = "dead"


def born_on(id_number: str | None) -> date | None:
    """The birth date an 18-character ID number carries (characters 7 to 14), if valid."""
    if not id_number or len(id_number) != 18 or not id_number[6:14].isdigit():
        return None
    try:
        return date(int(id_number[6:10]), int(id_number[10:12]), int(id_number[12:14]))
    except ValueError:
        return None


def living(presences: Iterable[Presence | str]) -> int:
    """How many members live in the household (the per-capita figure's divisor)."""
    return sum(1 for p in presences if Presence(p) is Presence.LIVING)
