"""Translation and locale formatting, shared by every layer that writes text for people.

It lives here (pure Python: gettext and Babel only) because conversations, the scheduler
and the bot all write messages, and dependencies point one way towards `monitoring`.
The catalogs themselves live in `bot/locales`; the caller says where.
"""

from __future__ import annotations

import gettext as _gettext
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

SUPPORTED_LOCALES = ("zh_CN", "en")
DOMAIN = "messages"


def parse_locale(text: str) -> str:
    """Return the supported locale named by `text` (`zh_CN`, `zh-CN`, `zh`, `en`, `en_US`...)."""
    raw = text.strip().replace("-", "_")
    try:
        loc = Locale.parse(raw)
    except (ValueError, UnknownLocaleError):
        raise ValueError(f"unknown locale {text!r}") from None
    for supported in SUPPORTED_LOCALES:
        if str(loc) == supported:
            return supported
    for supported in SUPPORTED_LOCALES:
        if loc.language == Locale.parse(supported).language:
            return supported
    raise ValueError(f"unsupported locale {text!r} (supported: {', '.join(SUPPORTED_LOCALES)})")


@dataclass(frozen=True)
class Translator:
    """One locale's gettext plus Babel formatting."""

    locale: str
    catalog: _gettext.NullTranslations

    def _(self, message: str) -> str:
        return self.catalog.gettext(message)

    def gettext(self, message: str) -> str:
        return self.catalog.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.catalog.ngettext(singular, plural, n)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def date(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime) -> str:
        return format_datetime(value, format="medium", locale=self.locale)


@dataclass
class Translations:
    """All shipped catalogs, loaded once from `directory/<locale>/LC_MESSAGES/messages.mo`."""

    directory: Path
    default_locale: str = "zh_CN"
    _cache: dict[str, Translator] = field(default_factory=dict)

    def get(self, locale: str | None = None) -> Translator:
        name = locale if locale in SUPPORTED_LOCALES else self.default_locale
        assert name is not None
        if name not in self._cache:
            catalog = _gettext.translation(
                DOMAIN, localedir=str(self.directory), languages=[name], fallback=True
            )
            self._cache[name] = Translator(name, catalog)
        return self._cache[name]

    def missing_catalogs(self) -> list[str]:
        """Locales whose compiled catalog is absent (the install step compiles them)."""
        return [
            name
            for name in SUPPORTED_LOCALES
            if not (self.directory / name / "LC_MESSAGES" / f"{DOMAIN}.mo").exists()
        ]


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it here."""
    return message
