"""Compulsory-school age (义务教育阶段适龄) and when the check-in asks about it. Pure.

A child starts school in the September of the year they are 6 by 31 August and is of
compulsory-school age for the nine school years that follow (the last one is the year they
turn 15): on a day, a child is of that age when they were at least 6 and at most 14 years old
on 31 August of the year its school year began (school years begin on 1 September).

Where a household's members are recorded with their birth dates (from the ID number, or the
date a birth was recorded with), the bot knows whether one of them is of that age, and asks
the schooling guarantee (义务教育有保障) only then. Otherwise it asks whether there is such a
child, and asks again at the first visit on or after 1 September each year (children start
school, and others finish)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from enum import StrEnum

YOUNGEST = 6  # years old on 31 August of the school year's start
OLDEST = 14  # … and 15 by its end: nine school years
SCHOOL_YEAR_STARTS = (9, 1)  # 1 September


def school_year_start(on: date) -> date:
    """1 September of the school year `on` lies in."""
    month, day = SCHOOL_YEAR_STARTS
    start = date(on.year, month, day)
    return start if on >= start else date(on.year - 1, month, day)


def age_on(born: date, on: date) -> int:
    """Full years of age on `on` (one born on 29 February is a year older on 1 March)."""
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def of_school_age(born: date, on: date) -> bool:
    """Whether a child born on `born` is of compulsory-school age on `on`."""
    cutoff = date(school_year_start(on).year, 8, 31)
    return YOUNGEST <= age_on(born, cutoff) <= OLDEST


def school_child_among(births: Iterable[date | None], on: date) -> bool | None:
    """Whether the members living in a household (their birth dates) include a child of
    compulsory-school age: True when one is; False when every birth date is known and none
    is; None when it can not be told (a birth date not known, and none known is)."""
    unknown = False
    for born in births:
        if born is None:
            unknown = True
        elif of_school_age(born, on):
            return True
    return None if unknown else False


def asked_this_school_year(asked_on: date | None, on: date) -> bool:
    """Whether "is there a child of compulsory-school age" was asked in the school year of
    `on` (on or after its 1 September)."""
    return asked_on is not None and school_year_start(on) <= asked_on <= on


class SchoolBasis(StrEnum):
    """How a check-in knows whether the household has a child of compulsory-school age
    (decided when it starts, kept in its draft)."""

    MEMBERS = "members"  # from the members' birth dates
    ASK = "ask"  # asks (never asked, or not yet this school year)
    KNOWN = "known"  # answered this school year: not asked again


def school_basis(
    from_members: bool | None, known: bool | None, asked_on: date | None, on: date
) -> SchoolBasis:
    """`from_members`: what the members' birth dates say (`school_child_among`), None when
    no members are recorded or it can not be told; `known`, `asked_on`: the household's
    last answer and its day."""
    if from_members is not None:
        return SchoolBasis.MEMBERS
    if known is None or not asked_this_school_year(asked_on, on):
        return SchoolBasis.ASK
    return SchoolBasis.KNOWN
