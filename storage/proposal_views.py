"""Reading proposals: one as the people deciding it read it (`ProposalView`), the proposals
waiting for a person, the late ones, the villages and helpers to choose from. Never
commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from monitoring.people import HouseholdStatus, Role
from monitoring.proposals import Place, Status, decider, is_late, may_decide
from storage.bindings import Bindings
from storage.identities import serving_of
from storage.models import Household, Person, Proposal, ProposalDecision, Village
from storage.models_leads import Lead


@dataclass(frozen=True)
class ProposalView:
    id: int
    status: Status
    township_id: int
    village_id: int
    village_name: str
    proposer_id: int
    proposer_name: str
    number: str | None
    head_name: str
    members: int
    category: str
    risk_types: list[str]
    expected_income: Decimal
    has_labour: bool
    note: str | None
    photo_file_id: str | None
    household_number: str | None
    helper_name: str | None
    step_since: datetime
    decisions: list[tuple[str, str, str, datetime, str | None]]  # step, decision, who, at, why
    # Monitored households of the village with the same head of household: everyone who
    # reviews the proposal is shown them (the same household proposed twice?).
    same_head: tuple[str, ...] = ()
    reported_at: datetime | None = None  # the first report: the chain's clock starts
    notice_posted_at: datetime | None = None
    county_decided_on: date | None = None
    county_document: str | None = None
    kind: str = "identify"  # or "eliminate" (monitoring.proposals.Kind)
    # The lead it came from (/leads: 纳入): its source and day, when the chain's clock starts.
    lead_source: str | None = None
    lead_on: date | None = None


class ProposalQueries:
    """What the flows, the jobs and the outbox read about proposals."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self._county_staff: dict[int, bool] = {}  # township -> named (read once per repository)

    def villages(self, township_id: int) -> list[tuple[int, str]]:
        return [
            (vid, name)
            for vid, name in self.session.execute(
                select(Village.id, Village.name)
                .where(Village.township_id == township_id)
                .order_by(Village.name)
            )
        ]

    def helpers_of_village(self, village_id: int) -> list[tuple[int, str]]:
        return [
            (pid, name)
            for pid, name in self.session.execute(
                select(Person.id, Person.name)
                .where(Person.village_id == village_id, Person.role == Role.HELPER.value)
                .order_by(Person.name)
            )
        ]

    def get(self, proposal_id: int, *, lock: bool = False) -> Proposal | None:
        """The proposal; `lock`: its row locked until the transaction ends (PostgreSQL's
        SELECT ... FOR UPDATE), read afresh, so that two people deciding it at once take
        turns and the second sees what the first decided. (SQLite has no row locks: the
        bot's transactions there begin with a write, the update's id, so they already
        take turns.)"""
        if lock:
            return self.session.get(
                Proposal, proposal_id, with_for_update=True, populate_existing=True
            )
        return self.session.get(Proposal, proposal_id)

    def view(self, proposal_id: int) -> ProposalView | None:
        p = self.get(proposal_id)
        if p is None:
            return None
        village = self.session.get(Village, p.village_id)
        proposer = self.session.get(Person, p.proposer_id)
        household = self.session.get(Household, p.household_id) if p.household_id else None
        helper = self.session.get(Person, p.helper_id) if p.helper_id else None
        assert village is not None and proposer is not None
        decisions = [
            (d.step, d.decision, name, d.at, d.reason)
            for d, name in self.session.execute(
                select(ProposalDecision, Person.name)
                .join(Person, Person.id == ProposalDecision.person_id)
                .where(ProposalDecision.proposal_id == p.id)
                .order_by(ProposalDecision.id)
            )
        ]
        return ProposalView(
            p.id,
            Status(p.status),
            p.township_id,
            p.village_id,
            village.name,
            p.proposer_id,
            proposer.name,
            p.number,
            p.head_name,
            p.members,
            p.category,
            list(p.risk_types or []),
            p.expected_income,
            p.has_labour,
            p.note,
            p.photo_file_id,
            household.number if household else None,
            helper.name if helper else None,
            p.step_since,
            decisions,
            self.same_head(p),
            p.created_at,
            p.notice_posted_at,
            p.county_decided_on,
            p.county_document,
            p.kind,
            *(lead if (lead := self._lead_of(p.id)) else (None, None)),
        )

    def _lead_of(self, proposal_id: int) -> tuple[str, date] | None:
        row = self.session.execute(
            select(Lead.source, Lead.received_on).where(Lead.proposal_id == proposal_id)
        ).first()
        return (row[0], row[1]) if row else None

    def same_head(self, p: Proposal) -> tuple[str, ...]:
        """Numbers of the village's monitored households whose head has the proposal's
        name (its own household, once registered, aside)."""
        numbers = self.session.scalars(
            select(Household.number)
            .where(
                Household.village_id == p.village_id,
                Household.head_name == p.head_name,
                Household.status == HouseholdStatus.MONITORED.value,
                Household.id != (p.household_id or 0),
            )
            .order_by(Household.number)
        )
        return tuple(numbers)

    def county_staff(self, proposal: Proposal) -> bool:
        """Whether the county step is the county staff's (the roster names some for its
        township)."""
        return self._has_county_staff(proposal.township_id)

    def _has_county_staff(self, township_id: int) -> bool:
        if township_id not in self._county_staff:
            named = Bindings(self.session).has_county_staff(township_id)
            self._county_staff[township_id] = named
        return self._county_staff[township_id]

    def holders(self, proposal: Proposal) -> Sequence[Person]:
        """Who must act next: the village's heads, the township's staff, or at the county
        step its county staff when the roster names any (linked ones)."""
        role = decider(Status(proposal.status), self.county_staff(proposal))
        if role is Role.VILLAGE_HEAD:
            return Bindings(self.session).village_heads(proposal.village_id)
        if role in (Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF):
            return Bindings(self.session).township_staff(proposal.township_id, role)
        return []

    def may_act(self, proposal: Proposal, person: Person) -> bool:
        return may_decide(
            Status(proposal.status),
            Role(person.role),
            *places(person, proposal),
            self.county_staff(proposal),
        )

    def waiting_for(self, person: Person) -> Sequence[Proposal]:
        """Open proposals this person may act on now, oldest first."""
        query = select(Proposal).order_by(Proposal.step_since, Proposal.id)
        county = self._has_county_staff(person.township_id)
        if person.role == Role.VILLAGE_HEAD.value:
            query = query.where(
                Proposal.status.in_([Status.VILLAGE.value, Status.NOTICE.value]),
                Proposal.village_id == person.village_id,
            )
        elif person.role == Role.TOWNSHIP_STAFF.value:
            steps = [Status.TOWNSHIP, Status.HELPER] + ([] if county else [Status.COUNTY])
            query = query.where(
                Proposal.status.in_([s.value for s in steps]),
                Proposal.township_id == person.township_id,
            )
        elif person.role == Role.COUNTY_STAFF.value:
            query = query.where(
                Proposal.status == Status.COUNTY.value,
                Proposal.township_id == person.township_id,
            )
        else:
            return []
        return self.session.scalars(query).all()

    def of_proposer(self, person_id: int, *, limit: int = 10) -> Sequence[Proposal]:
        return self.session.scalars(
            select(Proposal)
            .where(Proposal.proposer_id == person_id)
            .order_by(Proposal.id.desc())
            .limit(limit)
        ).all()

    def late(self, now: datetime, notice_days: int = 5) -> Sequence[Proposal]:
        """Open proposals whose current step is past its deadline (`is_late`)."""
        open_ones = self.session.scalars(
            select(Proposal)
            .where(
                Proposal.status.in_([s.value for s in Status if s.open]),
                serving_of(self.session).where(Proposal.township_id),  # this bot's townships
            )
            .order_by(Proposal.step_since)
        ).all()
        return [p for p in open_ones if is_late(Status(p.status), p.step_since, now, notice_days)]


def places(person: Person, proposal: Proposal) -> tuple[Place, Place]:
    return (
        Place(person.township_id, person.village_id),
        Place(proposal.township_id, proposal.village_id),
    )
