"""What coverage (`monitoring/coverage.py`) is decided on: a household's open risks and the
risks it ever had, the categories of its delivered measures; and, for a township or a
village, how many households at risk have a risk no delivered measure covers, and the open
measures past their deadline per unit. Never commits."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from monitoring.coverage import risks_of, uncovered
from monitoring.measures import OPEN, Status
from monitoring.people import HouseholdStatus
from storage.ledger_lines import in_place
from storage.models import Alert, CheckIn, Household, Village
from storage.models_measures import Measure


def _codes(reasons: Iterable[dict[str, Any]] | None) -> list[str]:
    return [str(r.get("code")) for r in reasons or () if isinstance(r, dict)]


def _latest(column: Any) -> Any:
    """`column` of the household's latest current check-in (correlated to Household); the
    level alone is read from the index (household, week, is_current, level)."""
    return (
        select(column)
        .where(CheckIn.household_id == Household.id, CheckIn.is_current)
        .order_by(CheckIn.week.desc())
        .limit(1)
        .correlate(Household)
        .scalar_subquery()
    )


def delivered(session: Session, household_id: int) -> tuple[str, ...]:
    """The categories of the household's delivered measures (已落实), each once."""
    return tuple(
        session.scalars(
            select(Measure.kind)
            .where(Measure.household_id == household_id, Measure.status == Status.DONE.value)
            .distinct()
        ).all()
    )


def open_risks(session: Session, household_id: int) -> tuple[str, ...]:
    """The reasons of its open red warning, the guarantee problems and income under a line
    of its latest check-in."""
    codes = list(
        session.scalar(
            select(Alert.red_codes).where(
                Alert.household_id == household_id, Alert.status == "open"
            )
        )
        or []
    )
    latest = session.scalar(
        select(CheckIn.reasons)
        .where(CheckIn.household_id == household_id, CheckIn.is_current)
        .order_by(CheckIn.week.desc())
        .limit(1)
    )
    return risks_of([*codes, *_codes(latest)])


def risks_had(session: Session, household_id: int, since: datetime | None) -> tuple[str, ...]:
    """Every risk the household had since `since` (its identification): the reasons of its
    red warnings and of its current check-ins."""
    alerts = select(Alert.red_codes).where(Alert.household_id == household_id)
    checkins = select(CheckIn.reasons).where(
        CheckIn.household_id == household_id, CheckIn.is_current
    )
    if since is not None:
        alerts = alerts.where(Alert.opened_at >= since)
        checkins = checkins.where(CheckIn.entered_at >= since)
    codes: list[str] = []
    for red in session.scalars(alerts):
        codes += [str(c) for c in red or ()]
    for reasons in session.scalars(checkins):
        codes += _codes(reasons)
    return risks_of(codes)


def uncovered_households(
    session: Session,
    *,
    township_id: int | None = None,
    village_id: int | None = None,
    townships: Sequence[int] | None = None,
) -> int:
    """Monitored households with an open risk that no delivered measure covers. Those at risk
    are found by the database (an open warning, or a latest check-in not green); their risks
    are weighed here, a few per village."""
    # the latest check-in's reasons are read only for the households found at risk
    latest_reasons = (
        select(CheckIn.reasons).where(CheckIn.id == _latest(CheckIn.id)).scalar_subquery()
    )
    query = in_place(
        select(Household.id, Alert.red_codes, latest_reasons)
        .select_from(Household)
        .join(Village, Village.id == Household.village_id)
        .outerjoin(Alert, and_(Alert.household_id == Household.id, Alert.status == "open"))
        .where(
            Household.status == HouseholdStatus.MONITORED.value,
            or_(Alert.id.is_not(None), _latest(CheckIn.level) != "green"),
        ),
        township_id,
        village_id,
        townships,
    )
    risks: dict[int, set[str]] = defaultdict(set)
    for household_id, red, reasons in session.execute(query):
        risks[household_id].update(risks_of([*(red or ()), *_codes(reasons)]))
    at_risk = {h: r for h, r in risks.items() if r}
    if not at_risk:
        return 0
    # The delivered measures of the scope's households, not an IN list of those at risk: a
    # province has more of them than a statement may carry parameters (SQLite 32,766).
    done: dict[int, set[str]] = defaultdict(set)
    delivered_in_scope = in_place(
        select(Measure.household_id, Measure.kind)
        .join(Household, Household.id == Measure.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(
            Measure.status == Status.DONE.value,
            Household.status == HouseholdStatus.MONITORED.value,
        )
        .distinct(),
        township_id,
        village_id,
        townships,
    )
    for household_id, kind in session.execute(delivered_in_scope):
        if household_id in at_risk:
            done[household_id].add(kind)
    return sum(1 for h, r in at_risk.items() if uncovered(r, done[h]))


def late_by_unit(
    session: Session,
    today: date,
    *,
    township_id: int | None = None,
    village_id: int | None = None,
    townships: Sequence[int] | None = None,
) -> list[tuple[str, int]]:
    """Open measures (待办理, 办理中) whose deadline has passed by `today`, per unit, the most
    first."""
    count = func.count(Measure.id)
    query = in_place(
        select(Measure.responsible, count)
        .select_from(Measure)
        .join(Household, Household.id == Measure.household_id)
        .join(Village, Village.id == Household.village_id)
        .where(Measure.status.in_([s.value for s in OPEN]), Measure.deadline < today)
        .group_by(Measure.responsible)
        .order_by(count.desc(), Measure.responsible),
        township_id,
        village_id,
        townships,
    )
    return [(unit, int(n)) for unit, n in session.execute(query)]
