"""The roster's staff rows, checked: the role (帮扶责任人, 村干部, 乡镇干部, 县级干部, 部门干部),
the phone, the village (a village head's) and the unit (单位: a unit staff member's, e.g.
镇民政办; nobody else's). Kept beside `roster_check.py`, which is at its length limit."""

from __future__ import annotations

from monitoring.i18n import N_
from monitoring.people import UNIT_NAME_LONGEST, Role, has_village, needs_unit, parse_role
from monitoring.phones import InvalidPhone, normalize_mobile
from monitoring.shapes import looks_private
from storage.roster_format import StaffRow

Problem = tuple[str, dict[str, str]]  # a message id and its parameters


def read_staff(
    source: str, row: int, values: dict[str, str], ok: bool
) -> tuple[StaffRow | None, list[Problem]]:
    """The row, or None with what is wrong (`ok`: the required cells are there)."""
    problems: list[Problem] = []
    role = Role.HELPER
    if values["role"]:
        try:
            role = parse_role(values["role"])
        except ValueError:
            problems.append(
                (
                    N_(
                        "unknown 角色 {value} (use 帮扶责任人, 村干部, 乡镇干部, 县级干部, "
                        "部门干部, helper, village_head, township_staff, county_staff or "
                        "unit_staff)"
                    ),
                    {"value": values["role"]},
                )
            )
    phone = ""
    if values["phone"]:
        try:
            phone = normalize_mobile(values["phone"])
        except InvalidPhone:
            problems.append(
                (N_("电话 {value} is not a mainland mobile number"), {"value": values["phone"]})
            )
    if problems or not ok:
        return None, problems
    village = values.get("village") or None
    unit = " ".join((values.get("unit") or "").split()) or None
    if has_village(role) is True and not village:
        problems.append((N_("a village head needs a 村/village"), {}))
    if has_village(role) is False and village:
        problems.append(
            (N_("township, county and unit staff have no 村/village; leave it empty"), {})
        )
    if needs_unit(role) and not unit:
        problems.append((N_("unit staff (部门干部) need a 单位/unit, e.g. 镇民政办"), {}))
    if not needs_unit(role) and unit:
        problems.append((N_("only unit staff (部门干部) have a 单位/unit; leave it empty"), {}))
    if unit and (
        len(unit) > UNIT_NAME_LONGEST or looks_private(unit) or any(c.isdigit() for c in unit)
    ):
        problems.append(
            (
                N_("单位 {value} is not a unit's name (at most {n} characters, no digits)"),
                {"value": unit[:UNIT_NAME_LONGEST], "n": str(UNIT_NAME_LONGEST)},
            )
        )
    if problems:
        return None, problems
    return StaffRow(source, row, values["name"], phone, role, values["township"], village, unit), []
