"""The roster's optional household columns, checked: 纳入日期 (identification date), 风险类型
(risk types), 劳动能力 (labour status), 村民小组 (villager group), 帮扶小组 (the household's team:
`storage/roster_team.py`), last year's income by source (工资性收入, 经营性净收入, 财产性收入,
转移性收入: all four or none), 系统户编号 (the household's code in the national system). An
empty cell, or no such column, keeps what is stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from monitoring.amounts import AmountError, parse_amount
from monitoring.household_facts import parse_identified_on, parse_labour, parse_risk_types
from monitoring.i18n import N_
from monitoring.income import IncomeParts
from storage.roster_format import HOUSEHOLD_COLUMNS, INCOME_COLUMNS, HouseholdFacts
from storage.roster_team import read_team

NATIONAL_CODE_LONGEST = 40  # households.national_code
Problem = tuple[str, dict[str, str]]  # a message id and its parameters


def read_facts(
    values: dict[str, str], raw: dict[str, Any], today: date
) -> tuple[HouseholdFacts, list[Problem]]:
    problems: list[Problem] = []
    identified_on = None
    if values.get("identified_on"):
        try:
            identified_on = parse_identified_on(raw.get("identified_on"), today=today)
        except ValueError:
            problems.append(
                (
                    N_("纳入日期 {value} is not a date from 2015 to today (e.g. 2024-03-15)"),
                    {"value": values["identified_on"]},
                )
            )
    risk_types = None
    if values.get("risk_types"):
        try:
            risk_types = parse_risk_types(values["risk_types"])
        except ValueError as exc:
            problems.append(
                (
                    N_(
                        "unknown 风险类型 {value} (use 因病, 因残, 因学, 因灾, 因意外事故, "
                        "因产业项目失败, 因务工就业不稳, 缺劳动力, 住房安全, 饮水安全, 其他, "
                        "separated by 、)"
                    ),
                    {"value": str(exc)},
                )
            )
    has_labour = None
    if values.get("labour"):
        try:
            has_labour = parse_labour(values["labour"])
        except ValueError:
            problems.append(
                (
                    N_("劳动能力 {value} is not known (use 有劳动力, 弱劳动力 or 整户无劳动力)"),
                    {"value": values["labour"]},
                )
            )
    group = values.get("villager_group") or None
    if group is not None and len(group) > 50:
        problems.append((N_("村民小组 is longer than 50 characters"), {}))
        group = None
    team, team_problems = read_team(values.get("team", ""))
    problems += team_problems
    code = values.get("national_code") or None
    if code is not None and len(code) > NATIONAL_CODE_LONGEST:
        problems.append((N_("系统户编号 is longer than 40 characters"), {}))
        code = None
    income, income_problems = read_income(values)
    problems += income_problems
    facts = HouseholdFacts(
        identified_on, risk_types, has_labour, group, team, national_code=code, income=income
    )
    return facts, problems


def read_income(values: dict[str, str]) -> tuple[IncomeParts | None, list[Problem]]:
    """Last year's income by source: all four columns or none (None: keep what is stored)."""
    given = {key: values.get(key, "") for key in INCOME_COLUMNS}
    if not any(given.values()):
        return None, []
    missing = [HOUSEHOLD_COLUMNS[key][0] for key, text in given.items() if not text]
    if missing:
        return None, [
            (
                N_(
                    "income by source needs all four of 工资性收入, 经营性净收入, 财产性收入 and "
                    "转移性收入 (0 where there is none), or none of them: {columns} empty"
                ),
                {"columns": "、".join(missing)},
            )
        ]
    amounts = {}
    problems: list[Problem] = []
    for key, text in given.items():
        try:
            amounts[key.removesuffix("_income")] = parse_amount(text)
        except AmountError:
            problems.append(
                (
                    N_("{column} must be an amount in yuan from 0 to 10,000,000, not {value}"),
                    {"column": HOUSEHOLD_COLUMNS[key][0], "value": text},
                )
            )
    if problems:
        return None, problems
    return IncomeParts(**amounts), []
