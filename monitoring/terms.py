"""The words of the documents a deployment follows (docs/policy.md, "Words").

The catalogs are written in one set of words: the national terms of 2026 (防止返贫致贫对象,
常态化防止返贫致贫机制), 乡镇 for the township and 县 for the county. A deployment whose
province still uses 2021–2025's terms (监测户, 纳入防止返贫监测对象), whose townships are 镇街
(Chongqing: towns and subdistricts) or whose county is a 区 says so in the policy file's
`[words]` table, and every translated text is changed here, in one place, before its
placeholders are filled (so names and numbers in the data are never touched).

Pure: the policy file's parser (`monitoring/policy.py`) reads the table with `parse_words`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


class Era(StrEnum):
    """Whose terms: the documents of 2026 on, or those of 2021–2025."""

    Y2026 = "2026"
    Y2021 = "2021"


class TownshipWord(StrEnum):
    XIANGZHEN = "乡镇"  # the national word
    ZHENJIE = "镇街"  # Chongqing's: towns (镇) and subdistricts (街道, with an 办事处)


class CountyWord(StrEnum):
    XIAN = "县"
    QU = "区"  # a district decides at 区 level


# zh_CN: the catalog's word -> the other, longest first (a longer phrase before its part).
_OLD_TERMS = (
    ("纳入防止返贫致贫对象", "纳入防止返贫监测对象"),
    ("常态化防止返贫致贫机制", "防止返贫动态监测和帮扶机制"),
    ("防止返贫致贫对象", "监测户"),
)
_ZHENJIE = (
    ("乡镇政府", "镇政府（街道办事处）"),
    ("乡镇", "镇街"),
)
_QU = (("县", "区"),)
_QU_EN = (("County", "District"), ("county", "district"))


@dataclass(frozen=True)
class Terms:
    era: Era = Era.Y2026
    township: TownshipWord = TownshipWord.XIANGZHEN
    county: CountyWord = CountyWord.XIAN

    def pairs(self, locale: str) -> tuple[tuple[str, str], ...]:
        """What changes in a text of `locale`, in order."""
        if locale == "en":
            return _QU_EN if self.county is CountyWord.QU else ()
        pairs: tuple[tuple[str, str], ...] = ()
        if self.era is Era.Y2021:
            pairs += _OLD_TERMS
        if self.township is TownshipWord.ZHENJIE:
            pairs += _ZHENJIE
        if self.county is CountyWord.QU:
            pairs += _QU
        return pairs

    def apply(self, text: str, locale: str) -> str:
        for word, other in self.pairs(locale):
            text = text.replace(word, other)
        return text


DEFAULT_TERMS = Terms()
WORD_KEYS = {"era": Era, "township": TownshipWord, "county": CountyWord}


def parse_words(table: Mapping[str, Any]) -> Terms:
    """The policy file's `[words]` table; ValueError says `key = value: use ...`."""
    chosen: dict[str, Any] = {}
    for key, value in table.items():
        kind = WORD_KEYS.get(key)
        if kind is None:
            raise ValueError(f"{key[:40]}: unknown key (known here: {', '.join(WORD_KEYS)})")
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)  # era = 2021 as a number
        try:
            chosen[key] = kind(value)
        except (ValueError, TypeError):
            allowed = " or ".join(repr(e.value) for e in kind)
            raise ValueError(f"{key} = {str(value)[:40]!r}: use {allowed}") from None
    return Terms(**chosen)
