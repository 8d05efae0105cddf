"""A household's recent check-ins, warnings and measures, for /history. Never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.people import checked_in
from monitoring.warnings import (
    may_see_household,
)
from storage.measures import Measures
from storage.members import HouseholdMembers, Shown
from storage.models import (
    Alert,
    CheckIn,
    HelperAssignment,
    Household,
    Person,
    Village,
)
from storage.repositories import actor_of


@dataclass(frozen=True)
class HouseholdHistory:
    number: str
    head_name: str
    village_name: str
    checkins: list[tuple[str, str, datetime]]  # week, level, entered at
    alerts: list[tuple[int, datetime, str, datetime | None, datetime | None]]
    measures: list[tuple[str, str, date | None, str | None]]  # kind, unit, delivered on, note
    household_id: int = 0
    monitored: bool = True
    members: list[Shown] = field(default_factory=list)  # where the members are recorded


def household_history(
    session: Session, number: str, viewer: Person, *, limit: int = 8
) -> HouseholdHistory | None:
    """The household's recent check-ins, alerts and measures, if `viewer` may see them:
    its helper, the village head of its village, or township staff of its township."""
    household = session.scalar(select(Household).where(Household.number == number))
    if household is None or not may_see(session, household, viewer):
        return None
    village = session.get(Village, household.village_id)
    assert village is not None
    checkins = session.execute(
        select(CheckIn.week, CheckIn.level, CheckIn.entered_at)
        .where(CheckIn.household_id == household.id, CheckIn.is_current)
        .order_by(CheckIn.week.desc())
        .limit(limit)
    ).all()
    alerts = session.scalars(
        select(Alert)
        .where(Alert.household_id == household.id)
        .order_by(Alert.id.desc())
        .limit(limit)
    ).all()
    measures = Measures(session).of_household(household.id)
    return HouseholdHistory(
        household.number,
        household.head_name,
        village.name,
        [(w, lv, at) for w, lv, at in checkins],
        [(a.id, a.opened_at, a.status, a.acknowledged_at, a.closed_at) for a in alerts],
        [(m.kind, m.responsible, m.taken_on, m.note) for m in measures[-limit:]],
        household.id,
        checked_in(household.status),
        HouseholdMembers(session).shown(household.id),
    )


def may_see(session: Session, household: Household, viewer: Person) -> bool:
    """Whether `viewer` may see the household (monitoring.warnings.may_see_household): its
    helper, its village's head, its township's staff."""
    village = session.get(Village, household.village_id)
    assert village is not None
    assignment = session.get(HelperAssignment, household.id)
    helper_id = assignment.helper_id if assignment else None
    return may_see_household(actor_of(viewer), village.township_id, village.id, helper_id)
