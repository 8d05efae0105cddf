"""The income figure as people read it, with its parts (monitoring/income.py): the check-in's
summary and result, and the household's screens. Private only: groups get no amounts."""

from __future__ import annotations

from decimal import Decimal

from conversations.texts import per_capita_text
from monitoring.i18n import N_, Translator
from monitoring.income import Method, NetIncome

PARTS = N_(
    "({wage} wages + {business} business + {property} property + {transfer} transfers − "
    "{paid} paid by the household itself = {net} yuan, ÷ {members} people)"
)
NOT_BY_SOURCE = N_(
    "({income} yuan household income, not recorded by source yet, − {paid} paid by the "
    "household itself = {net} yuan, ÷ {members} people)"
)
SINGLE = N_(
    "({income} yuan expected this year − {paid} rigid expenditure = {net} yuan, ÷ {members} people)"
)


def _n(value: Decimal, t: Translator) -> str:
    return t.number(value.normalize())


def income_lines(income: NetIncome, t: Translator) -> list[str]:
    """Two lines: the per-capita figure, then how it was counted."""
    amount = per_capita_text(income.per_capita, t)
    numbers = {
        "paid": _n(income.deduction, t),
        "net": _n(income.net, t),
        "members": str(income.members),
        "income": _n(income.gross, t),
    }
    if income.method is Method.SINGLE:
        head = t._("Per-capita income: {amount}").format(amount=amount)
        return [head, t._(SINGLE).format(**numbers)]
    head = t._("Per-capita net income over 12 months: {amount}").format(amount=amount)
    parts = income.parts
    if parts is None:
        return [head, t._(NOT_BY_SOURCE).format(**numbers)]
    by_source = {source.value: _n(value, t) for source, value in parts.items()}
    return [head, t._(PARTS).format(**numbers, **by_source)]
