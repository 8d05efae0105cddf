"""The roster files' format: the columns (Chinese and English headers), the rows they become,
and the problems reported."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from monitoring.income import IncomeParts
from monitoring.people import (
    Category,
    Role,
)

MAX_INCOME = Decimal(10_000_000)

HOUSEHOLD_COLUMNS: dict[str, tuple[str, ...]] = {
    "township": ("乡镇", "township"),
    "village": ("村", "village"),
    "household_no": ("户编号", "household_no"),
    "head_name": ("户主姓名", "head_name"),
    "id_number": ("身份证号", "id_number"),
    "members": ("家庭人口", "members"),
    "category": ("监测类型", "category"),
    "last_year_income_per_capita": ("上年人均纯收入", "last_year_income_per_capita"),
    "helper_name": ("帮扶责任人", "helper_name"),
    "helper_phone": ("帮扶责任人电话", "helper_phone"),
    # optional facts (storage/roster_facts.py)
    "identified_on": ("纳入日期", "identified_on"),
    "risk_types": ("风险类型", "risk_types"),
    "labour": ("劳动能力", "labour"),
    "villager_group": ("村民小组", "villager_group"),
    "team": ("帮扶小组", "team"),  # storage/roster_team.py
    # last year's income by source, yuan for the household: all four or none
    "wage_income": ("工资性收入", "wage_income"),
    "business_income": ("经营性净收入", "经营性收入", "business_income"),
    "property_income": ("财产性收入", "property_income"),
    "transfer_income": ("转移性收入", "transfer_income"),
    "national_code": ("系统户编号", "national_code"),  # the national system's household code
}
INCOME_COLUMNS = ("wage_income", "business_income", "property_income", "transfer_income")
HOUSEHOLD_OPTIONAL = frozenset(
    {
        "id_number",
        "identified_on",
        "risk_types",
        "labour",
        "villager_group",
        "team",
        *INCOME_COLUMNS,
        "national_code",
    }
)

STAFF_COLUMNS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name"),
    "phone": ("电话", "phone"),
    "role": ("角色", "role"),
    "township": ("乡镇", "township"),
    "village": ("村", "village"),
    "unit": ("单位", "unit"),  # a unit staff member's unit, e.g. 镇民政办
}
STAFF_OPTIONAL = frozenset({"village", "unit"})


@dataclass(frozen=True)
class RowError:
    """One reason a file can not be imported. `reason` is a message id; `params` fill it."""

    file: str
    row: int | None
    reason: str
    params: dict[str, str] = field(default_factory=dict)


class RosterError(Exception):
    def __init__(self, errors: Sequence[RowError]) -> None:
        super().__init__(f"{len(errors)} problem(s) in the roster")
        self.errors = list(errors)


@dataclass
class ImportResult:
    households_created: int = 0
    households_updated: int = 0
    households_unchanged: int = 0
    people_created: int = 0
    people_updated: int = 0
    people_unchanged: int = 0
    assignments_changed: int = 0
    teams_changed: int = 0
    incomes_changed: int = 0
    members_changed: int = 0
    households_not_in_files: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class HouseholdFacts:
    """The optional columns of a household row; None: not given (a stored value stays)."""

    identified_on: date | None = None
    risk_types: tuple[str, ...] | None = None
    has_labour: bool | None = None
    villager_group: str | None = None
    team: tuple[str, ...] | None = None  # names or E.164 numbers; (): no team
    national_code: str | None = None  # 系统户编号
    income: IncomeParts | None = None  # last year's income by source (the household's)


@dataclass(frozen=True)
class HouseholdRow:
    source: str
    row: int
    township: str
    village: str
    number: str
    head_name: str
    id_number: str | None
    members: int
    category: Category
    income: Decimal
    helper_name: str
    helper_phone: str
    facts: HouseholdFacts = HouseholdFacts()


@dataclass(frozen=True)
class StaffRow:
    source: str
    row: int
    name: str
    phone: str
    role: Role
    township: str
    village: str | None
    unit: str | None = None


# Columns that hold the name of a helper or staff member: they appear unmasked in group
# messages (the warning names its helper), so a phone pasted there would leak.
NAME_KEYS = frozenset({"helper_name", "name"})
# Columns whose values groups read (a warning names the household number, village and
# township): a value shaped like an ID or mobile number is refused there.
SHOWN_IN_GROUPS = frozenset({"household_no", "village", "township"})
