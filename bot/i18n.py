"""Where the catalogs live, and the one Translations object the bot uses."""

from __future__ import annotations

from pathlib import Path

from monitoring.i18n import Translations
from monitoring.terms import DEFAULT_TERMS, Terms

LOCALES_DIR = Path(__file__).resolve().parent / "locales"


def load_translations(default_locale: str, terms: Terms = DEFAULT_TERMS) -> Translations:
    """`terms`: the deployment's words, from its policy file (`Policy.terms`)."""
    return Translations(LOCALES_DIR, default_locale, terms)
