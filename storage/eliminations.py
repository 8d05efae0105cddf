"""Risk elimination and reinstatement: the facts the criteria are checked against, and the
changes (with audit rows; an open warning is closed). The rules: `monitoring/elimination.py`.
Never commits."""

from __future__ import annotations

from datetime import datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitoring.elimination import (
    STABLE_WEEKS,
    Criterion,
    EliminationFacts,
    IncomeRecord,
    check_elimination,
    check_referral,
)
from monitoring.i18n import N_
from monitoring.measures import Status
from monitoring.people import HouseholdStatus
from monitoring.policy import DEFAULT_POLICY, Policy
from monitoring.proposals import Refused
from monitoring.weeks import Week, week_of
from storage.alerts import Alerts
from storage.coverage import delivered, risks_had
from storage.models import (
    Alert,
    CheckIn,
    Elimination,
    EliminationReferral,
    Household,
    Person,
)
from storage.models_measures import Measure
from storage.natural_ends import NaturalEnds
from storage.repositories import Audit, Households


class Eliminations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def facts(
        self,
        household: Household,
        *,
        now: datetime,
        tz: ZoneInfo,
        policy: Policy = DEFAULT_POLICY,
    ) -> EliminationFacts:
        this_week = week_of(now, tz)
        start = this_week
        for _ in range(STABLE_WEEKS - 1):
            start = start.previous()
        rows = self.session.execute(
            select(CheckIn.week, CheckIn.per_capita_income, CheckIn.policy_year)
            .where(
                CheckIn.household_id == household.id,
                CheckIn.is_current,
                CheckIn.week >= str(start),
                CheckIn.week <= str(this_week),
            )
            .order_by(CheckIn.week)
        ).all()
        township = Households(self.session).township_name(household)
        incomes = tuple(  # each week against the watch line it was assessed with
            IncomeRecord(Week.parse(week), per_capita, policy.lines_for(year, township).watch_line)
            for week, per_capita, year in rows
        )
        first = self.session.scalar(
            select(func.min(CheckIn.week)).where(
                CheckIn.household_id == household.id, CheckIn.is_current
            )
        )
        latest_level = self.session.scalar(
            select(CheckIn.level)
            .where(CheckIn.household_id == household.id, CheckIn.is_current)
            .order_by(CheckIn.week.desc())
            .limit(1)
        )
        open_red = (
            self.session.scalar(
                select(func.count(Alert.id)).where(
                    Alert.household_id == household.id, Alert.status == "open"
                )
            )
            or 0
        )
        measures = (
            self.session.scalar(
                select(func.count(Measure.id)).where(
                    Measure.household_id == household.id,
                    Measure.status == Status.DONE.value,  # a task not yet delivered is no help
                )
            )
            or 0
        )
        identified = household.identified_on or household.created_at.astimezone(tz).date()
        return EliminationFacts(
            today=now.astimezone(tz).date(),
            identified_on=identified,
            incomes=incomes,
            first_checkin=Week.parse(first) if first else None,
            latest_level=latest_level,
            open_red=open_red > 0,
            measures=int(measures),
            has_labour=household.has_labour,
            risks=risks_had(
                self.session, household.id, datetime.combine(identified, time(), tzinfo=tz)
            ),
            delivered=delivered(self.session, household.id),
        )

    def set_labour(
        self, household: Household, value: bool, person: Person, *, now: datetime
    ) -> None:
        Audit(self.session).update_fields(
            household,
            {"has_labour": value},
            now=now,
            actor=f"person:{person.id}",
            entity="household",
            key=household.number,
        )

    def eliminate(
        self,
        household: Household,
        person: Person,
        criteria: list[Criterion],
        *,
        now: datetime,
    ) -> Elimination:
        monitored = household.status == HouseholdStatus.MONITORED.value
        check_elimination(household.number, monitored, criteria)
        actor = f"person:{person.id}"
        row = Elimination(
            household_id=household.id,
            eliminated_by=person.id,
            eliminated_at=now,
            criteria=[c.as_json() for c in criteria],
        )
        self.session.add(row)
        Audit(self.session).update_fields(
            household,
            {"status": HouseholdStatus.ELIMINATED.value},
            now=now,
            actor=actor,
            entity="household",
            key=household.number,
        )
        alerts = Alerts(self.session)
        alert = alerts.open_for(household.id)
        if alert is not None:
            alerts.close(alert, by=person, reason="eliminated", now=now, actor=actor)
        self.session.flush()
        return row

    def refer(
        self,
        household: Household,
        person: Person,
        criteria: list[Criterion],
        reason: str,
        *,
        now: datetime,
    ) -> EliminationReferral:
        """Criteria that do not all hold, and a reason: referred to the county, recorded and
        audited; the household stays monitored."""
        monitored = household.status == HouseholdStatus.MONITORED.value
        check_referral(household.number, monitored, criteria)
        row = EliminationReferral(
            household_id=household.id,
            referred_by=person.id,
            referred_at=now,
            criteria=[c.as_json() for c in criteria],
            reason=reason,
        )
        self.session.add(row)
        Audit(self.session).record(
            now=now,
            actor=f"person:{person.id}",
            action="refer",
            entity="household",
            key=household.number,
            field="elimination",
            new=reason,
        )
        self.session.flush()
        return row

    def reinstate(
        self, household: Household, person: Person, reason: str, *, now: datetime
    ) -> None:
        if household.status == HouseholdStatus.ENDED.value:  # a natural end reversed
            NaturalEnds(self.session).reverse(household, person, now=now)
        elif household.status != HouseholdStatus.ELIMINATED.value:
            raise Refused(
                N_("Household {number} is not marked eliminated."), number=household.number
            )
        latest = (
            None
            if household.status == HouseholdStatus.ENDED.value
            else self.session.scalar(
                select(Elimination)
                .where(
                    Elimination.household_id == household.id, Elimination.reinstated_at.is_(None)
                )
                .order_by(Elimination.id.desc())
                .limit(1)
            )
        )
        if latest is not None:
            latest.reinstated_by = person.id
            latest.reinstated_at = now
            latest.reinstate_reason = reason
        Audit(self.session).update_fields(
            household,
            {"status": HouseholdStatus.MONITORED.value},
            now=now,
            actor=f"person:{person.id}",
            entity="household",
            key=household.number,
        )
        Audit(self.session).record(
            now=now,
            actor=f"person:{person.id}",
            action="reinstate",
            entity="household",
            key=household.number,
            new=reason,
        )
