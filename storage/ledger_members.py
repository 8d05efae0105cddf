"""The ledger's members sheet (家庭成员): every recorded member of the households in scope,
ID numbers masked (last 4 digits)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.people import mask_id_number
from storage.ledger_lines import MemberLine, Scope
from storage.models import Household, Township, Village
from storage.models_members import Member


def members(session: Session, scope: Scope) -> list[MemberLine]:
    query = scope.apply(
        select(
            Village.name,
            Household.number,
            Household.head_name,
            Member.name,
            Member.relation,
            Member.id_number,
            Member.born_on,
            Member.labour,
            Member.health,
            Member.schooling,
            Member.insurance,
            Member.presence,
            Member.presence_since,
        )
        .select_from(Member)
        .join(Household, Household.id == Member.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(Township, Township.id == Village.township_id)
        .order_by(Township.name, Village.name, Household.number, Member.id)
    )
    lines = []
    for row in session.execute(query):
        values = list(row)
        values[5] = mask_id_number(values[5]) if values[5] else ""
        lines.append(MemberLine(*values))
    return lines
