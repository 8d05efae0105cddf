"""Roster import: households and staff from CSV or XLSX, all or nothing, audited.

A file is recognised by its header row (Chinese or English column names). Every bad row is
reported with file, row number and reason, and when there is any, nothing is written.
Re-importing updates in place: households are keyed by household number, people by phone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from monitoring.income import IncomeParts
from monitoring.people import (
    HouseholdStatus,
    Role,
)
from storage.income import Incomes
from storage.models import Household, Person
from storage.repositories import Audit, Households, People, Places
from storage.roster_check import read_roster
from storage.roster_format import ImportResult, RosterError
from storage.roster_members import import_members
from storage.team import set_team


def import_roster(
    session: Session, paths: Sequence[Path], *, now: datetime, actor: str
) -> ImportResult:
    """Validate all files, then write everything or raise RosterError and write nothing.

    The caller owns the transaction; on RosterError it must roll back (nothing was flushed
    before validation finished, but a rollback is always right).
    """
    people, households = People(session), Households(session)
    household_rows, staff_rows, validator = read_roster(paths, now.date())
    validator.cross_check(people, households)  # on the rows that passed, so all is reported
    if validator.errors:
        raise RosterError(validator.errors)

    result = ImportResult()
    places, audit = Places(session), Audit(session)

    def place(township_name: str, village_name: str | None) -> tuple[int, int | None]:
        township = places.ensure_township(township_name, now=now, actor=actor)
        if village_name is None:
            return township.id, None
        return township.id, places.ensure_village(township, village_name, now=now, actor=actor).id

    for s in staff_rows:
        township_id, village_id = place(s.township, s.village)
        person = people.by_phone(s.phone)
        if person is None:
            session.add(
                _new_person(s.name, s.phone, s.role, township_id, village_id, now, unit=s.unit)
            )
            audit.record(
                now=now,
                actor=actor,
                action="create",
                entity="person",
                key=s.phone,
                new=f"{s.name} {s.role}" + (f" {s.unit}" if s.unit else ""),
            )
            result.people_created += 1
        elif audit.update_fields(
            person,
            {
                "name": s.name,
                "role": s.role.value,
                "township_id": township_id,
                "village_id": village_id,
                "unit": s.unit,
            },
            now=now,
            actor=actor,
            entity="person",
            key=s.phone,
        ):
            result.people_updated += 1
        else:
            result.people_unchanged += 1
    session.flush()

    for h in household_rows:
        township_id, village_id = place(h.township, h.village)
        assert village_id is not None
        helper = people.by_phone(h.helper_phone)
        if helper is None:
            helper = _new_person(
                h.helper_name, h.helper_phone, Role.HELPER, township_id, village_id, now
            )
            session.add(helper)
            audit.record(
                now=now,
                actor=actor,
                action="create",
                entity="person",
                key=h.helper_phone,
                new=f"{h.helper_name} {Role.HELPER}",
            )
            result.people_created += 1
        household = households.by_number(h.number)
        fields: dict[str, Any] = {
            "village_id": village_id,
            "head_name": h.head_name,
            "members": h.members,
            "category": h.category.value,
            "last_year_income_per_capita": h.income,
        }
        if h.id_number is not None:  # an empty cell keeps a stored ID number
            fields["id_number"] = h.id_number
        facts = h.facts  # the optional columns: likewise
        if facts.identified_on is not None:
            fields["identified_on"] = facts.identified_on
        if facts.risk_types is not None:
            fields["risk_types"] = list(facts.risk_types)
        if facts.has_labour is not None:
            fields["has_labour"] = facts.has_labour
        if facts.villager_group is not None:
            fields["villager_group"] = facts.villager_group
        if facts.national_code is not None:
            fields["national_code"] = facts.national_code
        if household is None:
            household = Household(
                number=h.number,
                status=HouseholdStatus.MONITORED.value,
                created_at=now,
                updated_at=now,
                **{"id_number": None, **fields},
            )
            session.add(household)
            audit.record(
                now=now,
                actor=actor,
                action="create",
                entity="household",
                key=h.number,
                new=h.head_name,
            )
            result.households_created += 1
        elif audit.update_fields(
            household, fields, now=now, actor=actor, entity="household", key=h.number
        ):
            result.households_updated += 1
        else:
            result.households_unchanged += 1
        session.flush()
        if households.assign_helper(household, helper, now=now, actor=actor):
            result.assignments_changed += 1
        if facts.income is not None and _income(session, household, facts.income, now, actor):
            result.incomes_changed += 1

    # Teams last: a member may be a helper whom a later row of the file creates.
    session.flush()
    for number, team in validator.teams.items():
        household = households.by_number(number)
        assert household is not None
        members = [people.by_phone(phone) for phone in team]
        if set_team(
            session, household, [m for m in members if m is not None], now=now, actor=actor
        ):
            result.teams_changed += 1

    # Members last: their households may be new in these files.
    if validator.members:
        result.members_changed = import_members(session, validator.members, now=now, actor=actor)

    if household_rows:
        in_files = {h.number for h in household_rows}
        result.households_not_in_files = [
            h.number for h in households.all() if h.number not in in_files
        ]
    session.flush()
    return result


def _income(
    session: Session, household: Household, parts: IncomeParts, now: datetime, actor: str
) -> bool:
    """Last year's income by source as the household's statements from the import's day
    (the sources that differ from what stands), audited."""
    changes = dict(parts.items())
    return bool(
        Incomes(session).record(household, changes, valid_from=now.date(), now=now, actor=actor)
    )


def _new_person(
    name: str,
    phone: str,
    role: Role,
    township_id: int,
    village_id: int | None,
    now: datetime,
    *,
    unit: str | None = None,
) -> Person:
    return Person(
        name=name,
        phone=phone,
        role=role.value,
        township_id=township_id,
        village_id=village_id,
        unit=unit,
        created_at=now,
        updated_at=now,
    )
