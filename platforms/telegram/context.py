"""The Telegram side of what every handler needs: the typed context (its `services`), who is
talking and their language, and answering a button press."""

from __future__ import annotations

import logging
from typing import Any, TypeVar

from telegram import CallbackQuery, User
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from conversations.engine.services import PersonView, Services, language, person_of
from monitoring.i18n import Translator

T = TypeVar("T")
log = logging.getLogger(__name__)


class BotData:
    """`application.bot_data`, typed. `services` is set in post_init."""

    services: Services

    def __init__(self) -> None:
        # Updates whose handling failed on a passing database fault (busy, connection lost):
        # the poller handles them again instead of confirming them.
        self.retry_updates: set[int] = set()
        self.retry_told: set[int] = set()  # ... and whose sender was told to wait


class AppContext(CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]):
    @property
    def services(self) -> Services:
        return self.bot_data.services


AppType = Application[ExtBot[None], AppContext, dict[Any, Any], dict[Any, Any], BotData, Any]


async def identify(context: AppContext, user: User | None) -> PersonView | None:
    """The roster person linked to this Telegram user, or None."""
    return await person_of(context.services, user.id if user else None)


def translator(context: AppContext, person: PersonView | None = None) -> Translator:
    """The person's language, else the township's configured default."""
    return language(context.services, person)


async def answer_query(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press, best effort: a press delivered again after a restart was already
    answered, and Telegram refuses a second answer ("query is too old")."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.debug("could not answer callback query %s: %s", query.id, exc)
