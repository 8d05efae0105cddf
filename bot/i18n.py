"""Where the catalogs live, and the one Translations object the bot uses."""

from __future__ import annotations

from pathlib import Path

from monitoring.i18n import Translations

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


def load_translations(default_locale: str) -> Translations:
    return Translations(LOCALES_DIR, default_locale)
