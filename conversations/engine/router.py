"""The router: which conversation a message belongs to.

A conversation (a check-in, a measure being recorded, a proposal, a reason being asked for)
keeps its state in the person's one draft row (`storage.drafts`); a person has at most one
open. A typed message, a photo, or a press of a conversation's button comes here, and in
**one** transaction the router finds the person, their draft, records the event (handled
once) and lets the draft's conversation take the answer. After the commit the conversation
says what comes next. Nothing is kept in memory: after a crash the next message continues
where the draft stands.

The router also answers what is common to all of them: a command sent while one is open
(the conversation shows where it stands), `/cancel`, and a private message when none is open.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from conversations.engine.events import Event
from conversations.engine.once import handled_before, record
from conversations.engine.replies import Edit, Reply, Say, Toast
from conversations.engine.services import PersonView, Services, language
from conversations.engine.turn import Turn
from monitoring.i18n import N_
from storage.drafts import Drafts
from storage.models import Draft
from storage.repositories import People
from storage.updates import Updates

log = logging.getLogger(__name__)

NOT_UNDERSTOOD = N_("I did not understand that. Send /help to see what you can do.")
NOT_REGISTERED = N_("You are not registered yet. Send /start and share your phone number.")
DISCARDED = N_("Discarded what you were writing. Nothing was submitted.")
NOTHING = N_("There is nothing to cancel.")


@dataclass(frozen=True)
class Open:
    """An answer to an open conversation, as the conversation gets it: inside the router's
    transaction, the event already recorded."""

    session: Session
    event: Event
    person: PersonView
    draft: Draft
    now: datetime
    services: Services
    # For a conversation about a household (`about_household`): read with the person, in
    # the same statement (id, number, head's name, village, members, school-age child).
    household: Any = None


class Conversation(Protocol):
    flow: str  # its drafts' flow name
    prefix: str  # the prefix of its buttons' data
    none: str  # msgid: its button pressed when it is not open ("No proposal is in progress…")
    # Its draft's subject is a household: the router reads it with the person (`Open`).
    about_household: bool

    def take(self, at: Open) -> Any:
        """Store the answer (typed, a photo or a button) in the router's transaction; return
        what `reply` needs. Raising rolls everything back, the event's record included."""

    async def reply(self, turn: Turn, taken: Any) -> list[Reply]:
        """What the person is told after the commit."""

    async def where(self, turn: Turn, busy: bool = False) -> list[Reply]:
        """Where the conversation stands (the current question): after an event delivered
        again, or, with `busy`, saying first that it is open (a command or another
        conversation was started in the middle of it)."""

    async def cancel(self, turn: Turn) -> list[Reply] | None:
        """`/cancel` while it is open: its own answer (e.g. "Discard? Yes / Keep going"), or
        None to have the router discard it."""

    async def ended(self, turn: Turn) -> list[Reply]:
        """A press of its button, handled before a restart, that ended it (Confirm): how it
        ended, since the answer may have been lost with the process."""


@dataclass
class _Outcome:
    """What the router's transaction found and did."""

    person: PersonView | None = None
    conversation: Conversation | None = None  # the open one, which took the answer
    taken: Any = None  # what its `take` returned, for its `reply`
    redelivered: bool = False  # the event was handled before: say where it stands
    handled_before_restart: bool = False  # the answer that ended its conversation


class Router:
    def __init__(
        self,
        conversations: Sequence[Conversation],
        stranger: Callable[[Turn], Awaitable[list[Reply] | None]] | None = None,
    ) -> None:
        # What someone not on the roster types (a self-report: conversations/leads/), or
        # None: "not registered".
        self.stranger = stranger
        self.flows = {c.flow: c for c in conversations}
        self.household_flows = frozenset(c.flow for c in conversations if c.about_household)
        self.prefixes = {c.prefix: c for c in conversations if c.prefix}

    async def answer(self, event: Event, services: Services) -> list[Reply]:
        """A private message that is no command, or a press of a conversation's button."""
        pressed = self.prefixes.get((event.button or "").split(":")[0]) if event.button else None
        outcome = _Outcome()

        def run(session: Session) -> None:
            found = (
                People(session).card_and_draft(event.user_id, self.household_flows)
                if event.user_id
                else None
            )
            if found is None:
                return
            card, draft, household = found
            view = outcome.person = PersonView.of_card(card)
            if draft is None or draft.flow not in self.flows:
                # Handled before a restart, by the answer that ended its conversation (a
                # confirmed check-in, a saved measure): it was answered then.
                outcome.handled_before_restart = Updates(session).was_handled(event.update_id)
                return
            conversation = self.flows[draft.flow]
            if pressed is not None and pressed is not conversation:
                return  # a button of a conversation that is not the open one
            outcome.conversation = conversation
            record(session, event, services)  # delivered again: fails on the key (below)
            outcome.taken = conversation.take(
                Open(session, event, view, draft, services.now(), services, household)
            )

        try:
            await services.tx(run)
        except IntegrityError:
            if not await handled_before(services, event):
                raise
            outcome.redelivered = True
        person = outcome.person
        turn = Turn(event, person, language(services, person, event.chat_kind), services)
        t = turn.t
        conversation = outcome.conversation
        if conversation is None and outcome.handled_before_restart:
            log.info("update %s was handled before a restart", event.update_id)
            return await pressed.ended(turn) if pressed is not None else []
        if conversation is None:
            if pressed is not None:
                # A button of a conversation that has ended (Confirm pressed again) or is
                # not the open one: a toast, never a message; its screen loses its buttons.
                note = t._(pressed.none) if person else t._(NOT_REGISTERED)
                text = event.message_text
                return [Toast(note), *([Edit(text, best_effort=True)] if text and person else [])]
            if event.button:
                return [Toast(t._("This button is no longer valid."))]
            if person is None and self.stranger is not None:
                own = await self.stranger(turn)
                if own is not None:
                    return own
            return [Say(t._(NOT_UNDERSTOOD if person else NOT_REGISTERED))]
        if outcome.redelivered:
            return await conversation.where(turn)
        return await conversation.reply(turn, outcome.taken)

    async def open_flow(self, turn: Turn) -> Conversation | None:
        """The person's open conversation, if any."""
        person = turn.person
        if person is None:
            return None
        flow = await turn.services.tx(lambda s: _flow_of(s, person.id))
        return self.flows.get(flow) if flow else None

    async def busy(self, turn: Turn, starting: str | None = None) -> list[Reply] | None:
        """When a conversation other than `starting` is open: that it is, and where it
        stands; else None (go ahead)."""
        conversation = await self.open_flow(turn)
        if conversation is None or conversation.flow == starting:
            return None
        return await conversation.where(turn, busy=True)

    async def cancel(self, turn: Turn) -> list[Reply]:
        """/cancel: ends whichever conversation is open."""
        t, person = turn.t, turn.person
        if person is None:
            return [Say(t._(NOT_REGISTERED))]
        conversation = await self.open_flow(turn)
        if conversation is not None:
            own = await conversation.cancel(turn)
            if own is not None:
                return own
        dropped = await turn.services.tx(lambda s: Drafts(s).drop(person.id))
        return [Say(t._(DISCARDED if dropped else NOTHING))]


def _flow_of(session: Session, person_id: int) -> str | None:
    draft = Drafts(session).get(person_id)
    return draft.flow if draft else None


def router_of(services: Services) -> Router:
    """The router of the running bot (set where the flows are put together)."""
    if services.router is None:
        raise RuntimeError("no conversation router: set Services.router")
    return services.router
