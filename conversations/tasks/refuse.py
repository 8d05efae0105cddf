"""A measure refused (未通过): the reason, typed after the Refused button. One answer: the
reason is stored with the refusal (audited), the helper and the village head are told."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conversations.engine.replies import Reply, Say
from conversations.engine.router import Open
from conversations.engine.turn import Turn
from conversations.tasks.flow import ASK, REFUSAL
from conversations.tasks.work import NotAllowed, change
from monitoring.i18n import N_
from monitoring.measures import Status
from storage.drafts import Drafts


@dataclass(frozen=True)
class Taken:
    note: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)
    done: bool = False


class RefusalConversation:
    flow = REFUSAL
    prefix = ""  # no buttons of its own (Refused is /tasks' button)
    about_household = False
    none = N_("Please press one of the buttons.")

    def take(self, at: Open) -> Taken:
        reason = " ".join((at.event.text or "").split())
        measure_id = at.draft.subject_id or 0
        if len(reason) < 2:
            return Taken(N_("Please type the reason (a few words)."))
        Drafts(at.session).drop(at.person.id, REFUSAL)
        today = at.now.astimezone(at.services.tz).date()
        try:
            change(
                at.session,
                at.person.id,
                measure_id,
                Status.REFUSED,
                reason,
                now=at.now,
                today=today,
            )
        except NotAllowed as no:
            return Taken(no.msgid)
        return Taken(
            N_("Measure no. {id} is marked refused; the helper and the village head are told."),
            {"id": measure_id},
            True,
        )

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        if taken.done:
            turn.services.wake_outbox()
        return [Say(turn.t._(taken.note).format(**taken.params))]

    async def where(self, turn: Turn, busy: bool = False) -> list[Reply]:
        person, t = turn.person, turn.t
        if person is None:
            return []
        draft = await turn.services.tx(lambda s: Drafts(s).of(person.id, REFUSAL))
        if draft is None:
            return []
        text = t._(ASK).format(id=draft.subject_id)
        if busy:
            text = t._("You were asked for a reason. Type it, or send /cancel.") + "\n" + text
        return [Say(text)]

    async def cancel(self, turn: Turn) -> list[Reply] | None:
        return None  # discarded by the router

    async def ended(self, turn: Turn) -> list[Reply]:
        return []


CONVERSATION = RefusalConversation()
