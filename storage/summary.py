"""The numbers behind /summary: per village and for the town, one week."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from monitoring.weeks import Week
from storage.checkins import CheckIns
from storage.models import Alert, Measure, MissedVisit
from storage.schedule import Schedule


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


def week_summary(
    session: Session, week: Week, *, township_id: int, village_id: int | None = None
) -> WeekSummary:
    """The week for a township (or one of its villages): monitored, due, done, missed,
    open red and watch households, the open red warnings, and (for a village) who is due."""
    schedule = Schedule(session)
    rows = schedule.monitored(township_id=township_id, village_id=village_id)
    ids = [r.id for r in rows]
    done = schedule.done_in(week)
    levels = CheckIns(session).last_levels(ids)
    missed = set(
        session.scalars(
            select(MissedVisit.household_id).where(
                MissedVisit.week == str(week), MissedVisit.household_id.in_(ids)
            )
        )
    )
    alerts = {
        a.household_id: a
        for a in session.scalars(
            select(Alert).where(Alert.status == "open", Alert.household_id.in_(ids))
        )
    }
    measures: dict[int, int] = (
        {
            int(alert_id or 0): count
            for alert_id, count in session.execute(
                select(Measure.alert_id, func.count())
                .where(Measure.alert_id.in_([a.id for a in alerts.values()]))
                .group_by(Measure.alert_id)
            )
        }
        if alerts
        else {}
    )
    lines: dict[int, VillageLine] = {}
    due_by_helper: dict[str, list[tuple[str, str]]] = defaultdict(list)
    open_red: list[OpenRed] = []
    for row in rows:
        line = lines.setdefault(row.village_id, VillageLine(row.village_name))
        line.monitored += 1
        line.done += row.id in done
        line.missed += row.id in missed
        line.red += row.id in alerts
        line.watch += levels.get(row.id) == "watch" and row.id not in alerts
        if row.id not in done:
            due_by_helper[row.helper_name or "—"].append((row.number, row.head_name))
        alert = alerts.get(row.id)
        if alert is not None:
            open_red.append(
                OpenRed(
                    row.number,
                    row.head_name,
                    row.village_name,
                    alert.opened_at,
                    alert.acknowledged_by is not None,
                    int(measures.get(alert.id, 0)),
                )
            )
    villages = sorted(lines.values(), key=lambda v: v.name)
    total = VillageLine(
        "",
        *(
            sum(getattr(v, k) for v in villages)
            for k in ("monitored", "done", "missed", "red", "watch")
        ),
    )
    open_red.sort(key=lambda r: r.opened_at)
    return WeekSummary(week, villages, total, open_red, dict(sorted(due_by_helper.items())))
