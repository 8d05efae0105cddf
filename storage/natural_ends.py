"""自然消除 recorded and reversed (the rules: `monitoring/natural_end.py`), with audit rows;
an open warning is closed; and the ledger's sheet of them. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from monitoring.i18n import N_
from monitoring.natural_end import NaturalEndRequest
from monitoring.people import HouseholdStatus
from monitoring.proposals import Refused
from monitoring.weeks import Week
from storage.alerts import Alerts
from storage.ledger_lines import Scope
from storage.models import Household, Person, Village
from storage.models_natural_end import NaturalEnd
from storage.repositories import Audit


class NaturalEnds:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self, household: Household, person: Person, request: NaturalEndRequest, *, now: datetime
    ) -> NaturalEnd:
        """The household leaves monitoring: refused unless it is monitored."""
        if household.status != HouseholdStatus.MONITORED.value:
            raise Refused(N_("Household {number} is not monitored."), number=household.number)
        actor = f"person:{person.id}"
        row = NaturalEnd(
            household_id=household.id,
            ended_on=request.on,
            cause=request.cause.value,
            note=request.note,
            recorded_by=person.id,
            recorded_at=now,
        )
        self.session.add(row)
        Audit(self.session).update_fields(
            household,
            {"status": HouseholdStatus.ENDED.value},
            now=now,
            actor=actor,
            entity="household",
            key=household.number,
        )
        Audit(self.session).record(
            now=now,
            actor=actor,
            action="natural_end",
            entity="household",
            key=household.number,
            new=f"{request.cause.value} {request.on.isoformat()} {request.note}".strip(),
        )
        alerts = Alerts(self.session)
        alert = alerts.open_for(household.id)
        if alert is not None:
            alerts.close(alert, by=person, reason="ended", now=now, actor=actor)
        self.session.flush()
        return row

    def reverse(self, household: Household, person: Person, *, now: datetime) -> None:
        """A natural end recorded by mistake (or a household back): the latest is marked
        reversed; the caller sets the household monitored again (`Eliminations.reinstate`)."""
        latest = self.session.scalar(
            select(NaturalEnd)
            .where(NaturalEnd.household_id == household.id, NaturalEnd.reinstated_at.is_(None))
            .order_by(NaturalEnd.id.desc())
            .limit(1)
        )
        if latest is not None:
            latest.reinstated_by = person.id
            latest.reinstated_at = now


@dataclass(frozen=True)
class NaturalEndLine:
    village: str
    number: str
    head_name: str
    ended_on: date
    cause: str
    note: str
    recorded_by: str
    recorded_at: datetime
    reinstated_by: str | None
    reinstated_at: datetime | None


def ledger_lines(session: Session, week: Week, scope: Scope, *, tz: Any) -> list[NaturalEndLine]:
    """The ledger's sheet: natural ends recorded up to the week's end."""
    end = week.ends_at(tz)
    by, back = aliased(Person), aliased(Person)
    query = scope.apply(
        select(
            Village.name,
            Household.number,
            Household.head_name,
            NaturalEnd.ended_on,
            NaturalEnd.cause,
            NaturalEnd.note,
            by.name,
            NaturalEnd.recorded_at,
            back.name,
            NaturalEnd.reinstated_at,
        )
        .select_from(NaturalEnd)
        .join(Household, Household.id == NaturalEnd.household_id)
        .join(Village, Village.id == Household.village_id)
        .join(by, by.id == NaturalEnd.recorded_by)
        .outerjoin(back, back.id == NaturalEnd.reinstated_by)
        .where(NaturalEnd.recorded_at < end)
        .order_by(NaturalEnd.recorded_at, NaturalEnd.id)
    )
    return [NaturalEndLine(*row) for row in session.execute(query)]
