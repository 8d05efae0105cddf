"""A measure refused (未通过): the reason, typed after the Refused button. One answer: the
reason is stored with the refusal (audited), the helper and the village head are told."""

from __future__ import annotations

from datetime import date

from conversations.engine.router import Open
from conversations.engine.typed_reason import Taken, TypedReason
from conversations.tasks.flow import ASK, REFUSAL
from conversations.tasks.work import NotAllowed, change
from monitoring.i18n import N_
from monitoring.measures import Status


class RefusalConversation(TypedReason):
    flow = REFUSAL
    ask = ASK

    def record(self, at: Open, subject_id: int, reason: str, today: date) -> Taken:
        try:
            change(
                at.session,
                at.person.id,
                subject_id,
                Status.REFUSED,
                reason,
                now=at.now,
                today=today,
            )
        except NotAllowed as no:
            return Taken(no.msgid)
        return Taken(
            N_("Measure no. {id} is marked refused; the helper and the village head are told."),
            {"id": subject_id},
            True,
        )


CONVERSATION = RefusalConversation()
