"""Help measures as tasks (帮扶措施): their categories, the unit each is given to, and the
status a unit moves them through. Pure: no storage, no texts.

The categories are the seed plan's 六、帮扶措施, refined to the national monitoring system's
list; each names the units the seed makes responsible for it, offered first (the others
are the township's choice). A unit is a name: the seed's four (各村, 帮扶责任人, 镇社保所,
镇民政办) and those the roster's 单位 column names. 各村 is the household's village
committee (its village head), 帮扶责任人 the household's own helper.

Status (docs/policy.md): 待办理 (pending) → 办理中 (in progress) → 已落实 (delivered), or
未通过 (refused, with a reason) from either open status. Delivered and refused are final.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from monitoring.people import Role

VILLAGE = "各村"
HELPER = "帮扶责任人"
SOCIAL_SECURITY = "镇社保所"
CIVIL_AFFAIRS = "镇民政办"
SEED_UNITS = (VILLAGE, HELPER, SOCIAL_SECURITY, CIVIL_AFFAIRS)

# category -> the units the seed names for it, offered first
CATEGORIES: dict[str, tuple[str, ...]] = {
    "industry": (VILLAGE, HELPER),  # 产业帮扶
    "employment": (SOCIAL_SECURITY, HELPER),  # 就业帮扶, 公益岗位
    "finance": (HELPER, VILLAGE),  # 金融帮扶, 小额信贷
    "protection": (CIVIL_AFFAIRS, SOCIAL_SECURITY),  # 综合保障: 低保, 特困, 养老保险
    "relief": (CIVIL_AFFAIRS,),  # 临时救助: 医疗, 残疾, 灾害, 价格补贴
    "health": (CIVIL_AFFAIRS, VILLAGE),  # 健康帮扶
    "education": (VILLAGE, HELPER),  # 教育帮扶
    "housing": (VILLAGE,),  # 住房安全
    "water": (VILLAGE,),  # 饮水安全
    "motivation": (VILLAGE, HELPER),  # 扶志扶智
    "other": (VILLAGE,),  # 其他
}
# The measure kinds recorded before measures were tasks, as categories (the same words).
KIND_CATEGORY = {kind: kind for kind in CATEGORIES}
# The responsible units recorded before, as unit names (migration 0018).
OLD_UNITS = {
    "village": VILLAGE,
    "helper": HELPER,
    "civil_affairs": CIVIL_AFFAIRS,
    "social_security": SOCIAL_SECURITY,
    "township": "镇政府",
    "other": "其他",
}


def units_for(category: str, roster_units: Iterable[str] = ()) -> list[str]:
    """Every unit a measure of this category may go to, the seed's for it first."""
    ordered = [*CATEGORIES.get(category, ()), *SEED_UNITS, *sorted(roster_units)]
    return list(dict.fromkeys(ordered))


class Status(StrEnum):
    PENDING = "pending"  # 待办理
    IN_PROGRESS = "in_progress"  # 办理中
    DONE = "done"  # 已落实
    REFUSED = "refused"  # 未通过


OPEN = frozenset({Status.PENDING, Status.IN_PROGRESS})
NEXT: dict[Status, tuple[Status, ...]] = {
    Status.PENDING: (Status.IN_PROGRESS, Status.DONE, Status.REFUSED),
    Status.IN_PROGRESS: (Status.DONE, Status.REFUSED),
    Status.DONE: (),
    Status.REFUSED: (),
}
REASON_LONGEST = 500


class BadMove(ValueError):
    """A status change the state machine does not allow; the measure stays as it was."""


def move(current: Status, to: Status, reason: str | None = None) -> tuple[Status, str | None]:
    """The status after a change, with the reason kept: refusing needs a reason, nothing
    else takes one. Raises BadMove for a change from a final status or backwards."""
    if to not in NEXT[current]:
        raise BadMove(f"{current} -> {to}")
    text = " ".join((reason or "").split())
    if to is Status.REFUSED:
        if not text:
            raise BadMove("a refusal needs a reason")
        return to, text[:REASON_LONGEST]
    if text:
        raise BadMove(f"{to} takes no reason")
    return to, None


def tells_household(to: Status) -> bool:
    """Whether the household's helper and village head are told of the change."""
    return to in (Status.DONE, Status.REFUSED)


@dataclass(frozen=True)
class Doer:
    """Who wants to carry a measure out."""

    person_id: int
    role: Role
    unit: str | None
    village_id: int | None


def carries_out(doer: Doer, unit: str, *, village_id: int, helper_id: int | None) -> bool:
    """Whether `doer` carries out a measure given to `unit` for a household of `village_id`
    whose helper is `helper_id`: 各村 is that village's head, 帮扶责任人 that helper, any
    other unit its unit staff."""
    if unit == VILLAGE:
        return doer.role is Role.VILLAGE_HEAD and doer.village_id == village_id
    if unit == HELPER:
        return helper_id is not None and doer.person_id == helper_id
    return doer.role is Role.UNIT_STAFF and doer.unit == unit


SOON_DAYS = 2  # an open measure due within this many days is "soon due" (即将到期)
# A household identified longer ago than this is not chased for its plan (the reminder is for
# new identifications; at the first start it does not reach back through the years).
PLAN_WINDOW_DAYS = 30


class Due(StrEnum):
    """How near an open measure's deadline is, for the daily reminder: each stage told
    once per measure."""

    SOON = "soon"  # 即将到期: due today or within SOON_DAYS
    OVERDUE = "overdue"  # 已逾期: the deadline has passed


def due_stage(status: Status, deadline: date | None, today: date) -> Due | None:
    """The reminder an open measure is owed today; None for a delivered or refused one, one
    without a deadline or one not yet near it."""
    if status not in OPEN or deadline is None:
        return None
    if deadline < today:
        return Due.OVERDUE
    if (deadline - today).days <= SOON_DAYS:
        return Due.SOON
    return None


def plan_overdue(identified_on: date, measures_since: int, today: date, plan_days: int) -> bool:
    """A household just identified has no help measure recorded `plan_days` after: its
    helper and village head are reminded to record its plan (once)."""
    return measures_since == 0 and (today - identified_on).days >= plan_days
