"""Queries of the scheduled jobs: who is due, missed visits, week counts, job runs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, exists, func, insert, select
from sqlalchemy.orm import Session

from monitoring.cadence import Cadence, period_of, previous_period_end
from monitoring.people import HouseholdStatus, mask_name
from monitoring.weeks import Week
from storage.bindings import Bindings
from storage.identities import serving_of
from storage.models import (
    CheckIn,
    HelperAssignment,
    Household,
    MissedVisit,
    Person,
    Township,
    Village,
)
from storage.models_runs import JobRun
from storage.models_team import TeamMember
from storage.platform_ids import Platform
from storage.repositories import Audit


@dataclass(frozen=True)
class HouseholdRow:
    id: int
    number: str
    head_name: str
    village_id: int
    village_name: str
    township_id: int
    helper_id: int | None
    helper_name: str | None
    helper_chat: int | None  # the helper's Telegram user id, when linked
    helper_unreachable: bool


class Schedule:
    def __init__(self, session: Session) -> None:
        self.session = session

    # ------------------------------------------------------------------ households

    def monitored(
        self,
        *,
        township_id: int | None = None,
        village_id: int | None = None,
        not_done_in: Sequence[Week] = (),
    ) -> list[HouseholdRow]:
        """Monitored households with their village and helper, optionally of one township or
        village, optionally only those without a check-in in any of the weeks `not_done_in`
        (a visit period; all filtered in the query, and only the columns needed are loaded:
        a province is 100,000 rows). Only the townships the session's identity serves."""
        query = (
            select(
                Household.id,
                Household.number,
                Household.head_name,
                Village.id,
                Village.name,
                Village.township_id,
                Person.id,
                Person.name,
                Person.platform_user_id,
                Person.unreachable_since.is_not(None),
            )
            .select_from(Household)
            .join(Village, Village.id == Household.village_id)
            .outerjoin(HelperAssignment, HelperAssignment.household_id == Household.id)
            .outerjoin(Person, Person.id == HelperAssignment.helper_id)
            .where(
                Household.status == HouseholdStatus.MONITORED.value,
                serving_of(self.session).where(Village.township_id),
            )
            .order_by(Household.number)
        )
        if township_id is not None:
            query = query.where(Village.township_id == township_id)
        if village_id is not None:
            query = query.where(Household.village_id == village_id)
        if not_done_in:
            weeks = [str(w) for w in not_done_in]
            in_period = CheckIn.week == weeks[0] if len(weeks) == 1 else CheckIn.week.in_(weeks)
            query = query.where(
                ~exists().where(CheckIn.household_id == Household.id, in_period, CheckIn.is_current)
            )
        return [
            HouseholdRow(hid, number, head, vid, vname, tid, pid, pname, chat, bool(unreachable))
            for hid, number, head, vid, vname, tid, pid, pname, chat, unreachable in (
                self.session.execute(query)
            )
        ]

    def team_chats(self, household_ids: list[int]) -> list[tuple[int, int, int]]:
        """(household, person, chat) of the linked people on these households' teams."""
        found: list[tuple[int, int, int]] = []
        for start in range(0, len(household_ids), 500):
            found += [
                (int(h), int(p), int(c))
                for h, p, c in self.session.execute(
                    select(TeamMember.household_id, Person.id, Person.platform_user_id)
                    .join(Person, Person.id == TeamMember.person_id)
                    .where(
                        TeamMember.household_id.in_(household_ids[start : start + 500]),
                        Person.platform_user_id.is_not(None),
                    )
                    .order_by(TeamMember.household_id, Person.id)
                )
                if c is not None
            ]
        return found

    def due(self, week: Week, cadence: Cadence = Cadence.WEEKLY) -> list[HouseholdRow]:
        """Households without a check-in in the visit period `week` lies in."""
        return self.monitored(not_done_in=period_of(week, cadence))

    # ------------------------------------------------------------------ missed visits

    def record_missed(
        self, week: Week, *, now: datetime, cadence: Cadence = Cadence.WEEKLY
    ) -> list[HouseholdRow]:
        """Record every monitored household without a check-in in the visit period that
        `week` ends (once per household, under that week, in one bulk insert) and return
        them all."""
        missed = self.due(week, cadence)
        existing = set(
            self.session.scalars(
                select(MissedVisit.household_id).where(MissedVisit.week == str(week))
            )
        )
        new = [
            {
                "household_id": row.id,
                "week": str(week),
                "helper_id": row.helper_id,
                "recorded_at": now,
            }
            for row in missed
            if row.id not in existing
        ]
        if new:
            self.session.execute(insert(MissedVisit), new)
        return missed

    def missed_weeks_in_a_row(
        self, household_ids: list[int], week: Week, weeks: int, cadence: Cadence = Cadence.WEEKLY
    ) -> set[int]:
        """Of `household_ids`, those missed in the period `week` ends and each of the
        `weeks - 1` periods before it. (No IN list of the ids: a province's first week can
        miss 100,000.)"""
        wanted = [week]
        for _ in range(weeks - 1):
            wanted.append(previous_period_end(wanted[-1], cadence))
        rows = self.session.execute(
            select(MissedVisit.household_id)
            .where(MissedVisit.week.in_([str(w) for w in wanted]))
            .group_by(MissedVisit.household_id)
            .having(func.count() >= weeks)
        ).scalars()
        ids = set(household_ids)
        return {hid for hid in rows if hid in ids}

    # ------------------------------------------------------------------ counts

    def townships(self) -> list[tuple[int, str]]:
        """The townships the session's identity serves."""
        return [
            (tid, name)
            for tid, name in self.session.execute(
                select(Township.id, Township.name)
                .where(serving_of(self.session).where(Township.id))
                .order_by(Township.name)
            )
        ]

    def township_name(self, township_id: int) -> str:
        township = self.session.get(Township, township_id)
        return township.name if township else "?"

    def group_of(self, township_id: int, village_id: int | None) -> int | None:
        binding = Bindings(self.session).active_for(township_id, village_id)
        return binding.chat_id if binding else None

    def groups(self) -> dict[tuple[int, int | None], int]:
        """Every bound group's chat by (township, village or None): `group_of` for all."""
        return Bindings(self.session).active_groups()

    # ------------------------------------------------------------------ people

    def mark_unreachable(self, platform_user_id: int, *, now: datetime) -> None:
        person = self.session.scalar(
            select(Person).where(Person.platform_user_id == platform_user_id)
        )
        if person is None or person.unreachable_since is not None:
            return
        Audit(self.session).update_fields(
            person,
            {"unreachable_since": now},
            now=now,
            actor=Platform.of(platform_user_id).value,
            entity="person",
            key=person.phone,
        )

    def mark_reachable(self, user_ids: list[int], *, now: datetime) -> None:
        """Messages reached these people. Called for every batch of private messages sent:
        one query (almost always nobody is marked, and nothing is loaded)."""
        if not user_ids:
            return
        marked = self.session.scalars(
            select(Person).where(
                Person.platform_user_id.in_(sorted(set(user_ids))),
                Person.unreachable_since.is_not(None),
            )
        ).all()
        for person in marked:
            Audit(self.session).update_fields(
                person,
                {"unreachable_since": None},
                now=now,
                actor=Platform.of(person.platform_user_id or 0).value,
                entity="person",
                key=person.phone,
            )

    # ------------------------------------------------------------------ job runs

    # Job runs are the session's identity's: each bot runs the jobs of its own townships.

    def start_run(self, job: str, occurrence: datetime, *, now: datetime) -> bool:
        """Record that `job` runs for `occurrence`; False when it already did."""
        identity = serving_of(self.session).identity
        if self.session.scalar(select(JobRun.id).where(*self._run(job, occurrence))):
            return False
        self.session.add(JobRun(job=job, identity=identity, occurrence=occurrence, started_at=now))
        self.session.flush()
        return True

    def finish_run(self, job: str, occurrence: datetime, outcome: str) -> None:
        run = self.session.scalar(select(JobRun).where(*self._run(job, occurrence)))
        if run is not None:
            run.outcome = outcome[:200]

    def first_seen(self, job: str) -> datetime | None:
        """The earliest recorded time of `job` (its first start), or None."""
        first: datetime | None = self.session.scalar(
            select(func.min(JobRun.occurrence)).where(
                JobRun.job == job, JobRun.identity == serving_of(self.session).identity
            )
        )
        return first

    def _run(self, job: str, occurrence: datetime) -> tuple[ColumnElement[bool], ...]:
        identity = serving_of(self.session).identity
        return (JobRun.job == job, JobRun.identity == identity, JobRun.occurrence == occurrence)


def masked(row: HouseholdRow) -> list[str]:
    """What a group may see of a household: its number and the masked head's name."""
    return [row.number, mask_name(row.head_name)]
