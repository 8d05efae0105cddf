"""One plan per household (一户一策): what /plan and `fangfanpin plan` show, read in one
transaction. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.coverage import Cover, coverage
from storage.coverage import delivered, open_risks
from storage.history import may_see
from storage.models import CheckIn, HelperAssignment, Household, Person, Township, Village
from storage.models_measures import Measure


@dataclass(frozen=True)
class PlanMeasure:
    kind: str
    unit: str
    status: str
    deadline: date | None
    amount: Decimal | None
    note: str | None
    taken_on: date | None


@dataclass(frozen=True)
class Visit:
    week: str
    level: str
    entered_at: datetime
    method: str


@dataclass(frozen=True)
class HouseholdPlan:
    household_id: int
    number: str
    head_name: str
    members: int
    village: str
    township: str
    helper: str | None
    status: str
    risks: list[Cover]
    measures: list[PlanMeasure]
    visits: list[Visit]


def find_household(
    session: Session,
    viewer: Person | None,
    *,
    number: str | None = None,
    household_id: int | None = None,
) -> Household | None:
    """The household (by number or id), if `viewer` may see it (its helper, its village
    head, its township's staff); no viewer is the command line's, which may see all."""
    if household_id is not None:
        household = session.get(Household, household_id)
    else:
        household = session.scalar(
            select(Household).where(Household.number == (number or "").strip())
        )
    if household is None or viewer is None or may_see(session, household, viewer):
        return household
    return None


def household_plan(session: Session, household: Household, *, visits: int = 4) -> HouseholdPlan:
    village = session.get(Village, household.village_id)
    assert village is not None
    township = session.get(Township, village.township_id)
    assert township is not None
    assignment = session.get(HelperAssignment, household.id)
    helper = session.get(Person, assignment.helper_id) if assignment else None
    measures = session.scalars(
        select(Measure)
        .where(Measure.household_id == household.id)
        .order_by(Measure.recorded_at, Measure.id)
    ).all()
    recent = session.execute(
        select(CheckIn.week, CheckIn.level, CheckIn.entered_at, CheckIn.visit_method)
        .where(CheckIn.household_id == household.id, CheckIn.is_current)
        .order_by(CheckIn.week.desc())
        .limit(visits)
    ).all()
    return HouseholdPlan(
        household_id=household.id,
        number=household.number,
        head_name=household.head_name,
        members=household.members,
        village=village.name,
        township=township.name,
        helper=helper.name if helper else None,
        status=household.status,
        risks=coverage(open_risks(session, household.id), delivered(session, household.id)),
        measures=[
            PlanMeasure(m.kind, m.responsible, m.status, m.deadline, m.amount, m.note, m.taken_on)
            for m in measures
        ],
        visits=[Visit(w, lv, at, method) for w, lv, at, method in recent],
    )
