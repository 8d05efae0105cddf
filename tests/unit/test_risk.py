"""assess() pinned to docs/policy.md: every rule, its boundaries, and never GREEN on a failure."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.policy import DEFAULT_POLICY
from monitoring.risk import GUARANTEES, Level, Situation, assess

LINES = DEFAULT_POLICY.lines[2020]
ALL_OK = dict.fromkeys(GUARANTEES, True)


def situation(
    per_capita: int | Decimal,
    *,
    members: int = 1,
    expenditure: int = 0,
    last_year_per_capita: int = 5000,
    last_year_members: int | None = None,
    guarantees: dict[str, bool | None] | None = None,
) -> Situation:
    """A household whose per-capita income comes out at exactly `per_capita`."""
    return Situation(
        members=members,
        expected_income=Decimal(per_capita) * members + expenditure,
        rigid_expenditure_this_year=Decimal(expenditure),
        last_year_income_per_capita=Decimal(last_year_per_capita),
        last_year_members=last_year_members or members,
        guarantees=guarantees or ALL_OK,
    )


def codes(level_and_reasons: object) -> set[str]:
    return {r.code for r in level_and_reasons.reasons}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("per_capita", "level"),
    [
        (4799, Level.RED),
        (4800, Level.WATCH),
        (4801, Level.WATCH),
        (5999, Level.WATCH),
        (6000, Level.GREEN),
        (6001, Level.GREEN),
    ],
)
def test_income_lines_and_their_boundaries(per_capita: int, level: Level) -> None:
    # last year's income equals this year's: no drop rule in play
    result = assess(situation(per_capita, last_year_per_capita=per_capita), LINES)
    assert result.level is level
    assert result.per_capita_income == Decimal(per_capita)


def test_red_reason_carries_its_numbers() -> None:
    result = assess(situation(4500, last_year_per_capita=4500), LINES)
    [reason] = result.reasons
    assert reason.code == "income_below_red_line"
    assert reason.numbers == {"per_capita": "4500.00", "line": "4800.00"}


@pytest.mark.parametrize(("this_year", "watch"), [(7100, False), (7000, True), (6999, True)])
def test_a_drop_of_30_percent_is_watch_and_29_is_not(this_year: int, watch: bool) -> None:
    # last year 10,000 per person: 7,100 is a 29 % drop, 7,000 is 30 %.
    result = assess(situation(this_year, last_year_per_capita=10_000), LINES)
    assert ("income_dropped" in codes(result)) is watch
    assert result.level is (Level.WATCH if watch else Level.GREEN)


def test_expenditure_above_last_years_household_income_is_watch() -> None:
    # 3 people, 6,000 each last year = 18,000; this year's expenditure 18,001.
    above = assess(situation(7000, members=3, expenditure=18_001, last_year_per_capita=6000), LINES)
    assert "expenditure_above_last_year_income" in codes(above) and above.level is Level.WATCH
    equal = assess(situation(7000, members=3, expenditure=18_000, last_year_per_capita=6000), LINES)
    assert "expenditure_above_last_year_income" not in codes(equal)


def test_per_capita_income_subtracts_expenditure_and_divides_by_members() -> None:
    s = Situation(
        members=4,
        expected_income=Decimal(30_000),
        rigid_expenditure_this_year=Decimal(10_000),
        last_year_income_per_capita=Decimal(5000),
        last_year_members=4,
        guarantees=ALL_OK,
    )
    assert assess(s, LINES).per_capita_income == Decimal(5000)


def test_no_school_age_child_is_not_a_failure() -> None:
    guarantees: dict[str, bool | None] = {**ALL_OK, "education": None}
    result = assess(situation(8000, last_year_per_capita=8000, guarantees=guarantees), LINES)
    assert result.level is Level.GREEN


@given(
    per_capita=st.integers(min_value=-50_000, max_value=200_000),
    members=st.integers(min_value=1, max_value=30),
    expenditure=st.integers(min_value=0, max_value=500_000),
    last_year=st.integers(min_value=0, max_value=100_000),
    failing=st.sets(st.sampled_from(GUARANTEES), min_size=1),
)
def test_never_green_and_always_red_when_a_guarantee_fails(
    per_capita: int, members: int, expenditure: int, last_year: int, failing: set[str]
) -> None:
    guarantees: dict[str, bool | None] = {g: g not in failing for g in GUARANTEES}
    result = assess(
        situation(
            per_capita,
            members=members,
            expenditure=expenditure,
            last_year_per_capita=last_year,
            guarantees=guarantees,
        ),
        LINES,
    )
    assert result.level is Level.RED
    assert {f"guarantee_{g}" for g in failing} <= codes(result)


@given(
    per_capita=st.integers(min_value=-50_000, max_value=200_000),
    members=st.integers(min_value=1, max_value=30),
    expenditure=st.integers(min_value=0, max_value=500_000),
    last_year=st.integers(min_value=0, max_value=100_000),
)
def test_level_is_the_worst_of_its_reasons(
    per_capita: int, members: int, expenditure: int, last_year: int
) -> None:
    result = assess(
        situation(
            per_capita, members=members, expenditure=expenditure, last_year_per_capita=last_year
        ),
        LINES,
    )
    worst = max((r.level for r in result.reasons), key=lambda lv: lv.rank, default=Level.GREEN)
    assert result.level is worst
    assert (result.level is Level.RED) == (Decimal(per_capita) < LINES.red_line)
    if Decimal(per_capita) >= LINES.watch_line and not result.reasons:
        assert result.level is Level.GREEN
