"""Leaving monitoring (risk elimination): the criteria checked against the stored history, and
when an elimination may be recorded. Pure rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from monitoring.cadence import Cadence, period_of, periods_needed
from monitoring.coverage import uncovered
from monitoring.i18n import N_
from monitoring.proposals import Refused
from monitoring.weeks import Week


@dataclass(frozen=True)
class IncomeRecord:
    week: Week
    per_capita: Decimal
    watch_line: Decimal


@dataclass(frozen=True)
class EliminationFacts:
    """What the stored history says about a household, as of `today`."""

    today: date
    identified_on: date
    incomes: tuple[IncomeRecord, ...]  # current check-ins of the last STABLE_WEEKS weeks
    first_checkin: Week | None  # the household's earliest check-in ever
    latest_level: str | None
    open_red: bool
    measures: int  # delivered measures (已落实)
    has_labour: bool | None
    risks: tuple[str, ...] = ()  # every risk it had while monitored (monitoring.coverage)
    delivered: tuple[str, ...] = ()  # the categories of its delivered measures


@dataclass(frozen=True)
class Criterion:
    code: str
    holds: bool
    numbers: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "holds": self.holds, "numbers": dict(self.numbers)}


STABLE_WEEKS = 26  # "about 6 months"
MIN_CHECKINS = 20  # of those 26 weeks: steadily observed, a few missed visits allowed
HALF_YEAR = timedelta(days=182)


def elimination_criteria(
    facts: EliminationFacts, this_week: Week, cadence: Cadence = Cadence.WEEKLY
) -> list[Criterion]:
    """docs/policy.md "Leaving monitoring", each criterion with whether it holds and its numbers.

    - stable_income: check-ins cover the last 26 weeks (the first is at least 25 weeks old),
      at least 20 of those weeks were checked in (with fortnightly or monthly visits: 10 of
      13 fortnights, 5 of 6 months; `cadence.periods_needed`), and every one had per-capita
      income at or above that year's watch line;
    - latest_green: the latest check-in was green (the guarantees and water secure, no rigid
      expenditure above last year's income, income above the watch line);
    - no_open_red: no red warning is open;
    - measure_taken: at least one help measure was delivered (已落实), and for each risk the
      household had (monitoring.coverage: a failed guarantee, income under a line) a
      delivered measure of a matching category; its numbers name the uncovered risks;
    - half_year: at least 182 days since the household was identified;
    - labour: someone in the household is able to work (households without stay monitored).
    """
    start = this_week
    for _ in range(STABLE_WEEKS - 1):
        start = start.previous()
    covered = facts.first_checkin is not None and facts.first_checkin <= start
    below = [r for r in facts.incomes if r.per_capita < r.watch_line]
    _, needed = periods_needed(STABLE_WEEKS, MIN_CHECKINS / STABLE_WEEKS, cadence)
    visited = len({period_of(r.week, cadence)[0] for r in facts.incomes})
    stable = covered and visited >= needed and not below
    lowest = min((r.per_capita for r in facts.incomes), default=None)
    since = (facts.today - facts.identified_on).days
    missing = uncovered(facts.risks, facts.delivered)
    return [
        Criterion(
            "stable_income",
            stable,
            {
                "checked": str(visited),
                "weeks": str(STABLE_WEEKS),
                "needed": str(needed),
                "below": str(len(below)),
                "lowest": str(lowest) if lowest is not None else "—",
            },
        ),
        Criterion("latest_green", facts.latest_level == "green", {}),
        Criterion("no_open_red", not facts.open_red, {}),
        Criterion(
            "measure_taken",
            facts.measures > 0 and not missing,
            {"measures": str(facts.measures), "uncovered": ",".join(missing)},
        ),
        Criterion(
            "half_year",
            facts.today - facts.identified_on >= HALF_YEAR,
            {"days": str(since), "identified_on": facts.identified_on.isoformat()},
        ),
        Criterion(
            "labour",
            facts.has_labour is True,
            {"known": "yes" if facts.has_labour is not None else "no"},
        ),
    ]


def check_elimination(number: str, monitored: bool, criteria: list[Criterion]) -> None:
    """Refused unless the household is monitored and every criterion holds. There is no
    override: a household whose income is not stable is not marked eliminated, and one with
    no one able to work is not eliminated on income alone (it stays monitored, with social
    protection as its measure); a special case is referred to the county."""
    if not monitored:
        raise Refused(N_("Household {number} is not monitored."), number=number)
    if not all(c.holds for c in criteria):
        raise Refused(
            N_(
                "Not every criterion holds: the risk can not be marked eliminated. A special "
                "case can be referred to the county, with a reason."
            )
        )


def check_referral(number: str, monitored: bool, criteria: list[Criterion]) -> None:
    """A referral to the county is for a monitored household whose criteria do not all
    hold (when they do, the elimination is confirmed instead)."""
    if not monitored:
        raise Refused(N_("Household {number} is not monitored."), number=number)
    if all(c.holds for c in criteria):
        raise Refused(N_("Every criterion holds: confirm the elimination instead."))
