"""A household's help team (帮扶小组, the "1+4+1" of national practice): besides its first
helper (帮扶责任人), people of the roster who may visit the household too. Pure: who may check
in, when the team is reminded, and how the roster's 帮扶小组 column is read."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date

from monitoring.weeks import Week, week_of_date

# Names or mobile numbers, separated as people type them in a spreadsheet cell.
SEPARATORS = re.compile(r"[、,，;；/\s]+")
LARGEST = 8  # a team of more than 8 besides the helper is a typing mistake


def members_of(cell: str) -> list[str]:
    """The names or numbers a 帮扶小组 cell lists, each once, in order."""
    return list(dict.fromkeys(part for part in SEPARATORS.split(cell.strip()) if part))


def may_check_in(person_id: int, helper_id: int | None, team: Collection[int]) -> bool:
    """The household's helper, or anyone on its team."""
    return person_id == helper_id or person_id in team


def team_reminded(today: date, last_week_of_period: Week) -> bool:
    """Whether the team is reminded too: the period is about to be missed (its last
    weekend: Saturday or Sunday of its last week). The first helper is reminded always."""
    return week_of_date(today) == last_week_of_period and today.isoweekday() >= 6
