"""Help measures recorded against a warning and its household, and the measure being
recorded. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from monitoring.measures import HELPER, OPEN, VILLAGE, Status
from monitoring.people import Role
from storage.drafts import Drafts
from storage.models import (
    Alert,
    Draft,
    HelperAssignment,
    Household,
    Person,
    Village,
)
from storage.models_measures import Measure
from storage.repositories import Audit

FLOW = "measure"  # the drafts' flow name of a measure being recorded


class Measures:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        alert: Alert,
        kind: str,
        responsible: str,
        note: str | None,
        by: Person,
        now: datetime,
        amount: Decimal | None = None,
        deadline: date | None = None,
        taken_on: date | None = None,
        status: Status = Status.PENDING,
    ) -> Measure:
        measure = Measure(
            household_id=alert.household_id,
            alert_id=alert.id,
            kind=kind,
            responsible=responsible,
            note=note,
            amount=amount,
            deadline=deadline,
            status=status.value,
            taken_on=taken_on,
            recorded_by=by.id,
            recorded_at=now,
        )
        self.session.add(measure)
        self.session.flush()
        household = self.session.get(Household, alert.household_id)
        Audit(self.session).record(
            now=now,
            actor=f"person:{by.id}",
            action="measure",
            entity="household",
            key=household.number if household else str(alert.household_id),
            field="measure",
            new=f"#{measure.id} {kind} / {responsible} / {status.value} / "
            + (deadline or taken_on or now.date()).isoformat(),
        )
        return measure

    def roster_units(self, township_id: int) -> list[str]:
        """The units the roster names in the township (its unit staff's), by name."""
        return sorted(
            unit
            for unit in self.session.scalars(
                select(Person.unit)
                .where(
                    Person.township_id == township_id,
                    Person.role == Role.UNIT_STAFF.value,
                    Person.unit.is_not(None),
                )
                .distinct()
            )
            if unit
        )

    def get(self, measure_id: int) -> Measure | None:
        return self.session.get(Measure, measure_id)

    def set_status(
        self,
        measure: Measure,
        status: Status,
        reason: str | None,
        *,
        by: Person,
        now: datetime,
        today: date,
    ) -> None:
        """Write a change the state machine allowed (monitoring.measures.move), audited."""
        old = measure.status
        measure.status = status.value
        measure.reason = reason
        measure.status_by = by.id
        measure.status_at = now
        if status is Status.DONE:
            measure.taken_on = today
        household = self.session.get(Household, measure.household_id)
        Audit(self.session).record(
            now=now,
            actor=f"person:{by.id}",
            action="measure_status",
            entity="household",
            key=household.number if household else str(measure.household_id),
            field=f"measure#{measure.id}",
            old=old,
            new=status.value + (f": {reason}" if reason else ""),
        )

    def open_for(self, person: Person) -> Sequence[tuple[Measure, Household]]:
        """The open measures `person` carries out (monitoring.measures.carries_out, as a
        query): their unit's, their village's (各村) for a village head, their households'
        (帮扶责任人) for a helper; the oldest deadline first."""
        mine = [and_(Measure.responsible == HELPER, HelperAssignment.helper_id == person.id)]
        if person.role == Role.UNIT_STAFF.value and person.unit:
            mine.append(
                and_(
                    Measure.responsible == person.unit,
                    Village.township_id == person.township_id,
                )
            )
        if person.role == Role.VILLAGE_HEAD.value and person.village_id is not None:
            mine.append(
                and_(Measure.responsible == VILLAGE, Household.village_id == person.village_id)
            )
        rows = self.session.execute(
            select(Measure, Household)
            .join(Household, Household.id == Measure.household_id)
            .join(Village, Village.id == Household.village_id)
            .outerjoin(HelperAssignment, HelperAssignment.household_id == Household.id)
            .where(Measure.status.in_([s.value for s in OPEN]), or_(*mine))
            .order_by(Measure.deadline.is_(None), Measure.deadline, Measure.id)
        ).all()
        return [(m, h) for m, h in rows]

    def of_alert(self, alert_id: int) -> Sequence[Measure]:
        return self.session.scalars(
            select(Measure).where(Measure.alert_id == alert_id).order_by(Measure.id)
        ).all()

    def of_household(self, household_id: int) -> Sequence[Measure]:
        return self.session.scalars(
            select(Measure).where(Measure.household_id == household_id).order_by(Measure.id)
        ).all()

    def draft(self, person_id: int) -> Draft | None:
        return Drafts(self.session).of(person_id, FLOW)

    def start_draft(self, person_id: int, alert_id: int, *, now: datetime) -> Draft:
        return Drafts(self.session).start(person_id, FLOW, subject_id=alert_id, now=now)
