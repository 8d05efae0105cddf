"""One event and what a flow needs to answer it: the person (resolved once per event), the
language of the answer (the chat's: a group's is the township's default) and the services."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from conversations.engine.events import Event
from conversations.engine.replies import Reply
from conversations.engine.services import PersonView, Services, language, person_of
from monitoring.i18n import Translator


@dataclass(frozen=True)
class Turn:
    event: Event
    person: PersonView | None
    t: Translator  # the language of the event's chat (a group: the township's default)
    services: Services

    @property
    def own(self) -> Translator:
        """The person's own language: for what goes to their private chat from a group."""
        return language(self.services, self.person)


async def turn_of(event: Event, services: Services) -> Turn:
    person = await person_of(services, event.user_id)
    return Turn(event, person, language(services, person, event.chat_kind), services)


# A flow's answer to one event.
Flow = Callable[[Turn], Awaitable[list[Reply]]]
# ... or None: not this flow's event (a typed text when no conversation of its kind is open).
MaybeFlow = Callable[[Turn], Awaitable[list[Reply] | None]]
