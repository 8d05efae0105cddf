"""`/natural_end <number> <cause> <date> [note]` (township staff, private chat): 自然消除, a
household that left monitoring because its last member died or it moved away. No notice
chain and no criteria (monitoring/natural_end.py); audited; an open warning is closed; a
check-in of it being answered is closed and its helper told; `/reinstate` reverses it."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Reply, Say
from conversations.engine.turn import Turn
from conversations.proposals.eliminate import _me, _of_township, _staff
from conversations.proposals.names import CAUSE_NAMES
from conversations.proposals.steps import tell
from monitoring.i18n import N_
from monitoring.natural_end import parse_natural_end
from monitoring.proposals import Refused
from storage.checkins import FLOW as CHECKIN
from storage.drafts import Drafts
from storage.natural_ends import NaturalEnds


async def natural_end(turn: Turn) -> list[Reply]:
    person, refused = _staff(turn, "natural_end")
    if person is None:
        return refused
    t, services = turn.t, turn.services
    now = services.now()
    try:
        request = parse_natural_end(turn.event.args, now.astimezone(services.tz).date())
    except Refused as wrong:
        return [Say(t._(wrong.msgid).format(**wrong.params))]

    def end(session: Session) -> str:
        household = _of_township(session, request.number, person)
        if household is None:
            return t._("There is no household {number} in your township.").format(
                number=request.number
            )
        try:
            row = NaturalEnds(session).record(household, _me(session, person), request, now=now)
        except Refused as wrong:
            return t._(wrong.msgid).format(**wrong.params)
        for helper in Drafts(session).close_about(CHECKIN, household.id):
            tell(
                session,
                helper,
                f"natural_end:{row.id}:checkin_closed:{helper}",
                N_(
                    "Household {number} ({head}) is no longer monitored (natural end). Your "
                    "unfinished check-in for it was closed; it needs no more check-ins."
                ),
                {"number": household.number, "head": household.head_name},
                now,
            )
        return t._(
            "Household {number} ({head}) left monitoring (natural end: {cause}, {day}). No "
            "notice or county decision is needed; it needs no more check-ins. /reinstate "
            "reverses it."
        ).format(
            number=household.number,
            head=household.head_name,
            cause=t._(CAUSE_NAMES[request.cause.value]),
            day=t.date(request.on),
        )

    try:
        said = await tx_once(services, turn.event, end)
    except Redelivered:
        return []
    services.wake_outbox()
    return [Say(said)]
