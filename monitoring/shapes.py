"""Whether a text carries something private: a value shaped like a resident ID number or a
mainland mobile number. For values people type or import that others will see (a document
number in the ledger, names a group can show): such a value is refused, never stored.

Shapes, not validity: an ID number with a wrong check character, or a mobile number no
carrier has issued, is just as private (`monitoring/idcard.py` and `monitoring/phones.py`
validate and normalise the real ones; `normalize_mobile` is used here too, for the ways of
writing a mobile number the shape below does not cover)."""

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
