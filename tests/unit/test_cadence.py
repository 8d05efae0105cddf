"""Visit periods: every week in exactly one period of each cadence, fortnights that do not
depend on where a year starts, months of four or five weeks; the policy file's `visits`;
the elimination's half year counted in periods."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from itertools import pairwise

import pytest

from monitoring.cadence import (
    Cadence,
    is_last_week,
    period_of,
    periods_needed,
    previous_period_end,
)
from monitoring.elimination import EliminationFacts, IncomeRecord, elimination_criteria
from monitoring.policy import PolicyError, parse_policy
from monitoring.weeks import Week, week_of_date

LINES = "[lines.2026]\nred_line = 7200\nwatch_line = 9000\n"


def all_weeks(first: date, last: date) -> list[Week]:
    weeks, day = [], first
    while day <= last:
        weeks.append(week_of_date(day))
        day += timedelta(weeks=1)
    return weeks


@pytest.mark.parametrize("cadence", list(Cadence))
def test_every_week_lies_in_exactly_one_period_of_whole_consecutive_weeks(
    cadence: Cadence,
) -> None:
    weeks = all_weeks(date(2023, 1, 2), date(2029, 12, 31))
    for week in weeks:
        period = period_of(week, cadence)
        assert week in period
        for earlier, later in pairwise(period):
            assert earlier.next() == later  # consecutive
        for other in period:  # each of its weeks has this same period: in one period only
            assert period_of(other, cadence) == period
        assert is_last_week(week, cadence) == (period[-1] == week)
        assert period_of(previous_period_end(week, cadence), cadence)[-1].next() == period[0]
    sizes = {len(period_of(w, cadence)) for w in weeks}
    assert (
        sizes == {Cadence.WEEKLY: {1}, Cadence.FORTNIGHTLY: {2}, Cadence.MONTHLY: {4, 5}}[cadence]
    )


def test_fortnights_run_on_across_a_new_year_and_months_follow_thursdays() -> None:
    # 2026 has 53 ISO weeks: the fortnight of 2026-W53 goes on into 2027.
    assert period_of(Week(2026, 53), Cadence.FORTNIGHTLY) in (
        (Week(2026, 52), Week(2026, 53)),
        (Week(2026, 53), Week(2027, 1)),
    )
    # December 2026: Thursdays 3, 10, 17, 24, 31 (W49 to W53); W48's Thursday is 26 Nov.
    assert period_of(Week(2026, 50), Cadence.MONTHLY) == tuple(Week(2026, n) for n in range(49, 54))
    assert period_of(Week(2026, 48), Cadence.MONTHLY)[-1] == Week(2026, 48)
    assert period_of(Week(2027, 1), Cadence.MONTHLY)[0] == Week(2027, 1)  # Thu 7 Jan


def test_the_policy_file_says_how_often_households_are_visited() -> None:
    assert parse_policy(LINES, "p.toml").visits is Cadence.WEEKLY
    assert parse_policy('visits = "monthly"\n' + LINES, "p.toml").visits is Cadence.MONTHLY
    with pytest.raises(PolicyError) as bad:
        parse_policy('visits = "daily"\n' + LINES, "p.toml")
    assert str(bad.value) == (
        "p.toml: visits = 'daily': use 'weekly' or 'fortnightly' or 'monthly'"
    )


def test_the_half_year_of_stable_income_is_counted_in_visit_periods() -> None:
    assert periods_needed(26, 20 / 26, Cadence.WEEKLY) == (26, 20)
    assert periods_needed(26, 20 / 26, Cadence.FORTNIGHTLY) == (13, 10)
    assert periods_needed(26, 20 / 26, Cadence.MONTHLY) == (6, 5)
    this_week = Week(2026, 49)
    weeks = [this_week]
    for _ in range(25):
        weeks.append(weeks[-1].previous())
    watch = Decimal(6000)

    def stable(visited: list[Week], cadence: Cadence) -> bool:
        facts = EliminationFacts(
            today=date(2026, 12, 1),
            identified_on=date(2025, 1, 1),
            incomes=tuple(IncomeRecord(w, Decimal(7000), watch) for w in visited),
            first_checkin=weeks[-1],
            latest_level="green",
            open_red=False,
            measures=1,
            has_labour=True,
        )
        [criterion, *_] = elimination_criteria(facts, this_week, cadence)
        return criterion.holds

    one_per_fortnight = [w for w in weeks if is_last_week(w, Cadence.FORTNIGHTLY)]
    assert len(one_per_fortnight) == 13
    assert stable(one_per_fortnight, Cadence.FORTNIGHTLY)
    assert not stable(one_per_fortnight, Cadence.WEEKLY)  # 13 of 26 weeks: too few
    assert not stable(one_per_fortnight[:9], Cadence.FORTNIGHTLY)
    # two check-ins in one fortnight count once
    doubled = [*one_per_fortnight[:9], period_of(one_per_fortnight[0], Cadence.FORTNIGHTLY)[0]]
    assert not stable(doubled, Cadence.FORTNIGHTLY)
    one_per_month = [w for w in weeks if is_last_week(w, Cadence.MONTHLY)]
    assert stable(one_per_month[:5], Cadence.MONTHLY)
    assert not stable(one_per_month[:4], Cadence.MONTHLY)
