"""Bringing households into monitoring (the identification flow, risk types). Pure rules: the
proposal's questions and their validation, the steps a proposal goes through, who decides
at each and where each decision leads. Leaving monitoring: `monitoring/elimination.py`."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from typing import Any

from monitoring.i18n import N_
from monitoring.people import Role

# docs/policy.md "Risk types", in its order: (code, msgid).
RISK_TYPES: tuple[tuple[str, str], ...] = (
    ("illness", N_("Illness")),
    ("disability", N_("Disability")),
    ("schooling", N_("Schooling costs")),
    ("disaster", N_("Natural disaster")),
    ("accident", N_("Accident")),
    ("project", N_("Failed production project")),
    ("employment", N_("Unstable employment")),
    ("labour", N_("Lack of labour")),
    ("housing", N_("Housing")),
    ("water", N_("Drinking water")),
    ("other", N_("Other")),
)
RISK_CODES = frozenset(code for code, _ in RISK_TYPES)

# The proposal's answers, asked in this order (a draft holds them as JSON).
FIELDS = (
    "village_id",
    "head_name",
    "number",  # "" when not known
    "members",
    "category",
    "risk_types",
    "expected_income",
    "has_labour",
    "note",  # None when skipped
    "photo",  # None when skipped
)
TYPED = frozenset({"head_name", "number", "members", "expected_income", "note"})


class Status(StrEnum):
    """Where a proposal is: waiting for the village, for the township, for a helper to be
    chosen (the household is registered by then), or finished."""

    VILLAGE = "village"
    TOWNSHIP = "township"
    HELPER = "helper"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def open(self) -> bool:
        return self in (Status.VILLAGE, Status.TOWNSHIP, Status.HELPER)


LATE_AFTER = timedelta(days=5)  # a step waiting longer is late (listed and reminded)

_NUMBER_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


def next_field(answers: dict[str, Any]) -> str | None:
    """The first question not answered yet, or None when the proposal is complete."""
    for name in FIELDS:
        if name not in answers:
            return name
        if name == "risk_types" and not answers.get("risk_types_done"):
            return name
    return None


def parse_head_name(text: str) -> str:
    """A person's name: 2 to 20 characters, letters (and spaces or ·), no digits."""
    name = unicodedata.normalize("NFKC", text).strip()
    if not 2 <= len(name) <= 20:
        raise ValueError(N_("Please type the name of the head of household (2 to 20 characters)."))
    if any(c.isdigit() for c in name) or not all(c.isalpha() or c in " ·." for c in name):
        raise ValueError(N_("A name has letters only: please type the name again."))
    return name


def parse_household_number(text: str) -> str:
    """A household number as ledgers write it: letters, digits, - and _ (up to 64)."""
    number = unicodedata.normalize("NFKC", text).strip().upper()
    if not _NUMBER_RE.match(number):
        raise ValueError(N_("A household number has letters, digits, - and _ only, e.g. LX01012."))
    return number


def parse_note(text: str) -> str:
    note = text.strip()
    if not note:
        raise ValueError(N_("Please type a note, or press Skip."))
    if len(note) > 1000:
        raise ValueError(N_("Please keep the note under 1000 characters."))
    return note


class Refused(Exception):
    """A step that may not be taken (the wrong person, a step already decided...); `msgid`
    says why, translated by whoever tells the person."""

    def __init__(self, msgid: str, **params: Any) -> None:
        super().__init__(msgid)
        self.msgid = msgid
        self.params = params


class Decision(StrEnum):
    APPROVE = "approve"
    REJECT = "reject"
    ASSIGN = "assign"  # the helper chosen


# The steps: who decides at each, and where each decision leads.
DECIDER = {
    Status.VILLAGE: Role.VILLAGE_HEAD,
    Status.TOWNSHIP: Role.TOWNSHIP_STAFF,
    Status.HELPER: Role.TOWNSHIP_STAFF,
}
NEXT: dict[tuple[Status, Decision], Status] = {
    (Status.VILLAGE, Decision.APPROVE): Status.TOWNSHIP,
    (Status.VILLAGE, Decision.REJECT): Status.REJECTED,
    (Status.TOWNSHIP, Decision.APPROVE): Status.HELPER,  # the household is registered
    (Status.TOWNSHIP, Decision.REJECT): Status.REJECTED,
    (Status.HELPER, Decision.ASSIGN): Status.APPROVED,
}


@dataclass(frozen=True)
class Place:
    """Where a person or a proposal is."""

    township_id: int
    village_id: int | None


def may_decide(status: Status, role: Role, person: Place, proposal: Place) -> bool:
    """The village heads of its village decide at the village step; the staff of its
    township at the township step and choose the helper."""
    if DECIDER.get(status) is not role:
        return False
    if role is Role.VILLAGE_HEAD:
        return person.village_id == proposal.village_id
    return person.township_id == proposal.township_id


def decide(
    status: Status, step: str, decision: Decision, role: Role, person: Place, proposal: Place
) -> Status:
    """The status after `decision` taken at `step` (the step the person saw); Refused when
    it is no longer that step, the person may not decide, or the step takes no such
    decision."""
    if status != step:
        raise Refused(N_("This proposal has already been decided at this step."))
    if not may_decide(status, role, person, proposal):
        raise Refused(N_("Only the village heads of its village (then township staff) decide."))
    after = NEXT.get((status, decision))
    if after is None:
        if status is Status.HELPER:
            raise Refused(N_("The household is registered: choose its helper."))
        raise Refused(N_("Please press one of the buttons."))
    return after
