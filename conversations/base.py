"""What every handler needs: the typed context, services, who is talking, and their language."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session, sessionmaker
from telegram import CallbackQuery, User
from telegram.error import BadRequest
from telegram.ext import Application, CallbackContext, ExtBot

from monitoring.i18n import N_, Translations, Translator
from monitoring.people import Role
from storage.models import Person
from storage.repositories import People

T = TypeVar("T")
log = logging.getLogger(__name__)

ROLE_LABELS: dict[str, str] = {
    Role.HELPER: N_("Helper"),
    Role.VILLAGE_HEAD: N_("Village head"),
    Role.TOWNSHIP_STAFF: N_("Township staff"),
}


@dataclass
class Services:
    """Long-lived resources, created in post_init and closed in post_shutdown."""

    session_factory: sessionmaker[Session]
    translations: Translations
    tz: ZoneInfo
    close_after_green: int = 2
    # The clock of the handler layer; tests and the sandbox's clock control may set it.
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    # Set by the outbox worker: handlers call it after queueing messages.
    wake_outbox: Callable[[], None] = field(default=lambda: None)
    # Where transactions run: one thread for SQLite (it has one writer; threads competing
    # for its lock sleep in its busy handler), several for a server. None: asyncio's default.
    executor: Executor | None = None
    # Where /export builds workbooks (a process, started on first use), and who is waiting
    # for one (one export per person at a time).
    export_pool: Executor | None = None
    exports_running: set[int] = field(default_factory=set)

    async def tx(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in one transaction, in a worker thread (the loop never blocks).

        Commits when `work` returns, rolls back when it raises."""

        def run() -> T:
            with self.session_factory() as session, session.begin():
                return work(session)

        if self.executor is None:
            return await asyncio.to_thread(run)
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.executor, context.run, run)

    def now(self) -> datetime:
        """The handler layer's clock; everything below takes `now` as a parameter."""
        return self.clock()


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


@dataclass(frozen=True)
class PersonView:
    """A roster person as handlers see them, detached from any session."""

    id: int
    name: str
    role: Role
    phone: str
    township_id: int
    township_name: str
    village_id: int | None
    village_name: str | None
    locale: str | None
    telegram_user_id: int | None = None

    @classmethod
    def of(cls, person: Person) -> PersonView:
        return cls(
            id=person.id,
            name=person.name,
            role=Role(person.role),
            phone=person.phone,
            township_id=person.township_id,
            township_name=person.township.name,
            village_id=person.village_id,
            village_name=person.village.name if person.village else None,
            locale=person.locale,
            telegram_user_id=person.telegram_user_id,
        )


async def identify(context: AppContext, user: User | None) -> PersonView | None:
    """The roster person linked to this Telegram user, or None."""
    if user is None:
        return None

    def load(session: Session) -> PersonView | None:
        person = People(session).by_telegram_id(user.id)
        return PersonView.of(person) if person else None

    return await context.services.tx(load)


def translator(context: AppContext, person: PersonView | None = None) -> Translator:
    """The person's language, else the township's configured default."""
    return context.services.translations.get(person.locale if person else None)


async def answer_query(query: CallbackQuery, text: str | None = None) -> None:
    """Answer a button press, best effort: a press delivered again after a restart was already
    answered, and Telegram refuses a second answer ("query is too old")."""
    try:
        await query.answer(text)
    except BadRequest as exc:
        log.debug("could not answer callback query %s: %s", query.id, exc)
