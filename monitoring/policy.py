"""The yearly lines of the policy (POLICY.md, "Risk levels"), one row per year."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PolicyLines:
    year: int
    standard: Decimal  # the year's poverty standard, yuan per person per year
    red_line: Decimal  # per-capita income below this is RED (1.2 x standard)
    watch_line: Decimal  # below this is WATCH (1.5 x standard)
    income_drop: Decimal  # a drop of at least this share against last year is WATCH


DEFAULT_LINES: dict[int, PolicyLines] = {
    2020: PolicyLines(2020, Decimal(4000), Decimal(4800), Decimal(6000), Decimal("0.30")),
}


def lines_for(year: int, table: Mapping[int, PolicyLines] = DEFAULT_LINES) -> PolicyLines:
    """The row for `year`, else the latest earlier row (said in the log), else the earliest."""
    if year in table:
        return table[year]
    earlier = [y for y in table if y < year]
    chosen = max(earlier) if earlier else min(table)
    log.info("no policy lines for %s: using those of %s", year, chosen)
    return table[chosen]
