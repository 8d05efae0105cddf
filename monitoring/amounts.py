"""Amounts as people type them: `4500`, `4,500`, `4 500`, `1.2万`, `3千`, `三千`, `一万二`,
full-width digits, a trailing `元`. One parser for the whole project."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

MAX_AMOUNT = Decimal(10_000_000)
_PLAIN = re.compile(r"^\d+(\.\d+)?$")
_GROUPED = re.compile(r"^\d{1,3}([, ]\d{3})+(\.\d+)?$")


class AmountError(ValueError):
    """`reason` is one of: empty, not_a_number, negative, too_large."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _cn2an() -> Callable[[str, str], Any]:
    """cn2an's converter, imported when a number is written in characters (its import
    compiles many patterns: about a fifth of a second that a start need not pay)."""
    import cn2an

    convert: Callable[[str, str], Any] = cn2an.cn2an
    return convert


def parse_amount(text: str, *, maximum: Decimal = MAX_AMOUNT) -> Decimal:
    """Yuan as a Decimal with two places; raise AmountError with a reason otherwise."""
    raw = unicodedata.normalize("NFKC", text or "").strip()
    raw = raw.removesuffix("元").removesuffix("块").strip()
    raw = raw.replace("，", ",")
    if not raw:
        raise AmountError("empty")
    if raw.startswith(("-", "负", "−")):
        raise AmountError("negative")
    if _GROUPED.match(raw):
        raw = raw.replace(",", "").replace(" ", "")
    if " " in raw or "," in raw:
        raise AmountError("not_a_number")
    if _PLAIN.match(raw):
        value = Decimal(raw)
    else:
        try:
            converted = _cn2an()(raw, "smart")
        except (ValueError, KeyError, IndexError, TypeError):
            raise AmountError("not_a_number") from None
        try:
            value = Decimal(str(converted))
        except InvalidOperation:
            raise AmountError("not_a_number") from None
    if value < 0:
        raise AmountError("negative")
    if value > maximum:
        raise AmountError("too_large")
    return value.quantize(Decimal("0.01"))


def parse_count(text: str, *, low: int = 1, high: int = 30) -> int:
    """A whole number of people (`3`, `３`, `三`, `3人`); ValueError otherwise."""
    raw = unicodedata.normalize("NFKC", text or "").strip().removesuffix("人").removesuffix("口")
    raw = raw.strip()
    if raw.isdigit():
        value = int(raw)
    else:
        try:
            converted = _cn2an()(raw, "strict")
        except (ValueError, KeyError, IndexError, TypeError):
            raise ValueError("not a whole number") from None
        if converted != int(converted):
            raise ValueError("not a whole number")
        value = int(converted)
    if not low <= value <= high:
        raise ValueError(f"outside {low}-{high}")
    return value
