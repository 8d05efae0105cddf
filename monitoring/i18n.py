"""Translation and locale formatting, shared by every layer that writes text for people.

It lives here (pure Python: gettext and Babel only) because conversations, the scheduler
and the bot all write messages, and dependencies point one way towards `monitoring`.
The catalogs themselves live in `bot/locales`; the caller says where.
"""

from __future__ import annotations

import gettext as _gettext
import io
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.dates import format_date, format_skeleton, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal

from monitoring.terms import DEFAULT_TERMS, Terms

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
    """One locale's gettext plus Babel formatting; `terms` are the deployment's words
    (`monitoring/terms.py`), put into each text before its placeholders are filled."""

    locale: str
    catalog: _gettext.NullTranslations
    terms: Terms = DEFAULT_TERMS

    def _(self, message: str) -> str:
        return self.terms.apply(self.catalog.gettext(message), self.locale)

    def gettext(self, message: str) -> str:
        return self._(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.terms.apply(self.catalog.ngettext(singular, plural, n), self.locale)

    def number(self, value: int | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def date(self, value: date) -> str:
        return format_date(value, format="medium", locale=self.locale)

    def datetime(self, value: datetime) -> str:
        """`11月24日 10:00`: a moment in the past months, as a phone screen shows it."""
        day = format_skeleton("MMMd", value, locale=self.locale)
        return f"{day} {format_time(value, 'HH:mm', locale=self.locale)}"


@dataclass
class Translations:
    """All shipped catalogs, loaded once from `directory/<locale>/LC_MESSAGES/messages.mo`."""

    directory: Path
    default_locale: str = "zh_CN"
    terms: Terms = DEFAULT_TERMS  # the deployment's words (the policy file's [words])
    _cache: dict[str, Translator] = field(default_factory=dict)

    def get(self, locale: str | None = None) -> Translator:
        name = locale if locale in SUPPORTED_LOCALES else self.default_locale
        assert name is not None
        if name not in self._cache:
            self._cache[name] = Translator(name, self._catalog(name), self.terms)
        return self._cache[name]

    def _catalog(self, name: str) -> _gettext.NullTranslations:
        """The compiled catalog when it is there and up to date; else the `.po` file compiled
        in memory (a plain `pip install` ships the `.po` files but runs no compile step)."""
        folder = self.directory / name / "LC_MESSAGES"
        mo, po = folder / f"{DOMAIN}.mo", folder / f"{DOMAIN}.po"
        if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
            with mo.open("rb") as compiled:
                return _gettext.GNUTranslations(compiled)
        if po.exists():
            with po.open("rb") as source:
                catalog = read_po(source, locale=name)
            buffer = io.BytesIO()
            write_mo(buffer, catalog)  # a fuzzy (guessed) translation is never shown
            buffer.seek(0)
            return _gettext.GNUTranslations(buffer)
        return _gettext.NullTranslations()

    def missing_catalogs(self) -> list[str]:
        """Locales with neither a compiled catalog nor its source."""
        return [
            name
            for name in SUPPORTED_LOCALES
            if not any(
                (self.directory / name / "LC_MESSAGES" / f"{DOMAIN}{ext}").exists()
                for ext in (".mo", ".po")
            )
        ]


def N_(message: str) -> str:
    """Mark a message id for extraction without translating it here."""
    return message
