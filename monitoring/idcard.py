"""Mainland resident ID numbers (18 characters, ISO 7064 MOD 11-2 check character)."""

from __future__ import annotations

import unicodedata

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalize_id_number(raw: str) -> str:
    """Return the ID number upper-cased; raise ValueError when it is not a valid one."""
    text = unicodedata.normalize("NFKC", raw).strip().upper().replace(" ", "")
    if len(text) != 18 or not text[:17].isdigit() or not (text[17].isdigit() or text[17] == "X"):
        raise ValueError("an ID number has 18 characters: 17 digits and a digit or X")
    if check_character(text[:17]) != text[17]:
        raise ValueError("the ID number's check character does not match")
    return text
