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
from monitoring.income import NetIncome
from monitoring.people import HouseholdStatus
from monitoring.policy import Expenditure
from monitoring.risk import Level
from monitoring.weeks import Week
from storage.drafts import Drafts
from storage.models import CheckIn, Draft, HelperAssignment, Household
from storage.models_team import TeamMember
from storage.repositories import HOUSEHOLD_CARD
from storage.team import team_of


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
    income: NetIncome | None = None  # the figure the answers give, once all are answered


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
        """The monitored households the person visits (theirs as first helper, and those whose
        team they are on), with whether each was visited in the visit period `week` lies in
        (the week itself for weekly visits), and the last level."""
        theirs = select(HelperAssignment.household_id).where(
            HelperAssignment.helper_id == helper_id
        )
        on_team = select(TeamMember.household_id).where(TeamMember.person_id == helper_id)
        rows = self.session.scalars(
            select(Household)
            .where(
                Household.id.in_(theirs.union(on_team)),
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

    def team_of(self, household_id: int) -> list[int]:
        """The person ids on the household's team (besides its first helper)."""
        return team_of(self.session, household_id)

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

    def start_draft(
        self,
        helper_id: int,
        household_id: int,
        week: Week,
        *,
        now: datetime,
        answers: Answers | None = None,
    ) -> Draft:
        return Drafts(self.session).start(
            helper_id, FLOW, subject_id=household_id, week=str(week), now=now, answers=answers
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


__all__ = [
    "CheckIns",
    "DraftView",
    "HouseholdView",
    "Level",
]
