"""The roster's optional household columns, checked: 纳入日期 (identification date), 风险类型
(risk types), 劳动能力 (labour status), 村民小组 (villager group), 帮扶小组 (the household's team:
`storage/roster_team.py`), 系统户编号 (the household's code in the national system). An empty
cell, or no such column, keeps what is stored."""

from __future__ import annotations

from datetime import date
from typing import Any

from monitoring.household_facts import parse_identified_on, parse_labour, parse_risk_types
from monitoring.i18n import N_
from storage.roster_format import HouseholdFacts
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
    return HouseholdFacts(identified_on, risk_types, has_labour, group, team, code), problems
