"""What township staff must enter in the national monitoring system (全国防止返贫监测信息系统):
which recorded changes are such an entry, the kind of each, and the order of the system's
screens they are entered in. Pure: the changes come from the audit trail (every change is
audited, `storage/national.py` reads it), as (action, field, new value, actor).

A change is one item: a household, a kind, what changed, when. A new kind is one `Kind` entry,
one `Rule` per audited change it stands for, and its words (`conversations/national/texts.py`).
家庭成员 (`members`): the member count a check-in changes, and each member's change a visit
records (a birth, a death, someone leaving or coming back); 收入 (`income`): the expected
income, and income by source.

The screens' order (户基本信息 → 家庭成员 → 收入 → 风险/帮扶措施 → 风险消除) is an assumption: it
follows the usual 信息采集表 of monitored households (basic facts, members, income, risks and
measures, elimination); no public manual of the system's screens was found to check it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import TypeVar

from monitoring.checkin_members import Change as MemberChange
from monitoring.income import Source
from monitoring.people import Role


class Screen(IntEnum):
    """The national system's screens, in the order they are entered."""

    BASIC = 1  # 户基本信息
    MEMBERS = 2  # 家庭成员
    INCOME = 3  # 收入
    MEASURES = 4  # 风险 / 帮扶措施
    ELIMINATION = 5  # 风险消除


class Kind(StrEnum):
    TAKEN_IN = "taken_in"  # 纳入: identified (the county approved), or back in after a break
    BASIC = "basic"  # a basic fact changed (head, category, labour, risk types)
    MEMBERS = "members"  # 家庭成员: the count, and a member born, died, left, come back
    INCOME = "income"  # 收入: the expected income, income by source
    MEASURE = "measure"  # a help measure recorded
    MEASURE_STATUS = "measure_status"  # its status changed (办理中, 已落实, 未通过)
    ELIMINATED = "eliminated"  # 风险消除 (the county approved it)
    NATURAL_END = "natural_end"  # 自然消除 (death of the last member, moving away)
    REINSTATED = "reinstated"  # back into monitoring after an elimination or a natural end


SCREEN_OF: dict[Kind, Screen] = {
    Kind.TAKEN_IN: Screen.BASIC,
    Kind.BASIC: Screen.BASIC,
    Kind.MEMBERS: Screen.MEMBERS,
    Kind.INCOME: Screen.INCOME,
    Kind.MEASURE: Screen.MEASURES,
    Kind.MEASURE_STATUS: Screen.MEASURES,
    Kind.ELIMINATED: Screen.ELIMINATION,
    Kind.NATURAL_END: Screen.ELIMINATION,
    Kind.REINSTATED: Screen.ELIMINATION,
}


@dataclass(frozen=True)
class Rule:
    """An audit row of a household (entity "household") with this action (and field, and new
    value, where given) is a change of this kind."""

    action: str
    kind: Kind
    field: str | None = None
    new: str | None = None


RULES: tuple[Rule, ...] = (
    Rule("create", Kind.TAKEN_IN),  # registered by the county's approval of a proposal
    Rule("update", Kind.TAKEN_IN, "identified_on"),  # a household known before, back in
    Rule("update", Kind.BASIC, "head_name"),
    Rule("update", Kind.BASIC, "category"),
    Rule("update", Kind.BASIC, "has_labour"),
    Rule("update", Kind.BASIC, "risk_types"),
    Rule("update", Kind.MEMBERS, "members"),
    # a member's change recorded at a visit (storage/members.py): one rule per change
    *(Rule("member", Kind.MEMBERS, change.value) for change in MemberChange),
    Rule("update", Kind.INCOME, "expected_income"),
    # income by source (monitoring/income.py): one audited field per source
    *(Rule("update", Kind.INCOME, f"income_{source.value}") for source in Source),
    Rule("measure", Kind.MEASURE),
    Rule("measure_status", Kind.MEASURE_STATUS),
    Rule("update", Kind.ELIMINATED, "status", "eliminated"),
    Rule("natural_end", Kind.NATURAL_END),
    Rule("reinstate", Kind.REINSTATED),
)
# The facts a new household's item shows itself: their changes in the same list are not
# listed again.
SHOWN_WHEN_NEW = frozenset({Kind.BASIC})


def kind_of(action: str, field: str | None, new: str | None) -> Kind | None:
    """The kind of change an audit row of a household is, or None: not for the system."""
    for rule in RULES:
        if rule.action != action:
            continue
        if rule.field is not None and rule.field != field:
            continue
        if rule.new is not None and rule.new != new:
            continue
        return rule.kind
    return None


def recorded_in_the_bot(actor: str) -> bool:
    """Only what people recorded through the bot is listed. The roster's import (its actor is
    "roster:FILES", or the sandbox's) brings what the township's files, usually the national
    system's own export, already hold."""
    return actor.startswith("person:")


@dataclass(frozen=True)
class Change:
    """One audited change of a household, as the list needs it."""

    audit_id: int
    kind: Kind
    field: str | None
    old: str | None
    new: str | None

    @property
    def screen(self) -> Screen:
        return SCREEN_OF[self.kind]


C = TypeVar("C", bound=Change)


def to_enter(changes: Iterable[C]) -> list[C]:
    """A household's changes in the order of the system's screens (within one, as they
    happened); when it was taken in, its basic facts are shown with that and not again."""
    found = sorted(changes, key=lambda c: (c.screen, c.audit_id))
    if any(c.kind is Kind.TAKEN_IN for c in found):
        found = [c for c in found if c.kind not in SHOWN_WHEN_NEW]
    return found


def measure_id(change: Change) -> int | None:
    """The measure a measure's change is about: "#12 …" in a new measure's row (field
    "measure"), "measure#12" as the field of a change of its status."""
    text = (change.field or "") if change.kind is Kind.MEASURE_STATUS else (change.new or "")
    _, _, rest = text.partition("#")
    digits = rest.split(" ", 1)[0]
    return int(digits) if digits.isdigit() else None


def keeps_the_list(role: str) -> bool:
    """Township staff enter the national system: the list is theirs (it has amounts and ID
    numbers, masked: never in a group)."""
    return role == Role.TOWNSHIP_STAFF


def may_enter(role: str, own_township: int, household_township: int) -> bool:
    """Who ticks a household's changes as entered: the staff of its own township."""
    return keeps_the_list(role) and own_township == household_township
