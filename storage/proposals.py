"""Proposals through village review and township approval, and risk elimination: every query
and every change, with audit rows and the outbox messages each step causes. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitoring.i18n import N_
from monitoring.people import HouseholdStatus, Role
from monitoring.policy import lines_for
from monitoring.proposals import (
    LATE_AFTER,
    STABLE_WEEKS,
    Criterion,
    EliminationFacts,
    IncomeRecord,
    Status,
)
from monitoring.weeks import Week, week_of
from storage.alerts import Alerts
from storage.bindings import Bindings
from storage.models import (
    Alert,
    CheckIn,
    Elimination,
    Household,
    Measure,
    Person,
    PersonDraft,
    Proposal,
    ProposalDecision,
    Village,
)
from storage.outbox import Outbox
from storage.repositories import Audit, Households


class Drafts:
    """Short conversations in progress, one per person and kind; the row is the state."""

    def __init__(self, session: Session) -> None:
        self.session = session

    def get(self, person_id: int, kind: str) -> PersonDraft | None:
        return self.session.get(PersonDraft, (person_id, kind))

    def start(self, person_id: int, kind: str, data: dict[str, Any], *, now: datetime) -> None:
        draft = self.get(person_id, kind)
        if draft is None:
            self.session.add(
                PersonDraft(
                    person_id=person_id, kind=kind, data=data, started_at=now, updated_at=now
                )
            )
        else:
            draft.data, draft.started_at, draft.updated_at = data, now, now

    def update(self, draft: PersonDraft, data: dict[str, Any], *, now: datetime) -> None:
        draft.data = dict(data)  # a new object, so the JSON column sees the change
        draft.updated_at = now

    def drop(self, person_id: int, kind: str) -> bool:
        draft = self.get(person_id, kind)
        if draft is None:
            return False
        self.session.delete(draft)
        return True


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


class Refused(Exception):
    """The person may not take this step, or the proposal is no longer at it. `msgid` says
    why (translated by the caller)."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


