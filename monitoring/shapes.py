"""Values shaped like private numbers: a resident ID number (15 or 18 digits, the last may be
X) or a mainland mobile number (1[3-9] and 9 more digits; `+86`/`86` in front, spaces or
dashes inside). Such a value is never a household number, a village, a township or a group's
name, and never appears in a group chat (README, privacy). The shape is enough: a valid
check character or a number in service is not needed for a value to be private.

Digits are matched as they are typed, full-width included (`１３８…`), so the masked text keeps
every other character as it was."""

from __future__ import annotations

import re

_D = "[0-9０-９]"
_GAP = "[ \\-－]?"  # a space or a dash between digits, as numbers are often written
# An ID number: 18 (or the old 15) digits in a row, the last may be X; not part of a longer
# run of digits or letters.
_ID = f"(?<![0-9０-９A-Za-z]){_D}{{14}}(?:{_D}{{3}})?[0-9０-９XxＸｘ](?![0-9０-９A-Za-z])"
# A mobile number: 1, 3-9 and nine more digits, written 3-4-4 with a space or a dash
# between the groups or without; +86 or 86 in front or not.
_MOBILE = (
    f"(?<![0-9０-９])(?:[+＋]?[8８][6６]{_GAP})?[1１][3-9３-９]{_D}"
    f"{_GAP}{_D}{{4}}{_GAP}{_D}{{4}}(?![0-9０-９])"
)
_PRIVATE = re.compile(f"{_ID}|{_MOBILE}")

KEEP_FIRST, KEEP_LAST = 3, 4


def looks_private(text: str) -> bool:
    """True when `text` holds an ID-shaped or a mobile-shaped value anywhere in it."""
    return _PRIVATE.search(text) is not None


def mask_private(text: str) -> tuple[str, int]:
    """`text` with every ID- or mobile-shaped value masked (its first 3 and last 4
    characters kept: `500***********9464`, `138****8000`), and how many were masked."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(0)
        hidden = len(value) - KEEP_FIRST - KEEP_LAST
        return value[:KEEP_FIRST] + "*" * hidden + value[-KEEP_LAST:]

    return _PRIVATE.subn(mask, text)
