"""How often each monitored household is visited (the policy file's `visits`): every week,
every fortnight or every month. A visit period is made of whole ISO weeks, so check-ins stay
weekly records and a period is the weeks it spans:

- weekly: the week itself;
- fortnightly: two weeks, counted in pairs from Monday 2024-01-01 (ISO 2024-W01), so a
  period never depends on where a year starts;
- monthly: the weeks whose Thursday falls in the month (as ISO assigns weeks to years): four
  or five weeks, every week in exactly one month.

A household is due in a period until it has a check-in in one of its weeks; reminders are
sent in the period's last week, missed visits are recorded once the period has ended (under
its last week), and the elimination's half year asks for a share of its periods visited."""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from math import ceil

from monitoring.weeks import Week, week_of_date

EPOCH = date(2024, 1, 1)  # a Monday: fortnights are counted in pairs of weeks from here


class Cadence(StrEnum):
    WEEKLY = "weekly"
    FORTNIGHTLY = "fortnightly"
    MONTHLY = "monthly"


def period_of(week: Week, cadence: Cadence) -> tuple[Week, ...]:
    """The weeks of the visit period `week` lies in, in order."""
    if cadence is Cadence.WEEKLY:
        return (week,)
    if cadence is Cadence.FORTNIGHTLY:
        index = (week.monday - EPOCH).days // 7
        first = week_of_date(EPOCH + timedelta(weeks=index - index % 2))
        return (first, first.next())
    thursday = week.monday + timedelta(days=3)
    first_day = thursday.replace(day=1)
    # the first week whose Thursday is in the month
    first_thursday = first_day + timedelta(days=(3 - first_day.weekday()) % 7)
    weeks = []
    day = first_thursday
    while day.month == thursday.month:
        weeks.append(week_of_date(day))
        day += timedelta(weeks=1)
    return tuple(weeks)


def is_last_week(week: Week, cadence: Cadence) -> bool:
    """Whether `week` ends its visit period (reminders then; missed visits after it)."""
    return period_of(week, cadence)[-1] == week


def previous_period_end(week: Week, cadence: Cadence) -> Week:
    """The last week of the period before the one `week` lies in."""
    return period_of(week, cadence)[0].previous()


def periods_needed(weeks: int, share: float, cadence: Cadence) -> tuple[int, int]:
    """Of the periods in a window of `weeks` weeks (26: about half a year), how many there
    are and how many must have a visit for income to count as steadily observed (`share`:
    20 of 26 for weekly visits)."""
    per = {Cadence.WEEKLY: 1.0, Cadence.FORTNIGHTLY: 2.0, Cadence.MONTHLY: 52 / 12}[cadence]
    periods = max(1, round(weeks / per))
    return periods, max(1, ceil(periods * share - 1e-9))
