"""Give what is missing (缺啥补啥), made visible: a household's risks, and for each whether a
delivered measure of a matching category covers it. Pure: the caller gathers the reason codes
and the categories of the household's delivered measures (docs/policy.md, "Coverage").

A risk is one of RISKS; it comes from a reason code of `monitoring.risk` (a guarantee that
fails, income under a line). Only delivered measures (已落实) cover a risk: a task still
pending is no help yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

INCOME = "income"
# In the order a plan lists them: income first, then 两不愁三保障 and drinking water.
RISKS = (INCOME, "food", "clothing", "education", "medical", "housing", "water")

# risk -> the categories of monitoring.measures whose delivered measure covers it
COVERS: dict[str, tuple[str, ...]] = {
    INCOME: ("industry", "employment", "finance", "protection"),
    "food": ("protection", "relief"),
    "clothing": ("protection", "relief"),
    "education": ("education",),
    "medical": ("relief", "health"),
    "housing": ("housing",),
    "water": ("water",),
}

# The reason codes of monitoring.risk that are a risk to cover (the others, a large
# expenditure or a drop in income, show in the income risk once income is under a line).
_INCOME_CODES = frozenset({"income_below_red_line", "income_below_watch_line"})


def risk_of(code: str) -> str | None:
    """The risk a reason code names, or None (a code that is no risk to cover)."""
    if code in _INCOME_CODES:
        return INCOME
    if code.startswith("guarantee_") and code.removeprefix("guarantee_") in COVERS:
        return code.removeprefix("guarantee_")
    return None


def risks_of(codes: Iterable[str]) -> tuple[str, ...]:
    """The risks that reason codes name, each once, in RISKS' order."""
    found = {risk for risk in (risk_of(code) for code in codes) if risk is not None}
    return tuple(risk for risk in RISKS if risk in found)


@dataclass(frozen=True)
class Cover:
    """One risk, and the categories of the delivered measures that cover it (none: uncovered)."""

    risk: str
    by: tuple[str, ...]

    @property
    def covered(self) -> bool:
        return bool(self.by)


def coverage(risks: Iterable[str], delivered: Iterable[str]) -> list[Cover]:
    """For each risk (in RISKS' order), which delivered categories cover it."""
    done = set(delivered)
    wanted = set(risks)
    return [
        Cover(risk, tuple(c for c in COVERS[risk] if c in done)) for risk in RISKS if risk in wanted
    ]


def uncovered(risks: Iterable[str], delivered: Iterable[str]) -> tuple[str, ...]:
    """The risks no delivered measure covers, in RISKS' order."""
    return tuple(c.risk for c in coverage(risks, delivered) if not c.covered)
