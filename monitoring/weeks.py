"""Week arithmetic: the one place that says which ISO week a moment belongs to."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_WEEK_RE = re.compile(r"^\s*(\d{4})-?W(\d{1,2})\s*$", re.IGNORECASE)


@dataclass(frozen=True, order=True)
class Week:
    """An ISO week (Monday to Sunday) in the township's time zone."""

    year: int
    number: int

    def __post_init__(self) -> None:
        last = date(self.year, 12, 28).isocalendar().week
        if not 1 <= self.number <= last:
            raise ValueError(f"week {self.number} does not exist in {self.year}")

    def __str__(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def monday(self) -> date:
        return date.fromisocalendar(self.year, self.number, 1)

    @property
    def sunday(self) -> date:
        return self.monday + timedelta(days=6)

    def starts_at(self, tz: ZoneInfo) -> datetime:
        return datetime.combine(self.monday, time.min, tzinfo=tz)

    def ends_at(self, tz: ZoneInfo) -> datetime:
        """The first instant of the following week (exclusive end)."""
        return self.next().starts_at(tz)

    def next(self) -> Week:
        return week_of_date(self.monday + timedelta(days=7))

    def previous(self) -> Week:
        return week_of_date(self.monday - timedelta(days=7))

    @classmethod
    def parse(cls, text: str) -> Week:
        """Parse `2026-W48` (also `2026W48`); raise ValueError on anything else."""
        match = _WEEK_RE.match(text)
        if not match:
            raise ValueError(f"not an ISO week (YYYY-Www): {text!r}")
        return cls(int(match.group(1)), int(match.group(2)))


def week_of_date(day: date) -> Week:
    iso = day.isocalendar()
    return Week(iso.year, iso.week)


def week_of(now: datetime, tz: ZoneInfo) -> Week:
    """The ISO week that `now` (an aware datetime) falls in, seen in time zone `tz`."""
    if now.tzinfo is None:
        raise ValueError("week_of needs an aware datetime")
    return week_of_date(now.astimezone(tz).date())


_DAY = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")


def parse_day(value: object, *, earliest: date, today: date) -> date:
    """A date as spreadsheets hold it (a date cell) or people type it (`2024-03-15`,
    `2024/3/15`, `2024年3月15日`), from `earliest` to `today`; ValueError otherwise."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    else:
        match = _DAY.match(str(value).strip())
        if match is None:
            raise ValueError(value)
        year, month, dom = (int(g) for g in match.groups())
        day = date(year, month, dom)  # ValueError for 2024-02-30
    if not earliest <= day <= today:
        raise ValueError(value)
    return day
