"""不纳入: the reason, typed after the Not included button. One answer: the outcome is
recorded with it (audited); it goes back to the lead's source in the feedback sheet."""

from __future__ import annotations

from datetime import date

from conversations.engine.router import Open
from conversations.engine.typed_reason import Taken, TypedReason
from conversations.leads.flow import ASK, REASON
from conversations.leads.work import NotAllowed, set_outcome
from monitoring.i18n import N_
from monitoring.leads import Outcome


class ExclusionConversation(TypedReason):
    flow = REASON
    ask = ASK

    def record(self, at: Open, subject_id: int, reason: str, today: date) -> Taken:
        try:
            set_outcome(
                at.session,
                at.person.id,
                subject_id,
                Outcome.EXCLUDED,
                reason,
                today=today,
                now=at.now,
            )
        except NotAllowed as no:
            return Taken(no.msgid)
        return Taken(N_("Lead no. {id} is recorded as not included."), {"id": subject_id})


CONVERSATION = ExclusionConversation()
