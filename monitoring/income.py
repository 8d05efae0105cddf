"""Income as the county counts it (docs/policy.md, "Income"): 人均纯收入 = (工资性 + 经营性
(net of production costs) + 财产性 + 转移性 income over the 12 months before − 合规自付, what
the household paid itself after insurance and assistance) ÷ members living together.

Pure. A household's income by source is a list of statements, each one source's income over
12 months as stated on a day (the roster's last year, or a visit that recorded a change); the
figure on a day takes each source's latest statement. `figure` returns the per-capita figure
WITH its parts, so a screen, the ledger and the assessment use the same numbers.

The policy file's `income_method` says which way a county counts: `sources` (this module,
the default) or `single` (one figure for the year, expected by the helper, minus the rigid
expenditure: the bot's way before 2026, kept for counties that still use it)."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from monitoring.i18n import N_


class Method(StrEnum):
    """How a county counts a household's income (the policy file's `income_method`)."""

    SOURCES = "sources"  # by source over the 12 months before, less 合规自付
    SINGLE = "single"  # the year's expected income, one figure, less rigid expenditure


DEFAULT_METHOD = Method.SOURCES


class Source(StrEnum):
    """The four sources of income the national system records."""

    WAGE = "wage"  # 工资性收入
    BUSINESS = "business"  # 经营性净收入 (net of production costs)
    PROPERTY = "property"  # 财产性收入
    TRANSFER = "transfer"  # 转移性收入


SOURCES: tuple[Source, ...] = tuple(Source)
SOURCE_NAMES: dict[str, str] = {
    Source.WAGE.value: N_("wage income"),
    Source.BUSINESS.value: N_("business income (net)"),
    Source.PROPERTY.value: N_("property income"),
    Source.TRANSFER.value: N_("transfer income"),
}
ZERO = Decimal(0)


class Basis(StrEnum):
    """What a check-in asks about income, fixed when it starts (a draft keeps its basis if
    the policy file or the household's records change meanwhile)."""

    SINGLE = "single"  # changed? then the year's expected income
    CHANGES = "changes"  # by source, known: changed? then which source and its new figure
    FIRST = "first"  # by source, not known yet: changed? then all four figures


def basis(method: Method, known: bool) -> Basis:
    """The basis of a new check-in: the county's method, and whether the household's income
    by source is known (from the roster or an earlier visit)."""
    if method is Method.SINGLE:
        return Basis.SINGLE
    return Basis.CHANGES if known else Basis.FIRST


@dataclass(frozen=True)
class IncomeParts:
    """A household's income over 12 months by source, yuan for the whole household."""

    wage: Decimal = ZERO
    business: Decimal = ZERO
    property: Decimal = ZERO
    transfer: Decimal = ZERO

    @builtins.property  # `property` here is the field above
    def total(self) -> Decimal:
        return self.wage + self.business + self.property + self.transfer

    def of(self, source: Source | str) -> Decimal:
        value: Decimal = getattr(self, Source(source).value)
        return value

    def items(self) -> list[tuple[Source, Decimal]]:
        return [(s, self.of(s)) for s in SOURCES]

    def changed(self, changes: Mapping[Source, Decimal]) -> IncomeParts:
        """These parts with the sources in `changes` replaced."""
        values = {s.value: changes.get(s, self.of(s)) for s in SOURCES}
        return IncomeParts(**values)

    def differences(self, other: IncomeParts | None) -> dict[Source, Decimal]:
        """The sources whose figure here differs from `other` (all of them when None)."""
        return {s: v for s, v in self.items() if other is None or other.of(s) != v}


@dataclass(frozen=True)
class Statement:
    """One source's income over 12 months, as stated on `valid_from` (yuan, household)."""

    source: Source
    amount: Decimal
    valid_from: date


def parts_on(statements: Iterable[Statement], day: date) -> IncomeParts | None:
    """The household's income by source on `day`: each source's latest statement up to that
    day (statements of one day in the order given: the later one wins); None when no source
    has been stated by then. A source never stated counts 0 once another is."""
    latest: dict[Source, Statement] = {}
    for statement in statements:
        if statement.valid_from > day:
            continue
        known = latest.get(statement.source)
        if known is None or statement.valid_from >= known.valid_from:
            latest[statement.source] = statement
    if not latest:
        return None
    return IncomeParts(**{s.value: st.amount for s, st in latest.items()})


@dataclass(frozen=True)
class NetIncome:
    """A household's per-capita net income with its parts.

    `parts` is the income by source (method `sources`), or None where a single figure was
    counted (method `single`, or `sources` for a household whose income by source is not
    known yet: then `gross` is its single figure). `deduction` is what was taken off: 合规自付
    over the 12 months (sources), or the rigid expenditure that counts (single)."""

    method: Method
    parts: IncomeParts | None
    gross: Decimal  # the household's income counted, yuan
    deduction: Decimal
    members: int

    @property
    def net(self) -> Decimal:
        return self.gross - self.deduction

    @property
    def per_capita(self) -> Decimal:
        return (self.net / self.members).quantize(Decimal("0.01"))

    def as_json(self) -> dict[str, str | int | None]:
        """As a check-in row keeps it (storage: `checkins.income`), amounts as text."""
        data: dict[str, str | int | None] = {
            "method": self.method.value,
            "gross": str(self.gross),
            "deduction": str(self.deduction),
            "members": self.members,
            "per_capita": str(self.per_capita),
        }
        for source in SOURCES:
            data[source.value] = None if self.parts is None else str(self.parts.of(source))
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> NetIncome:
        def amount(key: str) -> Decimal:
            return Decimal(str(data.get(key) or 0))

        known = all(data.get(s.value) is not None for s in SOURCES)
        parts = IncomeParts(**{s.value: amount(s.value) for s in SOURCES}) if known else None
        members = data.get("members")
        return cls(
            Method(str(data.get("method", Method.SINGLE.value))),
            parts,
            amount("gross"),
            amount("deduction"),
            int(members) if isinstance(members, int | str) else 1,
        )


def figure(
    method: Method,
    *,
    parts: IncomeParts | None,
    single: Decimal,
    deduction: Decimal,
    members: int,
) -> NetIncome:
    """The per-capita figure the county's way (`sources`: the parts, when known, else the
    household's single figure) or the single figure's way, less `deduction`, over `members`."""
    if members < 1:
        raise ValueError("a household has at least one member")
    if method is Method.SOURCES and parts is not None:
        return NetIncome(method, parts, parts.total, deduction, members)
    return NetIncome(method, None, single, deduction, members)