class Proposals:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ reading

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

    def get(self, proposal_id: int) -> Proposal | None:
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
        )

    def holders(self, proposal: Proposal) -> Sequence[Person]:
        """Who must act next: the village's heads, or the township's staff (linked ones)."""
        if proposal.status == Status.VILLAGE:
            return self.session.scalars(
                select(Person)
                .where(
                    Person.village_id == proposal.village_id,
                    Person.role == Role.VILLAGE_HEAD.value,
                    Person.telegram_user_id.is_not(None),
                )
                .order_by(Person.id)
            ).all()
        if proposal.status in (Status.TOWNSHIP, Status.HELPER):
            return Bindings(self.session).township_staff(proposal.township_id)
        return []

    def may_act(self, proposal: Proposal, person: Person) -> bool:
        if proposal.status == Status.VILLAGE:
            return (
                person.role == Role.VILLAGE_HEAD.value and person.village_id == proposal.village_id
            )
        if proposal.status in (Status.TOWNSHIP, Status.HELPER):
            return (
                person.role == Role.TOWNSHIP_STAFF.value
                and person.township_id == proposal.township_id
            )
        return False

    def waiting_for(self, person: Person) -> Sequence[Proposal]:
        """Open proposals this person may act on now, oldest first."""
        query = select(Proposal).order_by(Proposal.step_since, Proposal.id)
        if person.role == Role.VILLAGE_HEAD.value:
            query = query.where(
                Proposal.status == Status.VILLAGE.value, Proposal.village_id == person.village_id
            )
        elif person.role == Role.TOWNSHIP_STAFF.value:
            query = query.where(
                Proposal.status.in_([Status.TOWNSHIP.value, Status.HELPER.value]),
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

    def late(self, now: datetime) -> Sequence[Proposal]:
        """Open proposals whose current step began more than 5 days ago."""
        return self.session.scalars(
            select(Proposal)
            .where(
                Proposal.status.in_([s.value for s in Status if s.open]),
                Proposal.step_since < now - LATE_AFTER,
            )
            .order_by(Proposal.step_since)
        ).all()

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
        self.session.add(proposal)
        self.session.flush()
        Audit(self.session).record(
            now=now,
            actor=f"person:{person.id}",
            action="propose",
            entity="proposal",
            key=str(proposal.id),
            new=f"{village.name} {proposal.head_name} {number or ''}".strip(),
        )
        self._ask_holders(proposal, now)
        return proposal

    def _ask_holders(self, proposal: Proposal, now: datetime) -> int:
        outbox = Outbox(self.session)
        queued = 0
        for holder in self.holders(proposal):
            assert holder.telegram_user_id is not None
            queued += outbox.enqueue(
                key=f"proposal:{proposal.id}:{proposal.status}:{holder.id}",
                kind="proposal",
                chat_id=holder.telegram_user_id,
                now=now,
                payload={"proposal_id": proposal.id, "step": proposal.status},
            )
        return queued

    def _tell(
        self, person_id: int, key: str, msgid: str, params: dict[str, Any], now: datetime
    ) -> None:
        person = self.session.get(Person, person_id)
        if person is None or person.telegram_user_id is None:
            return
        Outbox(self.session).enqueue(
            key=key,
            kind="notice",
            chat_id=person.telegram_user_id,
            now=now,
            payload={"text": msgid, "params": params},
        )

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

    def _check(self, proposal_id: int, person: Person, step: str) -> Proposal:
        proposal = self.get(proposal_id)
        if proposal is None:
            raise Refused(N_("This proposal no longer exists."))
        if proposal.status != step:
            raise Refused(N_("This proposal has already been decided at this step."))
        if not self.may_act(proposal, person):
            raise Refused(N_("Only the village heads of its village (then township staff) decide."))
        return proposal

    def approve(self, proposal_id: int, person: Person, step: str, *, now: datetime) -> Proposal:
        """Village approval passes it to the township; township approval registers the
        household (new, or re-entry) and waits for its helper to be chosen."""
        proposal = self._check(proposal_id, person, step)
        # Register first: a refusal there must leave no decision behind.
        household = self._register(proposal, person, now) if step == Status.TOWNSHIP else None
        decision = self._decide(proposal, person, "approve", None, now)
        params = {"head": proposal.head_name, "by": person.name}
        if household is None:
            proposal.status = Status.TOWNSHIP.value
            self._tell(
                proposal.proposer_id,
                f"proposal:{proposal.id}:decision:{decision.id}",
                N_(
                    "Your proposal for {head} was approved by the village ({by}); it now goes "
                    "to the township."
                ),
                params,
                now,
            )
        else:
            proposal.household_id = household.id
            proposal.status = Status.HELPER.value
            self._tell(
                proposal.proposer_id,
                f"proposal:{proposal.id}:decision:{decision.id}",
                N_(
                    "Your proposal for {head} was approved by the township ({by}): household "
                    "{number} is now monitored."
                ),
                {**params, "number": household.number},
                now,
            )
        proposal.step_since = now
        proposal.updated_at = now
        if proposal.status == Status.TOWNSHIP:
            self._ask_holders(proposal, now)
        return proposal

    def _register(self, proposal: Proposal, person: Person, now: datetime) -> Household:
        actor = f"person:{person.id}"
        today = now.date()
        values = {
            "head_name": proposal.head_name,
            "members": proposal.members,
            "category": proposal.category,
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
    ) -> Proposal:
        proposal = self._check(proposal_id, person, step)
        if step == Status.HELPER:
            raise Refused(N_("The household is registered: choose its helper."))
        decision = self._decide(proposal, person, "reject", reason, now)
        proposal.status = Status.REJECTED.value
        proposal.step_since = now
        proposal.updated_at = now
        self._tell(
            proposal.proposer_id,
            f"proposal:{proposal.id}:decision:{decision.id}",
            N_("Your proposal for {head} was rejected by {by}. Reason: {reason}"),
            {"head": proposal.head_name, "by": person.name, "reason": reason},
            now,
        )
        return proposal

    def assign(
        self, proposal_id: int, person: Person, helper_id: int, *, now: datetime
    ) -> Proposal:
        proposal = self._check(proposal_id, person, Status.HELPER.value)
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
        proposal.status = Status.APPROVED.value
        proposal.step_since = now
        proposal.updated_at = now
        params = {"number": household.number, "head": household.head_name, "helper": helper.name}
        self._tell(
            helper.id,
            f"proposal:{proposal.id}:helper",
            N_(
                "You are now the helper of household {number} ({head}); it is in your weekly "
                "check-ins from now on (/checkin)."
            ),
            params,
            now,
        )
        if proposal.proposer_id != helper.id:
            self._tell(
                proposal.proposer_id,
                f"proposal:{proposal.id}:assigned",
                N_("Household {number} ({head}) has a helper: {helper}."),
                params,
                now,
            )
        return proposal

    def remind_late(self, now: datetime, day: date) -> int:
        """Remind each holder of a late proposal, once a day."""
        queued = 0
        outbox = Outbox(self.session)
        for proposal in self.late(now):
            for holder in self.holders(proposal):
                assert holder.telegram_user_id is not None
                queued += outbox.enqueue(
                    key=f"proposal:{proposal.id}:late:{day.isoformat()}:{holder.id}",
                    kind="proposal",
                    chat_id=holder.telegram_user_id,
                    now=now,
                    payload={"proposal_id": proposal.id, "step": proposal.status, "late": True},
                )
        return queued


# ----------------------------------------------------------------------------- elimination


class Eliminations:
    def __init__(self, session: Session) -> None:
        self.session = session

    def facts(self, household: Household, *, now: datetime, tz: ZoneInfo) -> EliminationFacts:
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
        incomes = tuple(
            IncomeRecord(Week.parse(week), per_capita, lines_for(year).watch_line)
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
                select(func.count(Measure.id)).where(Measure.household_id == household.id)
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
        override_reason: str | None,
        now: datetime,
    ) -> Elimination:
        if household.status != HouseholdStatus.MONITORED.value:
            raise Refused(N_("Household {number} is not monitored."), number=household.number)
        if not all(c.holds for c in criteria) and not override_reason:
            raise Refused(N_("Not every criterion holds: a reason is needed to override."))
        actor = f"person:{person.id}"
        row = Elimination(
            household_id=household.id,
            eliminated_by=person.id,
            eliminated_at=now,
            criteria=[c.as_json() for c in criteria],
            override_reason=override_reason,
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
        if override_reason:
            Audit(self.session).record(
                now=now,
                actor=actor,
                action="override",
                entity="household",
                key=household.number,
                field="elimination",
                new=override_reason,
            )
        alerts = Alerts(self.session)
        alert = alerts.open_for(household.id)
        if alert is not None:
            alerts.close(alert, by=person, reason="eliminated", now=now, actor=actor)
        self.session.flush()
        return row

    def reinstate(
        self, household: Household, person: Person, reason: str, *, now: datetime
    ) -> None:
        if household.status != HouseholdStatus.ELIMINATED.value:
            raise Refused(
                N_("Household {number} is not marked eliminated."), number=household.number
            )
        latest = self.session.scalar(
            select(Elimination)
            .where(Elimination.household_id == household.id, Elimination.reinstated_at.is_(None))
            .order_by(Elimination.id.desc())
            .limit(1)
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
