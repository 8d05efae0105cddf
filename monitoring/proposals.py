"""Bringing households in and out of monitoring (POLICY.md: identification flow, risk types,
leaving monitoring). Pure rules: the proposal's questions and their validation, the steps a
proposal goes through, and the risk-elimination criteria checked against stored history."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Any

from monitoring.i18n import N_
from monitoring.weeks import Week

# POLICY.md "Risk types", in its order: (code, msgid).
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


# ----------------------------------------------------------------------------- elimination


@dataclass(frozen=True)
class IncomeRecord:
    week: Week
    per_capita: Decimal
    watch_line: Decimal


@dataclass(frozen=True)
class EliminationFacts:
    """What the stored history says about a household, as of `today`."""

    today: date
    identified_on: date
    incomes: tuple[IncomeRecord, ...]  # current check-ins of the last STABLE_WEEKS weeks
    first_checkin: Week | None  # the household's earliest check-in ever
    latest_level: str | None
    open_red: bool
    measures: int
    has_labour: bool | None


@dataclass(frozen=True)
class Criterion:
    code: str
    holds: bool
    numbers: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, "holds": self.holds, "numbers": dict(self.numbers)}


STABLE_WEEKS = 26  # "about 6 months"
MIN_CHECKINS = 20  # of those 26 weeks: steadily observed, a few missed visits allowed
HALF_YEAR = timedelta(days=182)


def elimination_criteria(facts: EliminationFacts, this_week: Week) -> list[Criterion]:
    """POLICY.md "Leaving monitoring", each criterion with whether it holds and its numbers.

    - stable_income: check-ins cover the last 26 weeks (the first is at least 25 weeks old),
      at least 20 of those weeks were checked in, and every one had per-capita income at or
      above that year's watch line;
    - latest_green: the latest check-in was green (the guarantees and water secure, no rigid
      expenditure above last year's income, income above the watch line);
    - no_open_red: no red warning is open;
    - measure_taken: at least one help measure was recorded;
    - half_year: at least 182 days since the household was identified;
    - labour: someone in the household is able to work (households without stay monitored).
    """
    start = this_week
    for _ in range(STABLE_WEEKS - 1):
        start = start.previous()
    covered = facts.first_checkin is not None and facts.first_checkin <= start
    below = [r for r in facts.incomes if r.per_capita < r.watch_line]
    stable = covered and len(facts.incomes) >= MIN_CHECKINS and not below
    lowest = min((r.per_capita for r in facts.incomes), default=None)
    since = (facts.today - facts.identified_on).days
    return [
        Criterion(
            "stable_income",
            stable,
            {
                "checked": str(len(facts.incomes)),
                "weeks": str(STABLE_WEEKS),
                "needed": str(MIN_CHECKINS),
                "below": str(len(below)),
                "lowest": str(lowest) if lowest is not None else "—",
            },
        ),
        Criterion("latest_green", facts.latest_level == "green", {}),
        Criterion("no_open_red", not facts.open_red, {}),
        Criterion("measure_taken", facts.measures > 0, {"measures": str(facts.measures)}),
        Criterion(
            "half_year",
            facts.today - facts.identified_on >= HALF_YEAR,
            {"days": str(since), "identified_on": facts.identified_on.isoformat()},
        ),
        Criterion(
            "labour",
            facts.has_labour is True,
            {"known": "yes" if facts.has_labour is not None else "no"},
        ),
    ]
