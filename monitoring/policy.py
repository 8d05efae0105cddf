"""The policy the bot assesses with (docs/policy.md): per year, the red and watch lines and
the income-drop share, nationally or for a region (a province, a county), how rigid
expenditure is counted, and how often households are visited (`monitoring/cadence.py`).

It comes from a TOML file (`FANGFANPIN_POLICY_FILE`; the shipped default holds the 2020
lines of the seed plan). Pure: `parse_policy` takes the file's text; reading it is the
caller's (a regular file of at most MAX_BYTES). Every error is one line naming the file, the
key and the value (cut short when long)."""

from __future__ import annotations

import logging
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from monitoring.cadence import Cadence
from monitoring.income import DEFAULT_METHOD, Basis, Method
from monitoring.terms import DEFAULT_TERMS, Terms, parse_words

log = logging.getLogger(__name__)

DEFAULT_INCOME_DROP = Decimal("0.30")
# The national rural revitalisation supervision line (12317): the public notice names it
# unless the policy file gives the county's.
DEFAULT_SUPERVISION_PHONE = "12317"
MAX_BYTES = 1 << 20  # a policy file is a few KiB: anything over 1 MiB is not one
# Plausible lines, yuan per person per year: the 2020 standard was 4,000 and the provinces'
# monitoring lines since are around 6,000-10,000; a line outside is a typo (0.001, 60000000).
LINE_BOUNDS = (Decimal(1_000), Decimal(100_000))


class PolicyError(ValueError):
    """The policy file can not be used; the message says where and why."""


class Expenditure(StrEnum):
    """Which rigid expenditure counts against a year's income."""

    CALENDAR_YEAR = "calendar_year"  # reported in the weeks of the check-in's year
    LAST_12_MONTHS = "last_12_months"  # reported in the 52 weeks up to the check-in


@dataclass(frozen=True)
class PolicyLines:
    year: int
    red_line: Decimal  # per-capita income below this is RED (yuan per person per year)
    watch_line: Decimal  # below this is WATCH
    income_drop: Decimal = DEFAULT_INCOME_DROP  # a drop of this share against last year: WATCH
    region: str | None = None  # where the line comes from; None: the file's general table


@dataclass(frozen=True)
class Region:
    name: str
    within: str | None  # a county's province, whose lines apply where the county has none
    lines: Mapping[int, PolicyLines]


@dataclass(frozen=True)
class Choice:
    """The lines an assessment of `wanted` uses; `exact` is False when the year has none
    and an earlier year's are used (the staff are told, `/summary` says so)."""

    lines: PolicyLines
    wanted: int

    @property
    def exact(self) -> bool:
        return self.lines.year == self.wanted


@dataclass(frozen=True)
class Policy:
    lines: Mapping[int, PolicyLines]
    regions: Mapping[str, Region] = field(default_factory=dict)
    region: str | None = None  # the deployment's region, for townships not listed
    townships: Mapping[str, str] = field(default_factory=dict)  # township name -> region
    expenditure: Expenditure = Expenditure.CALENDAR_YEAR
    source: str = "the shipped default"
    notice_days: int = 5  # a proposal's public notice in the village, at least
    visits: Cadence = Cadence.WEEKLY  # how often each household is visited
    plan_days: int = 3  # days after identification before a household with no measure is told
    lead_check_days: int = 5  # a lead (线索) checked at home within this many days
    terms: Terms = DEFAULT_TERMS  # the words of the documents followed (monitoring/terms.py)
    supervision_phone: str = DEFAULT_SUPERVISION_PHONE  # on the public notice
    income_method: Method = DEFAULT_METHOD  # how income is counted (monitoring/income.py)

    def deduction_for(self, basis: Basis) -> Expenditure:
        """Which expenditure a check-in takes off the income: by source (the county's way)
        合规自付 over the same 12 months as the income; a single figure, as `expenditure`
        says. `basis`: the check-in's (monitoring.income.basis)."""
        if basis is Basis.SINGLE:
            return self.expenditure
        return Expenditure.LAST_12_MONTHS

    def region_of(self, township: str | None) -> str | None:
        if township is not None and township in self.townships:
            return self.townships[township]
        return self.region

    def _tables(self, township: str | None) -> list[Mapping[int, PolicyLines]]:
        """The tables that apply, the most specific first: the region, the regions it lies
        within, then the general table."""
        tables: list[Mapping[int, PolicyLines]] = []
        name = self.region_of(township)
        while name is not None:
            region = self.regions[name]
            tables.append(region.lines)
            name = region.within
        tables.append(self.lines)
        return tables

    def choose(self, year: int, township: str | None = None) -> Choice:
        """The year's lines where the township is; a year without any: the latest earlier
        year's (else the earliest there is)."""
        tables = self._tables(township)
        for table in tables:
            if year in table:
                return Choice(table[year], year)
        years = sorted({y for table in tables for y in table})
        earlier = [y for y in years if y < year]
        chosen = max(earlier) if earlier else min(years)
        for table in tables:
            if chosen in table:
                log.info("no policy lines for %s: using those of %s", year, chosen)
                return Choice(table[chosen], year)
        raise AssertionError("a policy has at least one year")  # parse_policy makes sure

    def lines_for(self, year: int, township: str | None = None) -> PolicyLines:
        return self.choose(year, township).lines


