"""/leads (village heads and township staff, private chat): the leads they must check, the
overdue and then the oldest first, one button each; opening one shows it with its outcomes:
已是监测对象 and 查无此人 at once, 不纳入 asks for the reason (`reason.py`), 纳入 starts a
proposal prefilled from it (the /propose conversation); a lead without a village gets one
from the township staff first."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Edit, Reply, Say, Toast
from conversations.engine.router import router_of
from conversations.engine.turn import Turn
from conversations.engine.typed_reason import ask_reason
from conversations.leads.actions import OPEN, OUTCOME, PROPOSE, VILLAGE
from conversations.leads.texts import LeadView, lead_keyboard, lead_text, list_keyboard
from conversations.leads.work import (
    NotAllowed,
    give_village,
    may_ask_reason,
    opened,
    proposal_answers,
    set_outcome,
    to_check,
)
from monitoring.i18n import N_
from monitoring.leads import Outcome
from monitoring.people import Role
from storage.drafts import Drafts

SHOWN = 20  # leads listed at once
REASON = "leadreason"  # the drafts' flow name of 不纳入's reason being typed
ASK = N_(
    "Why is lead no. {id} not included? Please type the reason (it is reported back to "
    "where the lead came from), or send /cancel."
)
ONLY_FOR = N_("/leads is for village heads and township staff.")
PROPOSAL = "proposal"  # conversations.proposals.propose.FLOW


async def leads(turn: Turn) -> list[Reply]:
    person, t, services = turn.person, turn.t, turn.services
    if person is None or person.role not in (Role.VILLAGE_HEAD, Role.TOWNSHIP_STAFF):
        return [Say(t._(ONLY_FOR))]
    today = services.now().astimezone(services.tz).date()
    days = services.policy.lead_check_days
    found = await services.tx(lambda s: to_check(s, person.id, today, days))
    if not found:
        return [Say(t._("You have no leads to check."))]
    head = t.ngettext(
        "{n} lead to check at home, the overdue and the oldest first:",
        "{n} leads to check at home, the overdue and the oldest first:",
        len(found),
    ).format(n=len(found))
    if len(found) > SHOWN:
        head += "\n" + t._("The first {shown} are shown.").format(shown=SHOWN)
    return [Say(head, list_keyboard(found[:SHOWN], t, today))]


async def lead_pressed(turn: Turn) -> list[Reply]:
    person, t, services, data = turn.person, turn.t, turn.services, turn.event.button
    chosen = OPEN.read(data) or OUTCOME.read(data) or PROPOSE.read(data) or VILLAGE.read(data)
    if person is None or chosen is None or not chosen["lead"].isdigit():
        return [Toast(t._("This button is no longer valid."))]
    lead_id = int(chosen["lead"])
    now = services.now()
    today = now.astimezone(services.tz).date()
    can_propose = person.role is Role.VILLAGE_HEAD

    if OPEN.read(data) is not None:
        try:
            view, villages = await services.tx(lambda s: opened(s, person.id, lead_id))
        except NotAllowed as no:
            return [Toast(t._(no.msgid))]
        keyboard = lead_keyboard(view, t, can_propose=can_propose, villages=villages)
        return [Toast(""), Say(lead_text(view, t, today), keyboard)]
    if (village := VILLAGE.read(data)) is not None:
        if not village["village"].isdigit():
            return [Toast(t._("This button is no longer valid."))]
        village_id = int(village["village"])
        return await _apply(
            turn, lambda s: give_village(s, person.id, lead_id, village_id, now=now), can_propose
        )
    if PROPOSE.read(data) is not None:
        return await _propose(turn, lead_id)
    outcome = OUTCOME.read(data)
    assert outcome is not None
    if outcome["outcome"] == Outcome.EXCLUDED.value:
        return await _ask_reason(turn, lead_id)
    chosen_outcome = {"monitored": Outcome.MONITORED, "not_found": Outcome.NOT_FOUND}.get(
        outcome["outcome"]
    )
    if chosen_outcome is None:
        return [Toast(t._("This button is no longer valid."))]
    return await _apply(
        turn,
        lambda s: set_outcome(s, person.id, lead_id, chosen_outcome, None, today=today, now=now),
        can_propose,
    )


async def _apply(turn: Turn, work: Callable[[Session], LeadView], can_propose: bool) -> list[Reply]:
    t, services = turn.t, turn.services
    today = services.now().astimezone(services.tz).date()

    def run(session: Session) -> LeadView | str:
        try:
            return work(session)
        except NotAllowed as no:
            return no.msgid

    try:
        result = await tx_once(services, turn.event, run)
    except Redelivered:
        return []
    if isinstance(result, str):
        return [Toast(t._(result))]
    services.wake_outbox()
    keyboard = lead_keyboard(result, t, can_propose=can_propose, villages=[])
    return [Toast(t._("Saved.")), Edit(lead_text(result, t, today), keyboard)]


async def _ask_reason(turn: Turn, lead_id: int) -> list[Reply]:
    assert turn.person is not None
    person_id = turn.person.id

    def refusal(session: Session) -> str | None:
        try:
            may_ask_reason(session, person_id, lead_id)
        except NotAllowed as no:
            return no.msgid
        return None

    return await ask_reason(turn, REASON, ASK, lead_id, refusal)


async def _propose(turn: Turn, lead_id: int) -> list[Reply]:
    """纳入: the /propose conversation, its first answers from the lead."""
    from conversations.proposals.propose import CONVERSATION

    person, t, services = turn.person, turn.t, turn.services
    assert person is not None
    if busy := await router_of(services).busy(turn, starting=PROPOSAL):
        return [Toast(""), *busy]
    now = services.now()

    def start(session: Session) -> str | None:
        drafts = Drafts(session)
        if drafts.of(person.id, PROPOSAL) is not None:
            return N_("You have a proposal in progress: finish it or send /cancel first.")
        try:
            answers = proposal_answers(session, person.id, lead_id)
        except NotAllowed as no:
            return no.msgid
        drafts.start(person.id, PROPOSAL, answers=answers, now=now)
        return None

    try:
        said = await tx_once(services, turn.event, start)
    except Redelivered:
        return []
    if said is not None:
        return [Toast(t._(said))]
    note = N_("A proposal from the lead: its village, name and risks are filled in.")
    return [Toast(""), *await CONVERSATION.where(turn, note=note)]
