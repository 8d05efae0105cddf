"""Help measures recorded against a warning and its household, and the measure being
recorded. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from storage.drafts import Drafts
from storage.models import (
    Alert,
    Draft,
    Household,
    Measure,
    Person,
)
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
        taken_on: date,
        by: Person,
        now: datetime,
    ) -> Measure:
        measure = Measure(
            household_id=alert.household_id,
            alert_id=alert.id,
            kind=kind,
            responsible=responsible,
            note=note,
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
            new=f"#{measure.id} {kind} / {responsible} / {taken_on.isoformat()}",
        )
        return measure

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
