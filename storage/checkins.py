"""The households a helper checks in, the check-in being answered, confirmed check-ins.
Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitoring.cadence import Cadence, period_of
from monitoring.checkin import Answers, Facts
from monitoring.confirmed import ConfirmedAnswers, confirmed
from monitoring.people import HouseholdStatus
from monitoring.policy import DEFAULT_POLICY, Expenditure, Policy
from monitoring.risk import Assessment, Level, Situation, assess
from monitoring.weeks import Week
from storage.alerts import NO_CHANGE, AlertChange, Alerts
from storage.drafts import Drafts
from storage.models import CheckIn, Draft, HelperAssignment, Household
from storage.repositories import HOUSEHOLD_CARD, Audit, Households


@dataclass(frozen=True)
class HouseholdView:
    """A household as the check-in shows it (`last_level`: None where it is not needed)."""

    id: int
    number: str
    head_name: str
    village_id: int
    members: int
    has_school_child: bool | None
    last_level: str | None
    done_this_week: bool

    @property
    def facts(self) -> Facts:
        return Facts(members=self.members, has_school_child=self.has_school_child)


@dataclass(frozen=True)
class DraftView:
    helper_id: int
    household: HouseholdView
    week: str
    answers: Answers
    editing: str | None


FLOW = "checkin"  # the drafts' flow name of a check-in being answered


def draft_view_of(
    helper_id: int, draft: Draft, household: Sequence[Any], *, done_this_week: bool = False
) -> DraftView:
    """A check-in draft as its questions show it; `household`: a `HOUSEHOLD_CARD` row."""
    hid, number, head, village, members, school = household
    view = HouseholdView(hid, number, head, village, members, school, None, done_this_week)
    return DraftView(helper_id, view, str(draft.week), dict(draft.answers or {}), draft.editing)


class CheckIns:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ households

    def households_of(
        self, helper_id: int, week: Week, cadence: Cadence = Cadence.WEEKLY
    ) -> list[HouseholdView]:
        """The helper's monitored households, with whether each was visited in the visit
        period `week` lies in (the week itself for weekly visits), and the last level."""
        rows = self.session.scalars(
            select(Household)
            .join(HelperAssignment, HelperAssignment.household_id == Household.id)
            .where(
                HelperAssignment.helper_id == helper_id,
                Household.status == HouseholdStatus.MONITORED.value,
            )
            .order_by(Household.number)
        ).all()
        ids = [h.id for h in rows]
        done = self.done_in(ids, period_of(week, cadence))
        levels = self.last_levels(ids)
        return [self._view(h, levels.get(h.id), h.id in done) for h in rows]

    @staticmethod
    def _view(h: Household, level: str | None, done: bool) -> HouseholdView:
        return HouseholdView(
            h.id, h.number, h.head_name, h.village_id, h.members, h.has_school_child, level, done
        )

    def helper_of(self, household_id: int) -> int | None:
        assignment = self.session.get(HelperAssignment, household_id)
        return assignment.helper_id if assignment else None

    def done_in(self, household_ids: Iterable[int], weeks: Sequence[Week]) -> set[int]:
        """Of the households, those with a check-in in any of `weeks`."""
        ids = list(household_ids)
        if not ids:
            return set()
        return set(
            self.session.scalars(
                select(CheckIn.household_id).where(
                    CheckIn.household_id.in_(ids),
                    CheckIn.week.in_([str(w) for w in weeks]),
                    CheckIn.is_current,
                )
            )
        )

    def last_levels(self, household_ids: Iterable[int]) -> dict[int, str]:
        ids = list(household_ids)
        if not ids:
            return {}
        latest = (
            select(CheckIn.household_id, func.max(CheckIn.week).label("week"))
            .where(CheckIn.household_id.in_(ids), CheckIn.is_current)
            .group_by(CheckIn.household_id)
            .subquery()
        )
        rows = self.session.execute(
            select(CheckIn.household_id, CheckIn.level)
            .join(
                latest,
                (latest.c.household_id == CheckIn.household_id) & (latest.c.week == CheckIn.week),
            )
            .where(CheckIn.is_current)
        ).all()
        return {household_id: level for household_id, level in rows}

    # ------------------------------------------------------------------ drafts

    def draft(self, helper_id: int) -> Draft | None:
        return Drafts(self.session).of(helper_id, FLOW)

    def draft_view(self, helper_id: int, week: Week) -> DraftView | None:
        """The helper's check-in being answered, with what its questions show of the
        household and whether it was checked in this `week`: one statement."""
        draft = self.draft(helper_id)
        if draft is None or draft.subject_id is None:
            return None
        done = (
            select(CheckIn.id)
            .where(
                CheckIn.household_id == Household.id,
                CheckIn.week == str(week),
                CheckIn.is_current,
            )
            .exists()
        )
        row = self.session.execute(
            select(*HOUSEHOLD_CARD, done).where(Household.id == draft.subject_id)
        ).one()
        return draft_view_of(helper_id, draft, row[:-1], done_this_week=bool(row[-1]))

    def household_status(self, household_id: int) -> str | None:
        """The household's status, its row locked until the transaction ends (PostgreSQL's
        SELECT ... FOR UPDATE): a check-in confirmed while the household's risk is being
        marked eliminated waits, and then sees it."""
        household = self.session.get(
            Household, household_id, with_for_update=True, populate_existing=True
        )
        return household.status if household is not None else None

    def start_draft(self, helper_id: int, household_id: int, week: Week, *, now: datetime) -> Draft:
        return Drafts(self.session).start(
            helper_id, FLOW, subject_id=household_id, week=str(week), now=now
        )

    # ------------------------------------------------------------------ confirmed

    def current(self, household_id: int, week: Week) -> CheckIn | None:
        return self.session.scalar(
            select(CheckIn).where(
                CheckIn.household_id == household_id, CheckIn.week == str(week), CheckIn.is_current
            )
        )

    def expenditure_before(self, household_id: int, week: Week, counted: Expenditure) -> Decimal:
        """Rigid expenditure reported in the household's current check-ins before `week`
        that counts with it: the weeks of its year, or the 51 weeks before it (with it, 52:
        the last twelve months), as the policy says."""
        if counted is Expenditure.CALENDAR_YEAR:
            weeks = CheckIn.week.like(f"{week.year}-W%")
        else:
            earlier, back = [], week
            for _ in range(51):
                back = back.previous()
                earlier.append(str(back))
            weeks = CheckIn.week.in_(earlier)
        total = self.session.scalar(
            select(func.coalesce(func.sum(CheckIn.expense_total), 0)).where(
                CheckIn.household_id == household_id,
                CheckIn.is_current,
                weeks,
                CheckIn.week != str(week),
            )
        )
        return Decimal(total or 0)


@dataclass(frozen=True)
class ConfirmResult:
    check_in_id: int
    household_number: str
    assessment: Assessment
    correction: bool
    previous_level: str | None
    alert: AlertChange = NO_CHANGE


def confirm_draft(
    session: Session,
    draft: Draft,
    *,
    entered_by: int,
    now: datetime,
    policy: Policy = DEFAULT_POLICY,
    close_after_green: int = 2,
) -> ConfirmResult:
    """Assess the draft and store it as the week's check-in, in the caller's transaction.

    A second check-in in the same week is a correction: it becomes current, the earlier one
    stays in history, and the audit shows both. Household facts the check-in changed
    (members, expected income, school-age child) are updated with audit rows. A change of
    the household's red state opens, widens or closes its alert and queues the group
    messages (outbox) in the same transaction."""
    repo, audit = CheckIns(session), Audit(session)
    household = session.get(Household, draft.subject_id)
    assert household is not None
    week = Week.parse(str(draft.week))
    facts = Facts(household.members, household.has_school_child)
    answers: ConfirmedAnswers = confirmed(dict(draft.answers or {}), facts)

    expected = answers.expected_income if answers.income_changed else household.expected_income
    if expected is None:  # never asked yet: last year's per-capita income times members
        expected = household.last_year_income_per_capita * household.members
    earlier = repo.expenditure_before(household.id, week, policy.expenditure)
    situation = Situation(
        members=answers.members,
        expected_income=expected,
        rigid_expenditure_this_year=earlier + answers.expense_total,
        last_year_income_per_capita=household.last_year_income_per_capita,
        last_year_members=household.members,
        guarantees=answers.guarantees,
    )
    township = Households(session).township_name(household)
    assessment = assess(situation, policy.lines_for(week.year, township))

    previous = repo.current(household.id, week)
    previous_any = repo.last_levels([household.id]).get(household.id)
    if previous is not None:
        previous.is_current = False
        session.flush()  # the unique "current per week" index must see it first
    guarantees = answers.guarantees
    row = CheckIn(
        household_id=household.id,
        week=str(week),
        helper_id=draft.person_id,
        entered_by=entered_by,
        entered_at=now,
        visit_method=answers.visit_method,
        members=answers.members,
        income_changed=answers.income_changed,
        expected_income=expected,
        expenses=[{"cause": e.cause, "amount": str(e.amount)} for e in answers.expenses],
        expense_total=answers.expense_total,
        food_ok=bool(guarantees["food"]),
        clothing_ok=bool(guarantees["clothing"]),
        education_ok=guarantees["education"],
        medical_ok=bool(guarantees["medical"]),
        housing_ok=bool(guarantees["housing"]),
        water_ok=bool(guarantees["water"]),
        note=answers.note,
        photo_file_id=answers.photo,
        level=assessment.level.value,
        reasons=[r.as_json() for r in assessment.reasons],
        per_capita_income=assessment.per_capita_income,
        policy_year=assessment.year,
        is_current=True,
        supersedes_id=previous.id if previous else None,
    )
    session.add(row)
    session.flush()
    actor = f"person:{entered_by}"
    audit.record(
        now=now,
        actor=actor,
        action="correct" if previous else "checkin",
        entity="checkin",
        key=f"{household.number}/{week}",
        field="level",
        old=f"#{previous.id} {previous.level}" if previous else None,
        new=f"#{row.id} {row.level}",
    )
    changes: dict[str, Any] = {"members": answers.members}
    if answers.income_changed:
        changes["expected_income"] = expected
    if answers.school_child is not None:
        changes["has_school_child"] = answers.school_child
    audit.update_fields(
        household, changes, now=now, actor=actor, entity="household", key=household.number
    )
    session.delete(draft)
    # A household turning red queues its warnings in this same transaction.
    alert = Alerts(session).on_checkin(
        household, row, assessment, now=now, close_after_green=close_after_green
    )
    return ConfirmResult(
        row.id, household.number, assessment, previous is not None, previous_any, alert
    )


__all__ = [
    "CheckIns",
    "ConfirmResult",
    "DraftView",
    "HouseholdView",
    "Level",
    "confirm_draft",
]
