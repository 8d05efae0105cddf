"""The roster's optional 帮扶小组 column: the people of the roster, besides the first helper, on
a household's team ("1+4+1"), by name or mobile number. Read with the other optional columns
(an empty cell, or no such column, keeps the stored team; 无 clears it), resolved against the
files' people and those already stored (a name must be one person in the township: else give
the number), and written with the household."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.i18n import N_
from monitoring.phones import InvalidPhone, normalize_mobile
from monitoring.shapes import looks_private, mask_digits
from monitoring.team import LARGEST, members_of
from storage.models import Person, Township
from storage.roster_format import HouseholdRow, StaffRow

Problem = tuple[str, dict[str, str]]
CLEAR = frozenset({"无", "-", "none"})
LONGEST_NAME = 20


def read_team(cell: str) -> tuple[tuple[str, ...] | None, list[Problem]]:
    """The members a cell names (mobile numbers in E.164, names as given); None when the
    cell is empty (the stored team stays), () when it says 无 (no team)."""
    if not cell.strip():
        return None, []
    if cell.strip().lower() in CLEAR:
        return (), []
    members = members_of(cell)
    if len(members) > LARGEST:
        return None, [(N_("帮扶小组 lists more than {n} people"), {"n": str(LARGEST)})]
    found: list[str] = []
    problems: list[Problem] = []
    for member in members:
        if member[0].isdigit() or member.startswith("+"):
            try:
                found.append(normalize_mobile(member))
            except InvalidPhone:
                problems.append(
                    (
                        N_("帮扶小组: {value} is not a mainland mobile number"),
                        {"value": mask_digits(member)},
                    )
                )
        elif len(member) > LONGEST_NAME or looks_private(member):
            problems.append((N_("帮扶小组: {value} is not a name"), {"value": member[:20]}))
        else:
            found.append(member)
    return tuple(found), problems


def resolve_teams(
    session: Session, households: Sequence[HouseholdRow], staff: Sequence[StaffRow]
) -> tuple[dict[str, list[str]], list[tuple[HouseholdRow, Problem]]]:
    """Each household's team as mobile numbers (by household number; only where the file
    gives one), and the members that name no one, or more than one, in the township."""
    teams: dict[str, list[str]] = {}
    problems: list[tuple[HouseholdRow, Problem]] = []
    for h in households:
        if h.facts.team is None:
            continue
        phones: list[str] = []
        for member in h.facts.team:
            phone, problem = _phone_of(session, member, h.township, households, staff)
            if problem is not None:
                problems.append((h, problem))
            elif phone is not None and phone != h.helper_phone and phone not in phones:
                phones.append(phone)
        teams[h.number] = phones
    return teams, problems


def _phone_of(
    session: Session,
    member: str,
    township: str,
    households: Sequence[HouseholdRow],
    staff: Sequence[StaffRow],
) -> tuple[str | None, Problem | None]:
    if member.startswith("+"):
        known = (
            any(s.phone == member for s in staff)
            or any(h.helper_phone == member for h in households)
            or session.scalar(select(Person.id).where(Person.phone == member)) is not None
        )
        if known:
            return member, None
        return None, (
            N_("帮扶小组: no one in the roster has the number {value}"),
            {"value": mask_digits(member)},
        )
    phones = {s.phone for s in staff if s.name == member and s.township == township}
    phones |= {
        h.helper_phone for h in households if h.helper_name == member and h.township == township
    }
    phones |= set(
        session.scalars(
            select(Person.phone)
            .join(Township, Township.id == Person.township_id)
            .where(Person.name == member, Township.name == township)
        )
    )
    if len(phones) == 1:
        return phones.pop(), None
    params = {"value": member, "township": township}
    if not phones:
        return None, (N_("帮扶小组: no one named {value} in the roster of {township}"), params)
    return None, (
        N_("帮扶小组: more than one {value} in {township}: give the mobile number instead"),
        params,
    )
