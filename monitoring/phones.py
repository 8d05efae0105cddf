"""Phone numbers: one normal form (E.164) for roster rows and shared Telegram contacts."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType


class InvalidPhone(ValueError):
    pass


def normalize_mobile(raw: str) -> str:
    """Return a mainland China mobile number in E.164 (`+8613800000000`).

    Accepts `13800000000`, `138 0000 0000`, `138-0000-0000`, `+86 138...`, `86138...`
    (Telegram sends contacts with or without the plus). Raise InvalidPhone otherwise.
    """
    text = raw.strip() if raw else ""
    if not text:
        raise InvalidPhone("empty phone number")
    digits = "".join(ch for ch in text if ch.isdigit())
    # Telegram clients send "8613800000000" without the plus: treat a leading 86 on a
    # 13-digit number as the country code.
    if not text.startswith("+") and len(digits) == 13 and digits.startswith("86"):
        text = "+" + digits
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException as exc:
        raise InvalidPhone(f"not a phone number: {raw!r}") from exc
    if number.country_code != 86:
        raise InvalidPhone(f"not a mainland China number: {raw!r}")
    if not phonenumbers.is_valid_number(number) or phonenumbers.number_type(number) not in (
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
    ):
        raise InvalidPhone(f"not a mainland mobile number: {raw!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def mask_phone(e164: str) -> str:
    """`+8613812345678` -> `138****5678`, for places where a full number must not appear."""
    national = e164[3:] if e164.startswith("+86") else e164
    if len(national) < 7:
        return "*" * len(national)
    return national[:3] + "****" + national[-4:]
