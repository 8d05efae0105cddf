"""What every flow needs, whatever the platform: the long-lived services (the database, the
clock, the catalogs), the person behind an event, and their language."""

from __future__ import annotations

import asyncio
import contextvars
from collections.abc import Callable
from concurrent.futures import Executor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from zoneinfo import ZoneInfo

from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.events import ChatKind
from monitoring.i18n import N_, Translations, Translator
from monitoring.people import Role
from monitoring.policy import DEFAULT_POLICY, Policy
from storage.identities import Serving
from storage.models import Person
from storage.repositories import People

if TYPE_CHECKING:
    from conversations.engine.router import Router

T = TypeVar("T")


ROLE_LABELS: dict[str, str] = {
    Role.HELPER: N_("Helper"),
    Role.VILLAGE_HEAD: N_("Village head"),
    Role.TOWNSHIP_STAFF: N_("Township staff"),
    Role.COUNTY_STAFF: N_("County staff"),
    Role.UNIT_STAFF: N_("Unit staff"),
}


@dataclass
class Services:
    """Long-lived resources, created in post_init and closed in post_shutdown."""

    session_factory: sessionmaker[Session]
    translations: Translations
    tz: ZoneInfo
    close_after_green: int = 2
    # The lines and rules assessments use (FANGFANPIN_POLICY_FILE).
    policy: Policy = DEFAULT_POLICY
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
    # The conversations in progress (set by the adapter that builds the flows).
    router: Router | None = None
    # The bot identity this process is and the townships it serves (its sessions carry it
    # too: `storage/identities.py`).
    serving: Serving = field(default_factory=Serving)

    async def tx(self, work: Callable[[Session], T]) -> T:
        """Run `work(session)` in one transaction, in a worker thread (the loop never blocks).

        Commits when `work` returns, rolls back when it raises."""

        def run() -> T:
            try:
                with self.session_factory() as session, session.begin():
                    return work(session)
            except DBAPIError as error:
                if not error.connection_invalidated:
                    raise
            # The server dropped the connection (a restart, a failover, an administrator):
            # the pool has let it go; once more on a new one. (No ping before every
            # transaction: that was a round trip each.) A second failure is the caller's.
            with self.session_factory() as session, session.begin():
                return work(session)

        if self.executor is None:
            return await asyncio.to_thread(run)
        context = contextvars.copy_context()
        return await asyncio.get_running_loop().run_in_executor(self.executor, context.run, run)

    def now(self) -> datetime:
        """The handler layer's clock; everything below takes `now` as a parameter."""
        return self.clock()


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
    platform_user_id: int | None = None

    @classmethod
    def of_card(cls, card: Any) -> PersonView:
        """From `People.card_by_user_id`'s row."""
        pid, name, role, phone, township_id, township, village_id, village, locale, user = card
        return cls(
            pid, name, Role(role), phone, township_id, township, village_id, village, locale, user
        )

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
            platform_user_id=person.platform_user_id,
        )


async def person_of(services: Services, user_id: int | None) -> PersonView | None:
    """The roster person linked to this platform user, or None."""
    if user_id is None:
        return None

    def load(session: Session) -> PersonView | None:
        card = People(session).card_by_user_id(user_id)
        return PersonView.of_card(card) if card else None

    return await services.tx(load)


def language(
    services: Services, person: PersonView | None, chat: ChatKind = ChatKind.PRIVATE
) -> Translator:
    """The language of a reply in `chat`: a group is answered in the township's configured
    default (FANGFANPIN_LOCALE), whoever asked; a private chat in the person's own language,
    else that default."""
    if chat is ChatKind.GROUP or person is None:
        return services.translations.get(None)
    return services.translations.get(person.locale)
