"""Risk assessment as docs/policy.md says: RED / WATCH / GREEN, every reason with its numbers.

Pure: the caller gathers the household's situation (this check-in plus history) and the
year's lines; `assess` decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from monitoring.policy import PolicyLines


class Level(StrEnum):
    GREEN = "green"
    WATCH = "watch"
    RED = "red"

    @property
    def rank(self) -> int:
        return {"green": 0, "watch": 1, "red": 2}[self.value]


# The five guarantees of 两不愁三保障, plus drinking water, which the policy checks with
# housing (docs/policy.md: asked as its own question); a failure of any of them is RED.
GUARANTEES = ("food", "clothing", "education", "medical", "housing", "water")


@dataclass(frozen=True)
class Reason:
    """Why a level was reached. `code` names the rule; `numbers` are what it compared."""

    code: str
    level: Level
    numbers: Mapping[str, str] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {"code": self.code, "level": self.level.value, "numbers": dict(self.numbers)}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Reason:
        numbers = data.get("numbers") or {}
        assert isinstance(numbers, dict)
        return cls(str(data["code"]), Level(str(data["level"])), numbers)


@dataclass(frozen=True)
class Situation:
    """What the assessment looks at."""

    members: int
    expected_income: Decimal  # whole household, this year, net
    rigid_expenditure_this_year: Decimal  # including what this check-in reports
    last_year_income_per_capita: Decimal
    last_year_members: int
    guarantees: Mapping[str, bool | None]  # True secure, False fails, None not applicable


@dataclass(frozen=True)
class Assessment:
    level: Level
    reasons: tuple[Reason, ...]
    per_capita_income: Decimal
    year: int

    def red_codes(self) -> frozenset[str]:
        return frozenset(r.code for r in self.reasons if r.level is Level.RED)


def _yuan(value: Decimal) -> str:
    return str(value.quantize(Decimal("0.01")))


def assess(situation: Situation, lines: PolicyLines) -> Assessment:
    if situation.members < 1:
        raise ValueError("a household has at least one member")
    per_capita = (
        situation.expected_income - situation.rigid_expenditure_this_year
    ) / situation.members
    reasons: list[Reason] = []

    for item in GUARANTEES:
        if situation.guarantees.get(item) is False:
            reasons.append(Reason(f"guarantee_{item}", Level.RED))
    if per_capita < lines.red_line:
        reasons.append(
            Reason(
                "income_below_red_line",
                Level.RED,
                {"per_capita": _yuan(per_capita), "line": _yuan(lines.red_line)},
            )
        )
    elif per_capita < lines.watch_line:
        reasons.append(
            Reason(
                "income_below_watch_line",
                Level.WATCH,
                {"per_capita": _yuan(per_capita), "line": _yuan(lines.watch_line)},
            )
        )

    last_year_household = situation.last_year_income_per_capita * situation.last_year_members
    if situation.rigid_expenditure_this_year > last_year_household:
        reasons.append(
            Reason(
                "expenditure_above_last_year_income",
                Level.WATCH,
                {
                    "expenditure": _yuan(situation.rigid_expenditure_this_year),
                    "last_year_income": _yuan(last_year_household),
                },
            )
        )
    if last_year_household > 0:
        drop = (last_year_household - situation.expected_income) / last_year_household
        if drop >= lines.income_drop:
            reasons.append(
                Reason(
                    "income_dropped",
                    Level.WATCH,
                    {
                        "expected": _yuan(situation.expected_income),
                        "last_year_income": _yuan(last_year_household),
                        "drop_percent": str((drop * 100).quantize(Decimal("0.1"))),
                        "threshold_percent": str((lines.income_drop * 100).quantize(Decimal(1))),
                    },
                )
            )

    if any(r.level is Level.RED for r in reasons):
        level = Level.RED
    elif reasons:
        level = Level.WATCH
    else:
        level = Level.GREEN
    return Assessment(level, tuple(reasons), per_capita.quantize(Decimal("0.01")), lines.year)
