"""A one-answer conversation: the reason typed after a button (a lead not included, a measure
refused). The button's flow opens a draft of `flow` with the subject's id; the next private
message is the reason, recorded by the subclass's `record` in the router's one transaction."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Reply, Say, Toast
from conversations.engine.router import Open, router_of
from conversations.engine.turn import Turn
from monitoring.i18n import N_
from storage.drafts import Drafts

# Said first when a command is sent while a reason is asked for (any reason conversation).
ASKED = N_("You were asked for a reason. Type it, or send /cancel.")


async def ask_reason(
    turn: Turn, flow: str, ask: str, subject_id: int, refusal: Callable[[Session], str | None]
) -> list[Reply]:
    """The button that asks for a reason: in one transaction (handled once), `refusal` says
    why it may not be given (a msgid) or None, and the draft of `flow` is started; then the
    question `ask` (a msgid with {id})."""
    person, t, services = turn.person, turn.t, turn.services
    assert person is not None
    if busy := await router_of(services).busy(turn, starting=flow):
        return [Toast(""), *busy]
    now = services.now()

    def start(session: Session) -> str | None:
        why = refusal(session)
        if why is None:
            Drafts(session).start(person.id, flow, subject_id=subject_id, now=now)
        return why

    try:
        said = await tx_once(services, turn.event, start)
    except Redelivered:
        return []
    if said is not None:
        return [Toast(t._(said))]
    return [Toast(""), Say(t._(ask).format(id=subject_id))]


@dataclass(frozen=True)
class Taken:
    note: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)
    done: bool = False  # something was queued in the outbox: wake it


class TypedReason:
    flow: str  # the draft's flow
    ask: str  # msgid of the question, with {id}
    prefix = ""  # no buttons of its own (the reason follows another screen's button)
    about_household = False
    none = N_("Please press one of the buttons.")

    def record(self, at: Open, subject_id: int, reason: str, today: date) -> Taken:
        raise NotImplementedError

    def take(self, at: Open) -> Taken:
        reason = " ".join((at.event.text or "").split())
        if len(reason) < 2:
            return Taken(N_("Please type the reason (a few words)."))
        Drafts(at.session).drop(at.person.id, self.flow)
        today = at.now.astimezone(at.services.tz).date()
        return self.record(at, at.draft.subject_id or 0, reason, today)

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        if taken.done:
            turn.services.wake_outbox()
        return [Say(turn.t._(taken.note).format(**taken.params))]

    async def where(self, turn: Turn, busy: bool = False) -> list[Reply]:
        person, t = turn.person, turn.t
        if person is None:
            return []
        draft = await turn.services.tx(lambda s: Drafts(s).of(person.id, self.flow))
        if draft is None:
            return []
        text = t._(self.ask).format(id=draft.subject_id)
        if busy:
            text = t._(ASKED) + "\n" + text
        return [Say(text)]

    async def cancel(self, turn: Turn) -> list[Reply] | None:
        return None  # discarded by the router

    async def ended(self, turn: Turn) -> list[Reply]:
        return []
