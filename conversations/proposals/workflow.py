"""What a proposal goes through, inside the caller's transaction: submit, village review and
public notice, township and county approval (registering the household), rejection, choosing
the helper, and the elimination that goes the same way. Every change with its audit rows;
refusals (`Refused`) in the reader's words. The rules (who decides, where a decision leads):
`monitoring/proposals.py`; who is told what: `conversations/proposals/steps.py`."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from monitoring.elimination import Criterion, check_elimination
from monitoring.i18n import N_
from monitoring.people import HouseholdStatus, Role
from monitoring.proposals import (
    NOTICE_DAYS,
    Decision,
    Kind,
    Refused,
    Status,
    check_consent,
    check_notice,
    consent_asked,
    decide,
    decider,
)
from storage.eliminations import Eliminations
from storage.models import (
    Household,
    Person,
    Proposal,
    ProposalDecision,
    Village,
)
from storage.proposal_views import places
from storage.proposals import Proposals
from storage.repositories import Audit, Households


class Workflow(Proposals):
    """The changes: submit, approve, reject, post the notice, object, choose the helper,
    start an elimination."""

    # ------------------------------------------------------------------ changing

    def check_household(self, number: str, village_id: int) -> tuple[Household | None, str | None]:
        """For a proposal naming an existing household number: the household (re-entry) or
        why it can not be proposed (msgid)."""
        household = Households(self.session).by_number(number)
        if household is None:
            return None, None
        if household.village_id != village_id:
            return household, N_("Household {number} belongs to another village.")
        if household.status == HouseholdStatus.MONITORED.value:
            return household, N_("Household {number} is already monitored.")
        return household, None

    def submit(self, person: Person, answers: dict[str, Any], *, now: datetime) -> Proposal:
        village = self.session.get(Village, answers["village_id"])
        if village is None or village.township_id != person.township_id:
            raise Refused(N_("That village is not in your township."))
        household = None
        number = answers.get("number") or None
        if number:
            household, problem = self.check_household(number, village.id)
            if problem:
                raise Refused(problem, number=number)
        proposal = Proposal(
            township_id=village.township_id,
            village_id=village.id,
            proposer_id=person.id,
            household_id=household.id if household else None,
            number=number,
            head_name=answers["head_name"],
            members=int(answers["members"]),
            category=answers["category"],
            risk_types=list(answers["risk_types"]),
            expected_income=Decimal(str(answers["expected_income"])),
            has_labour=bool(answers["has_labour"]),
            note=answers.get("note"),
            photo_file_id=answers.get("photo"),
            status=Status.VILLAGE.value,
            step_since=now,
            created_at=now,
            updated_at=now,
        )
        what = f"{village.name} {proposal.head_name} {number or ''}".strip()
        self._open(proposal, person, "propose", what, now)
        if answers.get("consent"):  # the proposer saw the signed consent
            self._decide(proposal, person, Decision.CONSENT.value, None, now)
        return proposal

    def consented(self, proposal: Proposal) -> bool:
        """The household's signed consent (承诺授权书) is recorded on the proposal."""
        return (
            self.session.scalar(
                select(ProposalDecision.id).where(
                    ProposalDecision.proposal_id == proposal.id,
                    ProposalDecision.decision == Decision.CONSENT.value,
                )
            )
            is not None
        )

    def consent(self, proposal_id: int, person: Person, *, now: datetime) -> Proposal:
        """The village head records that the household signed its consent (at the village
        step, before approving)."""
        proposal, _ = self._decide_step(proposal_id, person, Status.VILLAGE.value, Decision.CONSENT)
        check_consent(
            Kind(proposal.kind), Status(proposal.status), Decision.CONSENT, self.consented(proposal)
        )
        self._decide(proposal, person, Decision.CONSENT.value, None, now)
        proposal.updated_at = now
        return proposal

    def _open(
        self, proposal: Proposal, person: Person, action: str, what: str, now: datetime
    ) -> Proposal:
        """A new proposal stored, audited, and its first holders (the village heads) asked."""
        self.session.add(proposal)
        self.session.flush()
        Audit(self.session).record(
            now=now,
            actor=f"person:{person.id}",
            action=action,
            entity="proposal",
            key=str(proposal.id),
            new=what,
        )
        self.ask_holders(proposal, now)
        return proposal

    def _decide(
        self,
        proposal: Proposal,
        person: Person,
        decision: str,
        reason: str | None,
        now: datetime,
    ) -> ProposalDecision:
        row = ProposalDecision(
            proposal_id=proposal.id,
            step=proposal.status,
            decision=decision,
            person_id=person.id,
            at=now,
            reason=reason,
        )
        self.session.add(row)
        self.session.flush()
        Audit(self.session).record(
            now=now,
            actor=f"person:{person.id}",
            action=decision,
            entity="proposal",
            key=str(proposal.id),
            field=proposal.status,
            new=reason,
        )
        return row

    def _decide_step(
        self, proposal_id: int, person: Person, step: str, decision: Decision
    ) -> tuple[Proposal, Status]:
        """The proposal, locked, and its status after the decision (the rules: monitoring):
        a decision is checked against the proposal as it stands once any other decision
        on it has been committed."""
        proposal = self.get(proposal_id, lock=True)
        if proposal is None:
            raise Refused(N_("This proposal no longer exists."))
        after = decide(
            Status(proposal.status),
            step,
            decision,
            Role(person.role),
            *places(person, proposal),
            Kind(proposal.kind),
            self.county_staff(proposal),
        )
        return proposal, after

    def approve(
        self,
        proposal_id: int,
        person: Person,
        step: str,
        *,
        now: datetime,
        notice_days: int = NOTICE_DAYS,
        county: tuple[date, str] | None = None,
        criteria: list[Criterion] | None = None,
    ) -> tuple[Proposal, ProposalDecision, Household | None]:
        """The step's approval: the village's sends it to public notice; the notice's (its
        period over) to the township; the township's to the county; the county's (`county`:
        its decision's date and document number) registers the household (new, or re-entry:
        returned) and waits for its helper to be chosen."""
        proposal, after = self._decide_step(proposal_id, person, step, Decision.APPROVE)
        eliminating = proposal.kind == Kind.ELIMINATE and after is Status.APPROVED
        if eliminating and criteria is None:
            raise Refused(N_("Please check the criteria again (/eliminate)."))
        kind, status = Kind(proposal.kind), Status(proposal.status)
        if consent_asked(kind, status):  # read only where it is asked
            check_consent(kind, status, Decision.APPROVE, self.consented(proposal))
        if proposal.status == Status.NOTICE:
            check_notice(Decision.APPROVE, proposal.notice_posted_at, now, notice_days)
        if proposal.status == Status.COUNTY and county is None:
            raise Refused(N_("Please give the county's decision: its date and document number."))
        # Register (or eliminate) first: a refusal there must leave no decision behind.
        household = self._register(proposal, person, now) if after is Status.HELPER else None
        if eliminating and criteria is not None:
            household = self.session.get(Household, proposal.household_id)
            assert household is not None
            Eliminations(self.session).eliminate(household, person, criteria, now=now)
        why = f"{county[0].isoformat()} {county[1]}" if county else None
        decision = self._decide(proposal, person, "approve", why, now)
        if county is not None:
            proposal.county_decided_on, proposal.county_document = county
        county_staff = self.county_staff(proposal)
        handed_over = decider(Status(proposal.status), county_staff) is not decider(
            after, county_staff
        )
        proposal.status = after.value
        if household is not None:
            proposal.household_id = household.id
        proposal.step_since = now
        proposal.updated_at = now
        # The one who decided sees the next step in place of the message they pressed; when
        # the next step is someone else's (the township's, the county staff's), they are asked.
        if handed_over and after.open:
            self.ask_holders(proposal, now)
        return proposal, decision, household

    def start_elimination(
        self, household: Household, person: Person, criteria: list[Criterion], *, now: datetime
    ) -> Proposal:
        """Every criterion holds: the elimination goes the way identification goes (village
        review, public notice, township, county), as a proposal of kind "eliminate".
        The household's row is locked first: two people starting it at once take turns, and
        the second finds the first one's proposal."""
        self.session.refresh(household, with_for_update=True)
        monitored = household.status == HouseholdStatus.MONITORED.value
        check_elimination(household.number, monitored, criteria)
        if self.session.scalar(
            select(Proposal.id).where(
                Proposal.household_id == household.id,
                Proposal.kind == Kind.ELIMINATE.value,
                Proposal.status.in_([s.value for s in Status if s.open]),
            )
        ):
            raise Refused(
                N_("The elimination of household {number} is already under way (/proposals)."),
                number=household.number,
            )
        village = self.session.get(Village, household.village_id)
        assert village is not None
        proposal = Proposal(
            kind=Kind.ELIMINATE.value,
            township_id=village.township_id,
            village_id=village.id,
            proposer_id=person.id,
            household_id=household.id,
            number=household.number,
            head_name=household.head_name,
            members=household.members,
            category=household.category,
            risk_types=list(household.risk_types or []),
            expected_income=household.expected_income
            if household.expected_income is not None
            else household.last_year_income_per_capita * household.members,
            has_labour=bool(household.has_labour),
            note=None,
            photo_file_id=None,
            status=Status.VILLAGE.value,
            step_since=now,
            created_at=now,
            updated_at=now,
        )
        return self._open(proposal, person, "propose_elimination", household.number, now)

    def post_notice(
        self, proposal_id: int, person: Person, *, now: datetime, notice_days: int = NOTICE_DAYS
    ) -> Proposal:
        """The village head posted the public notice: its period starts now."""
        proposal, _ = self._decide_step(proposal_id, person, Status.NOTICE.value, Decision.POST)
        check_notice(Decision.POST, proposal.notice_posted_at, now, notice_days)
        self._decide(proposal, person, "post", None, now)
        proposal.notice_posted_at = now
        proposal.updated_at = now
        return proposal

    def object(
        self,
        proposal_id: int,
        person: Person,
        text: str,
        *,
        now: datetime,
        notice_days: int = NOTICE_DAYS,
    ) -> tuple[Proposal, ProposalDecision]:
        """An objection to the notice, as the village head heard it: recorded; the village
        then goes on (after the period) or rejects."""
        proposal, _ = self._decide_step(proposal_id, person, Status.NOTICE.value, Decision.OBJECT)
        check_notice(Decision.OBJECT, proposal.notice_posted_at, now, notice_days)
        decision = self._decide(proposal, person, "object", text, now)
        proposal.updated_at = now
        return proposal, decision

    def _register(self, proposal: Proposal, person: Person, now: datetime) -> Household:
        actor = f"person:{person.id}"
        today = now.date()
        values = {
            "head_name": proposal.head_name,
            "members": proposal.members,
            "category": proposal.category,
            "risk_types": list(proposal.risk_types or []),
            "expected_income": proposal.expected_income,
            "has_labour": proposal.has_labour,
            "status": HouseholdStatus.MONITORED.value,
            "identified_on": today,
        }
        if proposal.household_id is not None:  # re-entry of a household known before
            household = self.session.get(Household, proposal.household_id)
            assert household is not None
            if household.status == HouseholdStatus.MONITORED.value:
                raise Refused(
                    N_("Household {number} is already monitored."), number=household.number
                )
            Audit(self.session).update_fields(
                household, values, now=now, actor=actor, entity="household", key=household.number
            )
            return household
        number = proposal.number or self._free_number(proposal)
        if Households(self.session).by_number(number) is not None:
            raise Refused(N_("Household {number} is already monitored."), number=number)
        household = Household(
            number=number,
            village_id=proposal.village_id,
            last_year_income_per_capita=(proposal.expected_income / proposal.members).quantize(
                Decimal("0.01")
            ),
            created_at=now,
            updated_at=now,
            **values,
        )
        self.session.add(household)
        self.session.flush()
        Audit(self.session).record(
            now=now,
            actor=actor,
            action="create",
            entity="household",
            key=number,
            new=f"proposal {proposal.id}",
        )
        return household

    def _free_number(self, proposal: Proposal) -> str:
        """A number for a household proposed without one: P and the proposal id."""
        return f"P{proposal.id:06d}"

    def reject(
        self, proposal_id: int, person: Person, step: str, reason: str, *, now: datetime
    ) -> tuple[Proposal, ProposalDecision]:
        proposal, after = self._decide_step(proposal_id, person, step, Decision.REJECT)
        decision = self._decide(proposal, person, "reject", reason, now)
        proposal.status = after.value
        proposal.step_since = now
        proposal.updated_at = now
        return proposal, decision

    def assign(
        self, proposal_id: int, person: Person, helper_id: int, *, now: datetime
    ) -> tuple[Proposal, Household, Person]:
        proposal, after = self._decide_step(
            proposal_id, person, Status.HELPER.value, Decision.ASSIGN
        )
        helper = self.session.get(Person, helper_id)
        if (
            helper is None
            or helper.role != Role.HELPER.value
            or helper.village_id != proposal.village_id
        ):
            raise Refused(N_("Please choose one of the village's helpers."))
        household = self.session.get(Household, proposal.household_id)
        assert household is not None
        self._decide(proposal, person, "assign", helper.name, now)
        Households(self.session).assign_helper(
            household, helper, now=now, actor=f"person:{person.id}"
        )
        proposal.helper_id = helper.id
        proposal.status = after.value
        proposal.step_since = now
        proposal.updated_at = now
        return proposal, household, helper
