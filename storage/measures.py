"""Help measures recorded for a household (against a warning, or not), the measure being
recorded, and the open ones near their deadline. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from monitoring.measures import HELPER, OPEN, VILLAGE, Doer, Status, carries_out
from monitoring.people import HouseholdStatus, Role
from monitoring.proposals import Kind
from monitoring.proposals import Status as Step
from storage.drafts import Drafts
from storage.identities import serving_of
from storage.models import (
    Alert,
    Draft,
    HelperAssignment,
    Household,
    Person,
    Proposal,
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
        alert: Alert | None = None,
        household_id: int | None = None,
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
        if alert is not None:
            household_id = alert.household_id
        assert household_id is not None, "a measure is for a household"
        measure = Measure(
            household_id=household_id,
            alert_id=alert.id if alert is not None else None,
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
        household = self.session.get(Household, household_id)
        Audit(self.session).record(
            now=now,
            actor=f"person:{by.id}",
            action="measure",
            entity="household",
            key=household.number if household else str(household_id),
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

    def start_draft(
        self, person_id: int, household_id: int, alert_id: int | None, *, now: datetime
    ) -> Draft:
        """The draft's subject is the warning when it was started from one (None: from the
        household); the household is in its answers either way."""
        return Drafts(self.session).start(
            person_id, FLOW, subject_id=alert_id, answers={"household": household_id}, now=now
        )

    def open_near_deadline(self, by: date) -> Sequence[tuple[Measure, Household]]:
        """The open measures with a deadline on or before `by` (the soon due and the
        overdue), with their households."""
        rows = self.session.execute(
            select(Measure, Household)
            .join(Household, Household.id == Measure.household_id)
            .join(Village, Village.id == Household.village_id)
            .where(
                serving_of(self.session).where(Village.township_id),  # this bot's townships
                Measure.status.in_([s.value for s in OPEN]),
                Measure.deadline.is_not(None),
                Measure.deadline <= by,
            )
            .order_by(Measure.deadline, Measure.id)
        ).all()
        return [(m, h) for m, h in rows]

    def recorded_since(self, household_id: int, since: datetime) -> int:
        """How many measures were recorded for the household from `since` on."""
        return len(
            self.session.scalars(
                select(Measure.id).where(
                    Measure.household_id == household_id, Measure.recorded_at >= since
                )
            ).all()
        )

    def identified_between(self, first: date, last: date) -> Sequence[Household]:
        """The monitored households a proposal brought in (the county approved it) whose
        identification date is from `first` to `last`."""
        identified = select(Proposal.household_id).where(
            Proposal.kind == Kind.IDENTIFY.value,
            Proposal.status.in_([Step.HELPER.value, Step.APPROVED.value]),
        )
        return self.session.scalars(
            select(Household)
            .join(Village, Village.id == Household.village_id)
            .where(
                serving_of(self.session).where(Village.township_id),  # this bot's townships
                Household.id.in_(identified),  # not a join: a household re-entered is once
                Household.status == HouseholdStatus.MONITORED.value,
                Household.identified_on.is_not(None),
                Household.identified_on >= first,
                Household.identified_on <= last,
            )
            .order_by(Household.id)
        ).all()

    def since_identified(self, household: Household) -> int:
        """How many measures were recorded for the household since its identification day."""
        day = household.identified_on or household.created_at.date()
        return self.recorded_since(household.id, datetime.combine(day, time.min, UTC))

    def helper_and_heads(self, household: Household) -> list[Person]:
        """Those who look after the household: its helper, then its village's heads."""
        assignment = self.session.get(HelperAssignment, household.id)
        helper = self.session.get(Person, assignment.helper_id) if assignment else None
        heads = self.session.scalars(
            select(Person)
            .where(
                Person.role == Role.VILLAGE_HEAD.value,
                Person.village_id == household.village_id,
            )
            .order_by(Person.id)
        ).all()
        return list(dict.fromkeys([*([helper] if helper else []), *heads]))

    def carriers(self, measure: Measure, household: Household) -> list[Person]:
        """The registered people who carry the measure out (monitoring.measures.carries_out):
        its unit's staff in the household's township, its village head (各村), its helper
        (帮扶责任人)."""
        village = self.session.get(Village, household.village_id)
        assert village is not None
        assignment = self.session.get(HelperAssignment, household.id)
        helper = assignment.helper_id if assignment else None
        people = self.session.scalars(
            select(Person)
            .where(Person.township_id == village.township_id, Person.platform_user_id.is_not(None))
            .order_by(Person.id)
        ).all()
        return [
            p
            for p in people
            if carries_out(
                Doer(p.id, Role(p.role), p.unit, p.village_id),
                measure.responsible,
                village_id=household.village_id,
                helper_id=helper,
            )
        ]
