"""A household's help team (帮扶小组) beside its first helper: who is on it, and changing it
(audited). Who may do what with it: `monitoring/team.py`. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from storage.models import Household, Person
from storage.models_team import TeamMember
from storage.repositories import Audit


def team_of(session: Session, household_id: int) -> list[int]:
    """The person ids on the household's team."""
    return list(
        session.scalars(
            select(TeamMember.person_id)
            .where(TeamMember.household_id == household_id)
            .order_by(TeamMember.person_id)
        )
    )


def set_team(
    session: Session, household: Household, people: Sequence[Person], *, now: datetime, actor: str
) -> bool:
    """The household's team becomes `people` (audited); whether it changed."""
    before = team_of(session, household.id)
    after = sorted({p.id for p in people})
    if before == after:
        return False
    session.execute(delete(TeamMember).where(TeamMember.household_id == household.id))
    session.add_all(TeamMember(household_id=household.id, person_id=p, added_at=now) for p in after)
    names = {p.id: p.name for p in people}
    old_names = {
        int(i): str(n)
        for i, n in session.execute(select(Person.id, Person.name).where(Person.id.in_(before)))
    }
    Audit(session).record(
        now=now,
        actor=actor,
        action="update",
        entity="household",
        key=household.number,
        field="team",
        old="、".join(old_names.get(i, str(i)) for i in before) or None,
        new="、".join(names[i] for i in after) or None,
    )
    return True
