"""Leads (线索) read and written, every change audited (entity `lead`; ID numbers never in
the audit text). Never commits, never decides: the rules are monitoring/leads.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import Session

from monitoring.leads import Outcome
from monitoring.people import Role
from storage.identities import serving_of
from storage.models import Person, Village
from storage.models_leads import Lead, SelfReport
from storage.repositories import Audit


def _actor(by: Person | None, actor: str | None) -> str:
    return actor or (f"person:{by.id}" if by is not None else "system")


class Leads:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        township_id: int,
        name: str,
        source: str,
        received_on: date,
        check_by: date,
        now: datetime,
        village_id: int | None = None,
        household_id: int | None = None,
        id_number: str | None = None,
        phone: str | None = None,
        risk_types: Sequence[str] = (),
        what: str | None = None,
        amount: Decimal | None = None,
        source_file: str | None = None,
        source_row: int | None = None,
        reported_by: Person | None = None,
        reporter_user_id: int | None = None,
        consent: bool = False,
        actor: str | None = None,
    ) -> Lead:
        lead = Lead(
            township_id=township_id,
            village_id=village_id,
            household_id=household_id,
            name=name,
            id_number=id_number,
            phone=phone,
            risk_types=list(risk_types),
            what=what,
            amount=amount,
            source=source,
            source_file=source_file,
            source_row=source_row,
            received_on=received_on,
            check_by=check_by,
            reported_by=reported_by.id if reported_by else None,
            reporter_user_id=reporter_user_id,
            consent=consent,
            created_at=now,
            updated_at=now,
        )
        self.session.add(lead)
        self.session.flush()
        Audit(self.session).record(
            now=now,
            actor=_actor(reported_by, actor),
            action="lead",
            entity="lead",
            key=str(lead.id),
            new=f"{source} / village {village_id or '-'} / {received_on.isoformat()}",
        )
        return lead

    def get(self, lead_id: int, *, lock: bool = False) -> Lead | None:
        """The lead; with `lock`, its row locked until the transaction ends (two people
        recording an outcome at once take turns, and the second finds the first's)."""
        return self.session.get(Lead, lead_id, with_for_update=lock or None)

    def known(self, source: str, id_number: str, *, day: date | None, source_file: str) -> bool:
        """Whether this source's lead about this ID number is stored already: of that day
        when the list dates it, else from a file of the same name (a list imported twice, on
        any day, adds nothing)."""
        same = Lead.received_on == day if day is not None else Lead.source_file == source_file
        query = select(Lead.id).where(Lead.source == source, Lead.id_number == id_number, same)
        return self.session.scalar(query.limit(1)) is not None

    def record_outcome(
        self,
        lead: Lead,
        outcome: Outcome,
        reason: str | None,
        *,
        today: date,
        now: datetime,
        by: Person | None = None,
        actor: str | None = None,
    ) -> None:
        """Write an outcome the rules allowed (monitoring.leads.record), audited."""
        lead.outcome = outcome.value
        lead.reason = reason
        lead.checked_on = today
        lead.checked_by = by.id if by is not None else None
        lead.updated_at = now
        Audit(self.session).record(
            now=now,
            actor=_actor(by, actor),
            action="lead_outcome",
            entity="lead",
            key=str(lead.id),
            field="outcome",
            old=None,
            new=outcome.value + (f": {reason}" if reason else ""),
        )

    def link_proposal(
        self, lead: Lead, proposal_id: int, *, by: Person, today: date, now: datetime
    ) -> None:
        """纳入: the proposal started from the lead."""
        lead.proposal_id = proposal_id
        self.record_outcome(lead, Outcome.INCLUDED, None, today=today, now=now, by=by)
        Audit(self.session).record(
            now=now,
            actor=f"person:{by.id}",
            action="lead_proposal",
            entity="lead",
            key=str(lead.id),
            field="proposal",
            new=str(proposal_id),
        )

    def assign_village(self, lead: Lead, village: Village, *, by: Person, now: datetime) -> None:
        old = lead.village_id
        lead.village_id = village.id
        lead.updated_at = now
        Audit(self.session).record(
            now=now,
            actor=f"person:{by.id}",
            action="lead_village",
            entity="lead",
            key=str(lead.id),
            field="village_id",
            old=old,
            new=village.id,
        )

    def open_of(self, township_id: int) -> Sequence[Lead]:
        return self.session.scalars(
            select(Lead)
            .where(Lead.township_id == township_id, Lead.outcome.is_(None))
            .order_by(Lead.received_on, Lead.id)
        ).all()

    def to_check(self, person: Person) -> list[Lead]:
        """The open leads `person` must check (monitoring.leads.must_check as a query): their
        village's for a village head; for township staff, those without a village and those
        of a village whose head does not use the bot."""
        query = select(Lead).where(Lead.township_id == person.township_id, Lead.outcome.is_(None))
        if person.role == Role.VILLAGE_HEAD.value and person.village_id is not None:
            query = query.where(Lead.village_id == person.village_id)
        elif person.role == Role.TOWNSHIP_STAFF.value:
            query = query.where(
                or_(Lead.village_id.is_(None), Lead.village_id.not_in(_villages_with_heads()))
            )
        else:
            return []
        return list(self.session.scalars(query.order_by(Lead.received_on, Lead.id)))

    def overdue(self, today: date) -> Sequence[Lead]:
        """Open leads past their check day, of every township the session's identity serves."""
        return self.session.scalars(
            select(Lead)
            .where(
                Lead.outcome.is_(None),
                Lead.check_by < today,
                serving_of(self.session).where(Lead.township_id),
            )
            .order_by(Lead.received_on, Lead.id)
        ).all()

    def checkers(self, lead: Lead) -> Sequence[Person]:
        """Who must check `lead`: its village's heads who use the bot, or the township's staff
        while it has no village or its village has none (monitoring.leads.must_check)."""
        if lead.village_id is not None:
            heads = self.session.scalars(
                select(Person)
                .where(
                    Person.role == Role.VILLAGE_HEAD.value,
                    Person.village_id == lead.village_id,
                    Person.platform_user_id.is_not(None),
                )
                .order_by(Person.id)
            ).all()
            if heads:
                return heads
        return self.session.scalars(
            select(Person)
            .where(
                Person.role == Role.TOWNSHIP_STAFF.value,
                Person.township_id == lead.township_id,
            )
            .order_by(Person.id)
        ).all()

    def of_source(self, source: str, township_id: int | None = None) -> Sequence[Lead]:
        query = select(Lead).where(Lead.source == source)
        if township_id is not None:
            query = query.where(Lead.township_id == township_id)
        return self.session.scalars(query.order_by(Lead.received_on, Lead.id)).all()

    def of_proposal(self, proposal_id: int) -> Lead | None:
        return self.session.scalar(select(Lead).where(Lead.proposal_id == proposal_id))

    def of_week(
        self, township_id: int, village_id: int | None, start: date, end: date
    ) -> Sequence[Lead]:
        """The leads a week's summary counts: received or checked in [start, end], and every
        one still open (of a village, or the whole township)."""
        query = select(Lead).where(
            Lead.township_id == township_id,
            or_(
                Lead.received_on.between(start, end),
                Lead.checked_on.between(start, end),
                Lead.outcome.is_(None),
            ),
        )
        if village_id is not None:
            query = query.where(Lead.village_id == village_id)
        return self.session.scalars(query).all()


class SelfReports:
    """Self-reports being written, by platform account (monitoring/leads.py: no person)."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def of(self, user_id: int) -> SelfReport | None:
        return self.session.get(SelfReport, user_id)

    def start(self, user_id: int, *, now: datetime) -> SelfReport:
        report = self.of(user_id)
        if report is None:
            report = SelfReport(user_id=user_id, answers={}, started_at=now, updated_at=now)
            self.session.add(report)
        return report

    def save(self, report: SelfReport, answers: dict[str, Any], *, now: datetime) -> None:
        report.answers = dict(answers)  # a new object: the JSON column sees the change
        report.updated_at = now

    def drop(self, user_id: int) -> None:
        report = self.of(user_id)
        if report is not None:
            self.session.delete(report)

    def leads_of(self, user_id: int) -> Sequence[Lead]:
        return self.session.scalars(
            select(Lead).where(Lead.reporter_user_id == user_id).order_by(Lead.id)
        ).all()


def _villages_with_heads() -> Select[int | None]:
    """The villages with a village head who uses the bot (linked to a platform account)."""
    return select(Person.village_id).where(
        Person.role == Role.VILLAGE_HEAD.value,
        Person.platform_user_id.is_not(None),
        Person.village_id.is_not(None),
    )
