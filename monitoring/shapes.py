"""Whether a text carries something private: a value shaped like a resident ID number (15 or
18 digits, the last may be X) or a mainland mobile number (1[3-9] and 9 more digits; `+86`/`86`
in front, spaces or dashes inside). Such a value is never a household number, a village, a
township, a group's name or a document number (refused when typed or imported: `looks_private`),
and never appears in a group chat (masked on the way there: `mask_private`; README, privacy).

Shapes, not validity: an ID number with a wrong check character, or a mobile number no
carrier has issued, is just as private (`monitoring/idcard.py` and `monitoring/phones.py`
validate and normalise the real ones; `normalize_mobile` is used here too, for the ways of
writing a mobile number the shapes below do not cover). Masking matches digits as they are
typed, full-width included (`１３８…`), so the masked text keeps every other character."""

from __future__ import annotations

import re
import unicodedata

import phonenumbers

from monitoring.phones import InvalidPhone, normalize_mobile

_SEP = r"[\s\-]?"  # one space or dash may stand between digits (`138 0013 8000`)
# 15 digits (the old ID number), or 17 and a digit or X (the 18-character one).
_ID = re.compile(rf"(?<!\d)\d(?:{_SEP}\d){{14}}(?:(?:{_SEP}\d){{2}}{_SEP}[\dX])?(?![\dX])")
# 1[3-9] and nine digits, with +86 or 86 before it or not.
_MOBILE = re.compile(rf"(?<!\d)(?:\+?86{_SEP})?1{_SEP}[3-9](?:{_SEP}\d){{9}}(?!\d)")


def looks_private(text: str) -> bool:
    """True when `text` holds an ID-shaped value (15 or 18 digits, the last of 18 may be
    X) or a mainland-mobile-shaped one (1[3-9] and 9 digits, with or without +86/86,
    spaces or dashes inside), full-width digits included."""
    folded = unicodedata.normalize("NFKC", text).upper()
    if _ID.search(folded) or _MOBILE.search(folded):
        return True
    # Other ways of writing a mobile number: `(138) 0013.8000`, `+86 (0) 138…`.
    for match in phonenumbers.PhoneNumberMatcher(folded, "CN", phonenumbers.Leniency.POSSIBLE):
        try:
            normalize_mobile(match.raw_string)
        except InvalidPhone:
            continue
        return True
    return False


# As typed (for masking in place): the same shapes, digits half- or full-width.
_D = "[0-9０-９]"
_GAP = "[ \\-－]?"  # a space or a dash between digits, as numbers are often written
# An ID number: 18 (or the old 15) digits in a row, the last may be X; not part of a longer
# run of digits or letters.
_ID_TYPED = f"(?<![0-9０-９A-Za-z]){_D}{{14}}(?:{_D}{{3}})?[0-9０-９XxＸｘ](?![0-9０-９A-Za-z])"
# A mobile number: 1, 3-9 and nine more digits, written 3-4-4 with a space or a dash
# between the groups or without; +86 or 86 in front or not.
_MOBILE_TYPED = (
    f"(?<![0-9０-９])(?:[+＋]?[8８][6６]{_GAP})?[1１][3-9３-９]{_D}"
    f"{_GAP}{_D}{{4}}{_GAP}{_D}{{4}}(?![0-9０-９])"
)
_MASKED = re.compile(f"{_ID_TYPED}|{_MOBILE_TYPED}")

KEEP_FIRST, KEEP_LAST = 3, 4


def mask_private(text: str) -> tuple[str, int]:
    """`text` with every ID- or mobile-shaped value masked (its first 3 and last 4
    characters kept: `500***********9464`, `138****8000`), and how many were masked."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(0)
        hidden = len(value) - KEEP_FIRST - KEEP_LAST
        return value[:KEEP_FIRST] + "*" * hidden + value[-KEEP_LAST:]

    return _MASKED.subn(mask, text)


_LONG_DIGITS = re.compile(r"[0-9][0-9 xX-]{5,}[0-9xX]")


def mask_digits(text: str) -> str:
    """`text` with every run of 7 or more digits masked as `mask_private` masks (the first 3
    and last 4 kept), whether or not it is a valid ID or mobile number: for saying back a
    value that was meant to be one (a typo is still most of somebody's number)."""

    def mask(match: re.Match[str]) -> str:
        value = match.group(0)
        if len(value) <= KEEP_FIRST + KEEP_LAST:
            return value[:KEEP_FIRST] + "*" * (len(value) - KEEP_FIRST)
        return value[:KEEP_FIRST] + "*" * (len(value) - KEEP_FIRST - KEEP_LAST) + value[-KEEP_LAST:]

    return _LONG_DIGITS.sub(mask, text)
