"""A household's members read for a check-in and `/history`, and the changes a visit records
(a birth, a death, someone leaving or coming back), audited. Never commits.

Each change is one audit row of the household (action `member`, the field the change:
born, died, left, returned; the member as `#id name relation`, a birth with its date): the
national system's list reads them (monitoring/national.py). The household's count follows
(`sync_members`: the members living in it)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.checkin_members import Member, MemberChange
from monitoring.members import Presence
from storage.models import Household
from storage.models_members import Member as MemberRow
from storage.repositories import Audit
from storage.roster_members import sync_members


@dataclass(frozen=True)
class Shown:
    """A member as `/history` shows them (the ID number as stored: the flow masks it)."""

    name: str
    relation: str
    id_number: str | None
    born: date | None
    labour: str | None
    health: str | None
    schooling: str | None
    insurance: str | None
    presence: Presence


def _presence(value: str) -> Presence:
    try:
        return Presence(value)
    except ValueError:
        return Presence.LIVING


class HouseholdMembers:
    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, household_id: int) -> list[Member]:
        """The household's members, as a check-in keeps them."""
        rows = self.session.execute(
            select(
                MemberRow.id,
                MemberRow.name,
                MemberRow.relation,
                MemberRow.presence,
                MemberRow.born_on,
            )
            .where(MemberRow.household_id == household_id)
            .order_by(MemberRow.id)
        ).all()
        return [Member(i, name, rel, _presence(p), born) for i, name, rel, p, born in rows]

    def shown(self, household_id: int) -> list[Shown]:
        rows = self.session.scalars(
            select(MemberRow).where(MemberRow.household_id == household_id).order_by(MemberRow.id)
        ).all()
        return [
            Shown(
                m.name,
                m.relation,
                m.id_number,
                m.born_on,
                m.labour,
                m.health,
                m.schooling,
                m.insurance,
                _presence(m.presence),
            )
            for m in rows
        ]

    def record(
        self,
        household: Household,
        changes: Iterable[MemberChange],
        *,
        day: date,
        now: datetime,
        actor: str,
    ) -> int:
        """Store a visit's changes (from `day`), each audited, then the household's count;
        the members living in it after them. A change that no longer applies (the member
        gone from the household, or already so) is left out."""
        audit = Audit(self.session)
        for change in changes:
            if change.member_id is None:
                row = MemberRow(
                    household_id=household.id,
                    name=change.name,
                    relation=change.relation,
                    id_number=None,
                    born_on=change.born,
                    presence=Presence.LIVING.value,
                    presence_since=day,
                    changed_at=now,
                    created_at=now,
                    updated_at=now,
                )
                self.session.add(row)
                self.session.flush()
                old = None
                new = f"#{row.id} {row.name} {row.relation} {change.born or ''}".rstrip()
            else:
                found = self.session.get(MemberRow, change.member_id)
                if found is None or found.household_id != household.id:
                    continue
                if found.presence == change.presence.value:
                    continue
                old = found.presence
                found.presence = change.presence.value
                found.presence_since = day
                found.changed_at = now
                found.updated_at = now
                new = f"#{found.id} {found.name} {found.relation}"
            audit.record(
                now=now,
                actor=actor,
                action="member",
                entity="household",
                key=household.number,
                field=change.change.value,
                old=old,
                new=new,
            )
        self.session.flush()
        sync_members(self.session, household, now=now, actor=actor)
        return household.members
