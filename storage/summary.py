"""The numbers behind /summary, the weekly summary job and the charts: per village and for the
town, one week or a run of weeks. Every count is one aggregate query (GROUP BY) over the
monitored households of the township (or village, or the whole deployment), so a province of
100,000 households is summed by the database, not walked in Python.

"Red" in a week means a red warning open at the week's cutoff (the end of the week, or now for
the current week); "watch" means the latest check-in up to that week was yellow and no red
warning was open. "Monitored" counts households monitored now that were registered before the
cutoff (eliminated households drop out of every week, including earlier ones)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, case, exists, func, or_, select, true
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from monitoring.cadence import Cadence, period_of
from monitoring.people import HouseholdStatus
from monitoring.weeks import Week
from storage.coverage import late_by_unit, uncovered_households
from storage.ledger_lines import in_place
from storage.models import (
    Alert,
    CheckIn,
    GroupBinding,
    HelperAssignment,
    Household,
    MissedVisit,
    OutboxMessage,
    Person,
    Village,
)
from storage.models_measures import Measure

SelectT = TypeVar("SelectT", bound="Select[*tuple[Any, ...]]")


@dataclass
class VillageLine:
    name: str
    monitored: int = 0
    done: int = 0
    missed: int = 0
    red: int = 0
    watch: int = 0

    @property
    def due(self) -> int:
        return self.monitored - self.done

    @property
    def rate(self) -> float | None:
        return self.done / self.monitored if self.monitored else None


@dataclass(frozen=True)
class OpenRed:
    number: str
    head_name: str
    village: str
    opened_at: datetime
    acknowledged: bool
    measures: int


@dataclass
class WeekSummary:
    week: Week
    villages: list[VillageLine]
    total: VillageLine
    open_red: list[OpenRed]
    due_by_helper: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    undelivered: int = 0  # messages of the township Telegram refused for good this week
    uncovered: int = 0  # households with an open risk no delivered measure covers (now)
    late_by_unit: list[tuple[str, int]] = field(default_factory=list)  # measures past deadline


@dataclass(frozen=True)
class TrendPoint:
    week: Week
    monitored: int
    done: int
    red: int

    @property
    def rate(self) -> float | None:
        return self.done / self.monitored if self.monitored else None


def _scope(
    query: SelectT,
    township_id: int | None,
    village_id: int | None,
    cutoff: datetime,
    townships: Sequence[int] | None = None,
) -> SelectT:
    query = query.where(
        Household.status == HouseholdStatus.MONITORED.value, Household.created_at < cutoff
    )
    return in_place(query, township_id, village_id, townships)  # type: ignore[no-any-return]


def _open_at(cutoff: datetime) -> ColumnElement[bool]:
    return and_(
        Alert.opened_at < cutoff,
        or_(Alert.closed_at.is_(None), Alert.closed_at >= cutoff),
    )


def _cutoff(week: Week, now: datetime, tz: Any) -> datetime:
    return min(week.ends_at(tz), now)


def _visited(week: Week, cadence: Cadence) -> ColumnElement[bool]:
    """A check-in in the visit period of `week`, up to `week`."""
    weeks = [str(p) for p in period_of(week, cadence) if p <= week]
    in_period = CheckIn.week == weeks[0] if len(weeks) == 1 else CheckIn.week.in_(weeks)
    return exists().where(CheckIn.household_id == Household.id, in_period, CheckIn.is_current)


def week_summary(
    session: Session,
    week: Week,
    *,
    now: datetime,
    tz: Any,
    township_id: int | None = None,
    village_id: int | None = None,
    townships: Sequence[int] | None = None,
    due_list: bool = False,
    cadence: Cadence = Cadence.WEEKLY,
) -> WeekSummary:
    """The week for a township, one of its villages, several townships (`townships`: a
    county), or (none of these) everything: monitored, due, done, missed, red and watch
    households per village, the red warnings open at the cutoff, and (with `due_list`) who
    still has households to visit. Done: visited in the visit period so far (`cadence`: the
    week itself for weekly visits)."""
    cutoff = _cutoff(week, now, tz)
    w = str(week)
    missed = exists().where(MissedVisit.household_id == Household.id, MissedVisit.week == w)
    red = exists().where(Alert.household_id == Household.id, _open_at(cutoff))
    latest = (
        select(CheckIn.week, CheckIn.level)
        .where(CheckIn.household_id == Household.id, CheckIn.is_current, CheckIn.week <= w)
        .order_by(CheckIn.week.desc())
        .limit(1)
    )
    lateral: Any = None
    if session.get_bind().dialect.name == "postgresql":
        # One index probe per household for both: the latest check-in up to the week, joined
        # LATERAL; visited in the period when that check-in lies in it (the period's weeks
        # up to `week` are the latest ones). A third less work for a county than a probe
        # for each (bench/README.md, the province run). SQLite has no LATERAL.
        lateral = latest.lateral("latest")
        first = str(period_of(week, cadence)[0])
        done: ColumnElement[bool] = lateral.c.week >= first
        latest_level: Any = lateral.c.level
    else:
        done = _visited(week, cadence)
        latest_level = latest.with_only_columns(CheckIn.level).correlate(Household)
        latest_level = latest_level.scalar_subquery()

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    query = _scope(
        select(
            Village.id,
            Village.name,
            func.count(Household.id),
            flag(done),
            flag(missed),
            flag(red),
            flag(and_(latest_level == "watch", ~red)),
        )
        .select_from(Household)
        .join(Village, Village.id == Household.village_id)
        .group_by(Village.id, Village.name)
        .order_by(Village.name),
        township_id,
        village_id,
        cutoff,
        townships,
    )
    if lateral is not None:
        query = query.outerjoin(lateral, true())
    villages = [
        VillageLine(name, int(m), int(d), int(mi), int(r), int(wa))
        for _, name, m, d, mi, r, wa in session.execute(query)
    ]
    total = VillageLine(
        "",
        *(
            sum(getattr(v, k) for v in villages)
            for k in ("monitored", "done", "missed", "red", "watch")
        ),
    )
    return WeekSummary(
        week,
        villages,
        total,
        open_red(
            session, cutoff, township_id=township_id, village_id=village_id, townships=townships
        ),
        due_by_helper(
            session, week, cutoff, township_id=township_id, village_id=village_id, cadence=cadence
        )
        if due_list
        else {},
        undelivered_count(session, township_id, week.starts_at(tz), cutoff)
        if township_id is not None and village_id is None
        else 0,
        # as they stand now: a measure's past statuses are in the audit trail only
        uncovered_households(
            session, township_id=township_id, village_id=village_id, townships=townships
        ),
        late_by_unit(
            session,
            now.astimezone(tz).date(),
            township_id=township_id,
            village_id=village_id,
            townships=townships,
        ),
    )


def undelivered_count(session: Session, township_id: int, since: datetime, until: datetime) -> int:
    """Messages queued in [since, until] for the township's groups or people that could not be
    delivered (outbox rows marked failed)."""
    groups = select(GroupBinding.chat_id).where(GroupBinding.township_id == township_id)
    people = select(Person.platform_user_id).where(
        Person.township_id == township_id, Person.platform_user_id.is_not(None)
    )
    return int(
        session.scalar(
            select(func.count(OutboxMessage.id)).where(
                OutboxMessage.status == "failed",
                OutboxMessage.created_at >= since,
                OutboxMessage.created_at <= until,
                or_(OutboxMessage.chat_id.in_(groups), OutboxMessage.chat_id.in_(people)),
            )
        )
        or 0
    )


def open_red(
    session: Session,
    cutoff: datetime,
    *,
    township_id: int | None = None,
    village_id: int | None = None,
    townships: Sequence[int] | None = None,
) -> list[OpenRed]:
    """Red warnings open at `cutoff`, oldest first, with how many measures each has."""
    measures = (
        select(func.count(Measure.id))
        .where(Measure.alert_id == Alert.id)
        .correlate(Alert)
        .scalar_subquery()
    )
    query = _scope(
        select(
            Household.number,
            Household.head_name,
            Village.name,
            Alert.opened_at,
            Alert.acknowledged_at,
            measures,
        )
        .select_from(Alert)
        .join(Household, Household.id == Alert.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(_open_at(cutoff))
        .order_by(Alert.opened_at, Household.number),
        township_id,
        village_id,
        cutoff,
        townships,
    )
    return [
        OpenRed(number, head, village, opened, acked is not None and acked < cutoff, int(n or 0))
        for number, head, village, opened, acked, n in session.execute(query)
    ]


def due_by_helper(
    session: Session,
    week: Week,
    cutoff: datetime,
    *,
    township_id: int | None = None,
    village_id: int | None = None,
    cadence: Cadence = Cadence.WEEKLY,
) -> dict[str, list[tuple[str, str]]]:
    """Households not visited in `week`'s visit period so far, by helper name ("—" for
    none)."""
    done = _visited(week, cadence)
    query = _scope(
        select(Person.name, Household.number, Household.head_name)
        .select_from(Household)
        .join(Village, Village.id == Household.village_id)
        .outerjoin(HelperAssignment, HelperAssignment.household_id == Household.id)
        .outerjoin(Person, Person.id == HelperAssignment.helper_id)
        .where(~done)
        .order_by(Person.name, Household.number),
        township_id,
        village_id,
        cutoff,
    )
    result: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for helper, number, head in session.execute(query):
        result[helper or "—"].append((number, head))
    return dict(sorted(result.items()))


def trend(
    session: Session,
    last: Week,
    *,
    now: datetime,
    tz: Any,
    weeks: int = 8,
    township_id: int | None = None,
    village_id: int | None = None,
    cadence: Cadence = Cadence.WEEKLY,
) -> list[TrendPoint]:
    """The `weeks` weeks ending with `last`: monitored, checked in and red households per
    week, oldest first. One query over the households in scope, with a flag per week for
    each count (index probes per household: the cost follows the township, not the
    province's check-ins of those weeks)."""
    span = [last]
    for _ in range(weeks - 1):
        span.append(span[-1].previous())
    span.reverse()
    cutoffs = [_cutoff(w, now, tz) for w in span]

    def flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    columns: list[ColumnElement[int]] = []
    for w, cutoff in zip(span, cutoffs, strict=True):
        registered = Household.created_at < cutoff
        done = _visited(w, cadence)
        red = exists().where(Alert.household_id == Household.id, _open_at(cutoff))
        columns += [flag(registered), flag(and_(registered, done)), flag(and_(registered, red))]
    query = _scope(
        select(*columns).select_from(Household).join(Village, Village.id == Household.village_id),
        township_id,
        village_id,
        cutoffs[-1],
    )
    counts = [int(n) for n in session.execute(query).one()]
    return [
        TrendPoint(w, counts[3 * i], counts[3 * i + 1], counts[3 * i + 2])
        for i, w in enumerate(span)
    ]
