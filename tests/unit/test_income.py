"""Income as the county counts it (monitoring/income.py), pinned to the worked example of
docs/policy.md ("Income: a worked example"), exactly."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from monitoring.income import (
    Basis,
    IncomeParts,
    Method,
    NetIncome,
    Source,
    Statement,
    basis,
    figure,
    parts_on,
)
from monitoring.policy import DEFAULT_POLICY, Expenditure, PolicyError, parse_policy
from monitoring.risk import GUARANTEES, Level, Situation, assess

LINES = DEFAULT_POLICY.lines_for(2026)
ALL_OK = dict.fromkeys(GUARANTEES, True)
LAST_YEAR = IncomeParts(Decimal(24000), Decimal(6000), Decimal(0), Decimal(3600))  # the roster


def assessed(income: NetIncome) -> tuple[Level, set[str]]:
    result = assess(
        Situation(
            members=income.members,
            expected_income=income.gross,
            rigid_expenditure_this_year=income.deduction,
            last_year_income_per_capita=Decimal(8400),
            last_year_members=4,
            guarantees=ALL_OK,
        ),
        LINES,
    )
    assert result.per_capita_income == income.per_capita  # the same figure, one way
    return result.level, {r.code for r in result.reasons}


def test_the_worked_example_of_docs_policy() -> None:
    # The shipped lines: red below 4,800, watch below 6,000 (5,650 is WATCH there).
    assert (LINES.red_line, LINES.watch_line) == (Decimal(4800), Decimal(6000))
    # 24 November 2026: the wage income fell to 18,000; a hospital stay, 5,000 paid by the
    # household itself after medical insurance and assistance.
    parts = LAST_YEAR.changed({Source.WAGE: Decimal(18000)})
    assert parts == IncomeParts(Decimal(18000), Decimal(6000), Decimal(0), Decimal(3600))
    income = figure(
        Method.SOURCES, parts=parts, single=Decimal(0), deduction=Decimal(5000), members=4
    )
    assert (income.gross, income.net, income.per_capita) == (27600, 22600, Decimal("5650.00"))
    assert assessed(income) == (Level.WATCH, {"income_below_watch_line"})
    # 12 January 2027, nothing changed: the 5,000 is still within the 12 months before.
    assert DEFAULT_POLICY.deduction_for(Basis.CHANGES) is Expenditure.LAST_12_MONTHS
    january = figure(
        Method.SOURCES, parts=parts, single=Decimal(0), deduction=Decimal(5000), members=4
    )
    assert january.per_capita == Decimal("5650.00") and assessed(january)[0] is Level.WATCH
    # The single figure (income_method = "single") counts this calendar year's expenditure
    # (the shipped `expenditure`): in January nothing, and the two methods disagree.
    assert DEFAULT_POLICY.deduction_for(Basis.SINGLE) is Expenditure.CALENDAR_YEAR
    single = figure(
        Method.SINGLE, parts=None, single=Decimal(27600), deduction=Decimal(0), members=4
    )
    assert single.per_capita == Decimal("6900.00") and assessed(single) == (Level.GREEN, set())


def test_the_figure_on_a_day_takes_each_sources_latest_statement() -> None:
    roster = [Statement(s, v, date(2026, 11, 1)) for s, v in LAST_YEAR.items()]
    change = Statement(Source.WAGE, Decimal(18000), date(2026, 11, 24))
    assert parts_on([*roster, change], date(2026, 10, 31)) is None  # nothing stated yet
    assert parts_on([*roster, change], date(2026, 11, 23)) == LAST_YEAR
    assert parts_on([*roster, change], date(2026, 11, 24)) == LAST_YEAR.changed(
        {Source.WAGE: Decimal(18000)}
    )
    # one source stated alone: the others count 0
    assert parts_on([change], date(2026, 12, 1)) == IncomeParts(wage=Decimal(18000))
    assert LAST_YEAR.differences(None) == dict(LAST_YEAR.items())
    assert LAST_YEAR.changed({Source.WAGE: Decimal(18000)}).differences(LAST_YEAR) == {
        Source.WAGE: Decimal(18000)
    }


def test_the_basis_a_check_in_asks_by_and_the_figure_kept_with_it() -> None:
    assert basis(Method.SOURCES, known=True) is Basis.CHANGES
    assert basis(Method.SOURCES, known=False) is Basis.FIRST
    assert basis(Method.SINGLE, known=True) is Basis.SINGLE
    income = figure(
        Method.SOURCES, parts=LAST_YEAR, single=Decimal(0), deduction=Decimal(0), members=4
    )
    assert NetIncome.from_json(income.as_json()) == income
    unknown = figure(
        Method.SOURCES, parts=None, single=Decimal(21000), deduction=Decimal(0), members=3
    )
    assert unknown.parts is None and unknown.per_capita == Decimal("7000.00")
    assert NetIncome.from_json(unknown.as_json()) == unknown
    with pytest.raises(ValueError):
        figure(Method.SOURCES, parts=LAST_YEAR, single=Decimal(0), deduction=Decimal(0), members=0)


def test_the_policy_file_says_which_method() -> None:
    base = "[lines.2020]\nred_line = 4800\nwatch_line = 6000\n"
    assert DEFAULT_POLICY.income_method is Method.SOURCES
    assert parse_policy(base, "p.toml").income_method is Method.SOURCES
    single = parse_policy('income_method = "single"\n' + base, "p.toml")
    assert single.income_method is Method.SINGLE
    with pytest.raises(PolicyError, match="income_method = 'by_source': use 'sources' or"):
        parse_policy('income_method = "by_source"\n' + base, "p.toml")
