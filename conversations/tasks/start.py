"""Starting a help measure from a household, wherever its need is seen: `/measure <number>`,
the button on the household's screen (`/history`), on the notice that a household just
identified needs its plan (and its reminder), and on an elimination check that failed for
want of a delivered measure. The conversation is the one a red warning's button starts
(`conversations/warnings/measures.py`), without a warning: every category offered in the
seed's order."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from conversations.actions import RECORD_FOR
from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Button, Reply, Say, Toast
from conversations.engine.router import NOT_REGISTERED, router_of
from conversations.engine.services import PersonView
from conversations.engine.turn import Turn
from conversations.warnings.measures import CONVERSATION, kind_question
from monitoring.i18n import N_, Translator
from monitoring.people import Role, checked_in
from monitoring.warnings import may_record_measure
from storage.measures import FLOW, Measures
from storage.models import HelperAssignment, Household, Person
from storage.repositories import Households, actor_of

MAY_RECORD = (Role.HELPER, Role.VILLAGE_HEAD, Role.TOWNSHIP_STAFF)
ONLY = N_(
    "Only a household's helper, its village head or township staff can record a help measure."
)
UNKNOWN = N_("There is no household {number} in your township.")
NOT_MONITORED = N_(
    "Household {number} is not monitored (its risk was marked eliminated): no help measure is "
    "recorded for it."
)
NOT_YOURS = N_(
    "Household {number} is not one you look after: only its helper, its village head or "
    "township staff can record a help measure for it."
)


def record_button(household_id: int, t: Translator) -> Button:
    """The button that starts recording a measure for the household."""
    return Button(t._("📋 Record a help measure"), RECORD_FOR.data(household=household_id))


@dataclass(frozen=True)
class Started:
    number: str
    head: str


async def measure(turn: Turn) -> list[Reply]:
    """/measure <household number>."""
    person, t = turn.person, turn.t
    if person is None:
        return [Say(t._(NOT_REGISTERED))]
    if person.role not in MAY_RECORD:
        return [Say(t._(ONLY))]
    number = " ".join(turn.event.args).strip()
    if not number:
        return [Say(t._("Send /measure followed by the household number, e.g. /measure LX01001."))]

    def find(session: Session) -> Household | None:
        households = Households(session)
        return households.by_number(number) or households.by_number(number.upper())

    return await _start(turn, person, find, number)


async def measure_pressed(turn: Turn) -> list[Reply]:
    """📋 Record a help measure, under a household (its id in the button's data)."""
    person, t = turn.person, turn.t
    chosen = RECORD_FOR.read(turn.event.button)
    if chosen is None or not chosen["household"].isdigit():
        return [Toast(t._("This button is no longer valid."))]
    if person is None:
        return [Toast(""), Say(t._(NOT_REGISTERED))]
    if person.role not in MAY_RECORD:
        return [Toast(t._(ONLY))]
    household_id = int(chosen["household"])
    replies = await _start(turn, person, lambda s: s.get(Household, household_id), "?")
    return [Toast(""), *replies]


async def _start(
    turn: Turn,
    person: PersonView,
    find: Callable[[Session], Household | None],
    number: str,
) -> list[Reply]:
    t, services = turn.t, turn.services
    busy = await router_of(services).busy(turn, starting=FLOW)
    if busy is not None:
        return busy
    now = services.now()

    def start(session: Session) -> Started | tuple[str, str]:
        household = find(session)
        if household is None or household.village.township_id != person.township_id:
            return UNKNOWN, number  # another township's numbers are not confirmed either
        if not checked_in(household.status):
            return NOT_MONITORED, household.number
        me = session.get(Person, person.id)
        assert me is not None
        assignment = session.get(HelperAssignment, household.id)
        helper = assignment.helper_id if assignment else None
        village = household.village
        if not may_record_measure(actor_of(me), village.township_id, village.id, helper):
            return NOT_YOURS, household.number
        Measures(session).start_draft(me.id, household.id, None, now=now)
        return Started(household.number, household.head_name)

    try:
        outcome = await tx_once(services, turn.event, start)
    except Redelivered:
        return await CONVERSATION.where(turn)
    if isinstance(outcome, tuple):
        msgid, shown = outcome
        return [Say(t._(msgid).format(number=shown))]
    question, keyboard = kind_question([], t)
    head = t._("A help measure for household {number} ({head}).").format(
        number=outcome.number, head=outcome.head
    )
    return [Say(head + "\n" + question, keyboard)]
