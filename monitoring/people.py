"""Roles, household categories and statuses, with the words rosters use for them."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    HELPER = "helper"
    VILLAGE_HEAD = "village_head"
    TOWNSHIP_STAFF = "township_staff"
    # Records the county's decisions on a township's proposals, when the roster names one
    # (otherwise the township staff record them).
    COUNTY_STAFF = "county_staff"
    # Works in one of the township's units (镇民政办, 镇社保所 …, the roster's 单位 column):
    # carries out the help measures given to that unit (`/tasks`).
    UNIT_STAFF = "unit_staff"


class Category(StrEnum):
    UNSTABLE = "unstable"
    MARGINAL = "marginal"
    SUDDEN_HARDSHIP = "sudden_hardship"


class HouseholdStatus(StrEnum):
    MONITORED = "monitored"
    ELIMINATED = "eliminated"
    ENDED = "ended"  # 自然消除: the last member died or the household moved away


def checked_in(status: str) -> bool:
    """Whether a household in this status is checked in: only a monitored one. One whose
    risk was marked eliminated keeps its history and needs no more visits (until it is
    reinstated); a check-in left open for it is not saved."""
    return status == HouseholdStatus.MONITORED.value


ROLE_WORDS: dict[str, Role] = {
    "帮扶责任人": Role.HELPER,
    "helper": Role.HELPER,
    "村干部": Role.VILLAGE_HEAD,
    "village_head": Role.VILLAGE_HEAD,
    "乡镇干部": Role.TOWNSHIP_STAFF,
    "镇街干部": Role.TOWNSHIP_STAFF,  # Chongqing's word (monitoring/terms.py)
    "township_staff": Role.TOWNSHIP_STAFF,
    "县级干部": Role.COUNTY_STAFF,
    "区级干部": Role.COUNTY_STAFF,
    "county_staff": Role.COUNTY_STAFF,
    "部门干部": Role.UNIT_STAFF,
    "unit_staff": Role.UNIT_STAFF,
}

# A unit's name as the roster gives it: shown in buttons, so kept short.
UNIT_NAME_LONGEST = 15


def needs_unit(role: Role) -> bool:
    """Unit staff name their unit; nobody else has one (the roster's 单位 column)."""
    return role is Role.UNIT_STAFF


def has_village(role: Role) -> bool | None:
    """Whether a role's roster row names a village: True a village head must, False
    township, county and unit staff must not, None a helper may."""
    if role is Role.VILLAGE_HEAD:
        return True
    if role in (Role.TOWNSHIP_STAFF, Role.COUNTY_STAFF, Role.UNIT_STAFF):
        return False
    return None


CATEGORY_WORDS: dict[str, Category] = {
    "脱贫不稳定户": Category.UNSTABLE,
    "unstable": Category.UNSTABLE,
    "边缘易致贫户": Category.MARGINAL,
    "marginal": Category.MARGINAL,
    "突发严重困难户": Category.SUDDEN_HARDSHIP,
    "sudden_hardship": Category.SUDDEN_HARDSHIP,
}


def parse_role(text: str) -> Role:
    try:
        return ROLE_WORDS[text.strip().lower() if text.isascii() else text.strip()]
    except KeyError:
        raise ValueError(f"unknown role {text!r}") from None


def parse_category(text: str) -> Category:
    try:
        return CATEGORY_WORDS[text.strip().lower() if text.isascii() else text.strip()]
    except KeyError:
        raise ValueError(f"unknown category {text!r}") from None


def mask_name(name: str) -> str:
    """`张三丰` -> `张**`, `Zhangsan` -> `Z*******`: keep the first character, hide the rest
    whatever the script (a name without Chinese characters is a name all the same)."""
    name = " ".join(name.split())
    if len(name) <= 1:
        return name
    return name[0] + "*" * (len(name) - 1)


def mask_id_number(id_number: str) -> str:
    """Hide all but the last 4 characters of an ID number."""
    text = id_number.strip()
    if len(text) <= 4:
        return "*" * len(text)
    return "*" * (len(text) - 4) + text[-4:]