# The seed plan's 2020 lines (standard 4,000; red 1.2 ×, watch 1.5 ×), as the shipped file.
DEFAULT_POLICY = Policy({2020: PolicyLines(2020, Decimal(4800), Decimal(6000))})

_TOP_KEYS = {
    "lines",
    "regions",
    "region",
    "townships",
    "expenditure",
    "income_drop",
    "notice_days",
    "visits",
    "plan_days",
    "lead_check_days",
    "words",
    "supervision_phone",
    "income_method",
}
_YEAR_KEYS = {"red_line", "watch_line", "income_drop", "standard", "source"}
_REGION_KEYS = {"within", "lines"}


def parse_policy(text: str, source: str) -> Policy:
    """The policy in a TOML file's text; PolicyError names `source`, the key and the value."""
    if len(text) > MAX_BYTES:
        raise PolicyError(f"{source}: over {MAX_BYTES // 1024} KiB: not a policy file")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PolicyError(f"{source}: not a TOML file: {exc}") from None
    except RecursionError:
        raise PolicyError(f"{source}: nested too deeply: not a policy file") from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise PolicyError(f"{source}: not a TOML file: {_show(str(exc))}") from None
    _only(data, _TOP_KEYS, source, "")
    default_drop = _share(data.get("income_drop", DEFAULT_INCOME_DROP), source, "income_drop")
    lines = _lines(data.get("lines"), source, "lines", default_drop, None)
    if not lines:
        raise PolicyError(f"{source}: [lines.YEAR] is missing: give at least one year's lines")
    regions_data = _table(data.get("regions", {}), source, "regions")
    regions: dict[str, Region] = {}
    for name, body in regions_data.items():
        key = f"regions.{name}"
        body = _table(body, source, key)
        _only(body, _REGION_KEYS, source, key)
        within = body.get("within")
        if within is not None and not isinstance(within, str):
            raise PolicyError(f"{source}: {key}.within = {_show(within)}: give a region's name")
        region_lines = _lines(body.get("lines", {}), source, f"{key}.lines", default_drop, name)
        regions[name] = Region(name, within, region_lines)
    for each in regions.values():
        seen = {each.name}
        up = each.within
        while up is not None:
            if up not in regions:
                raise PolicyError(
                    f"{source}: regions.{each.name}.within = {_show(up)}: no such region"
                )
            if up in seen:
                raise PolicyError(f"{source}: regions.{each.name}.within: a circle via {_show(up)}")
            seen.add(up)
            up = regions[up].within
    chosen = data.get("region")
    if chosen is not None and not isinstance(chosen, str):
        raise PolicyError(f"{source}: region = {_show(chosen)}: give a region's name")
    if chosen is not None and chosen not in regions:
        raise PolicyError(f"{source}: region = {_show(chosen)}: no such [regions] table")
    townships = _table(data.get("townships", {}), source, "townships")
    for township, name in townships.items():
        if not isinstance(name, str):
            raise PolicyError(
                f"{source}: townships.{township} = {_show(name)}: give a region's name"
            )
        if name not in regions:
            raise PolicyError(
                f"{source}: townships.{township} = {_show(name)}: no such [regions] table"
            )
    expenditure = data.get("expenditure", Expenditure.CALENDAR_YEAR.value)
    try:
        counted = Expenditure(expenditure)
    except (ValueError, TypeError):
        allowed = " or ".join(repr(e.value) for e in Expenditure)
        raise PolicyError(f"{source}: expenditure = {_show(expenditure)}: use {allowed}") from None
    notice_days = data.get("notice_days", 5)
    if (
        isinstance(notice_days, bool)
        or not isinstance(notice_days, int)
        or not 1 <= notice_days <= 30
    ):
        raise PolicyError(f"{source}: notice_days = {_show(notice_days)}: whole days, 1 to 30")
    visits = data.get("visits", Cadence.WEEKLY.value)
    try:
        cadence = Cadence(visits)
    except (ValueError, TypeError):
        allowed = " or ".join(repr(c.value) for c in Cadence)
        raise PolicyError(f"{source}: visits = {_show(visits)}: use {allowed}") from None
    plan_days = data.get("plan_days", 3)
    if isinstance(plan_days, bool) or not isinstance(plan_days, int) or not 1 <= plan_days <= 30:
        raise PolicyError(f"{source}: plan_days = {_show(plan_days)}: whole days, 1 to 30")
    lead_days = data.get("lead_check_days", 5)
    if isinstance(lead_days, bool) or not isinstance(lead_days, int) or not 1 <= lead_days <= 30:
        raise PolicyError(f"{source}: lead_check_days = {_show(lead_days)}: whole days, 1 to 30")
    try:
        terms = parse_words(_table(data.get("words", {}), source, "words"))
    except ValueError as exc:
        if isinstance(exc, PolicyError):
            raise
        raise PolicyError(f"{source}: words.{exc}") from None
    phone = data.get("supervision_phone", DEFAULT_SUPERVISION_PHONE)
    if not isinstance(phone, str) or not _PHONE.fullmatch(phone):
        raise PolicyError(
            f"{source}: supervision_phone = {_show(phone)}: a telephone number such as "
            "12317 or 023-12345678"
        )
    method = data.get("income_method", DEFAULT_METHOD.value)
    try:
        income_method = Method(method)
    except (ValueError, TypeError):
        allowed = " or ".join(repr(m.value) for m in Method)
        raise PolicyError(f"{source}: income_method = {_show(method)}: use {allowed}") from None
    return Policy(
        lines,
        regions,
        chosen,
        dict(townships),
        counted,
        source,
        notice_days,
        cadence,
        plan_days,
        lead_check_days=lead_days,
        terms=terms,
        supervision_phone=phone,
        income_method=income_method,
    )


