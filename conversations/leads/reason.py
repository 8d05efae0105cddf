"""不纳入: the reason, typed after the Not included button. One answer: the outcome is
recorded with it (audited); it goes back to the lead's source in the feedback sheet."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from conversations.engine.replies import Reply, Say
from conversations.engine.router import Open
from conversations.engine.turn import Turn
from conversations.leads.flow import ASK, REASON
from conversations.leads.work import NotAllowed, set_outcome
from monitoring.i18n import N_
from monitoring.leads import Outcome
from storage.drafts import Drafts


@dataclass(frozen=True)
class Taken:
    note: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)


class ExclusionConversation:
    flow = REASON
    prefix = ""  # no buttons of its own (Not included is /leads' button)
    about_household = False
    none = N_("Please press one of the buttons.")

    def take(self, at: Open) -> Taken:
        reason = " ".join((at.event.text or "").split())
        lead_id = at.draft.subject_id or 0
        if len(reason) < 2:
            return Taken(N_("Please type the reason (a few words)."))
        Drafts(at.session).drop(at.person.id, REASON)
        today = at.now.astimezone(at.services.tz).date()
        try:
            set_outcome(
                at.session, at.person.id, lead_id, Outcome.EXCLUDED, reason, today=today, now=at.now
            )
        except NotAllowed as no:
            return Taken(no.msgid)
        return Taken(N_("Lead no. {id} is recorded as not included."), {"id": lead_id})

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        return [Say(turn.t._(taken.note).format(**taken.params))]

    async def where(self, turn: Turn, busy: bool = False) -> list[Reply]:
        person, t = turn.person, turn.t
        if person is None:
            return []
        draft = await turn.services.tx(lambda s: Drafts(s).of(person.id, REASON))
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


CONVERSATION = ExclusionConversation()