_PHONE = re.compile(r"[0-9]{3,5}(-[0-9]{5,8})?")


def _only(data: Mapping[str, Any], allowed: set[str], source: str, where: str) -> None:
    for key in data:
        if key not in allowed:
            name = (f"{where}.{key}" if where else key)[:80]
            raise PolicyError(
                f"{source}: {name}: unknown key (known here: {', '.join(sorted(allowed))})"
            )


def _show(value: Any) -> str:
    """A value as an error line shows it: its repr, cut short (a file may hold a huge one)."""
    try:
        text = repr(value)
    except RecursionError:
        text = "…"
    return text if len(text) <= 60 else text[:57] + "..."


def _table(value: Any, source: str, key: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise PolicyError(f"{source}: {key} = {_show(value)}: should be a table ([{key}])")
    return value


def _lines(
    value: Any, source: str, key: str, default_drop: Decimal, region: str | None
) -> dict[int, PolicyLines]:
    if value is None:
        return {}
    table = _table(value, source, key)
    lines: dict[int, PolicyLines] = {}
    for year_text, body in table.items():
        where = f"{key}.{year_text}"
        try:
            year = int(year_text)
        except ValueError:
            year = 0
        if not 2000 <= year <= 2100:
            raise PolicyError(f"{source}: {where[:80]}: the key should be a year such as 2026")
        body = _table(body, source, where)
        _only(body, _YEAR_KEYS, source, where)
        for needed in ("red_line", "watch_line"):
            if needed not in body:
                raise PolicyError(f"{source}: {where}.{needed} is missing (yuan per person)")
        red = _line(body["red_line"], source, f"{where}.red_line")
        watch = _line(body["watch_line"], source, f"{where}.watch_line")
        if red >= watch:
            raise PolicyError(
                f"{source}: {where}.red_line = {_show(body['red_line'])}: should be below "
                f"watch_line ({_show(body['watch_line'])})"
            )
        if "standard" in body:
            _line(body["standard"], source, f"{where}.standard")
        if not isinstance(body.get("source", ""), str):
            raise PolicyError(f"{source}: {where}.source = {_show(body['source'])}: give a text")
        drop = _share(body.get("income_drop", default_drop), source, f"{where}.income_drop")
        lines[year] = PolicyLines(year, red, watch, drop, region)
    return lines


def _number(value: Any, source: str, key: str) -> Decimal:
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float | str | Decimal)
        or len(str(value)) > 40
    ):
        raise PolicyError(f"{source}: {key} = {_show(value)}: not a number")
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise PolicyError(f"{source}: {key} = {_show(value)}: not a number") from None
    if not number.is_finite():
        raise PolicyError(f"{source}: {key} = {_show(value)}: not a number")
    return number


def _line(value: Any, source: str, key: str) -> Decimal:
    """A line in yuan per person per year, within LINE_BOUNDS."""
    number = _number(value, source, key)
    low, high = LINE_BOUNDS
    if not low <= number <= high:
        raise PolicyError(
            f"{source}: {key} = {_show(value)}: yuan per person per year, {low:,} to {high:,}"
        )
    return number


def _share(value: Any, source: str, key: str) -> Decimal:
    number = _number(value, source, key)
    if not 0 < number < 1:
        raise PolicyError(f"{source}: {key} = {_show(value)}: a share between 0 and 1, e.g. 0.30")
    return number
