"""Taking households out of monitoring and back (township staff, private chat):

- `/eliminate <number>`: the criteria of the policy checked against the stored history, with
  buttons: record labour capacity, confirm when all hold, or (when they do not) refer the
  case to the county giving a reason (asked for by `decide.ReasonConversation`); there is
  no override;
- `/reinstate <number> <reason>`: back into monitoring."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conversations.actions import ELIMINATION
from conversations.engine.events import ChatKind
from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Edit, Keyboard, Reply, Say, Toast
from conversations.engine.router import router_of
from conversations.engine.services import PersonView
from conversations.engine.turn import Turn
from conversations.proposals.decide import REASON
from conversations.proposals.steps import criteria_of
from conversations.proposals.texts import criteria_keyboard, criteria_text
from conversations.proposals.workflow import Workflow
from monitoring.elimination import Criterion
from monitoring.i18n import Translator
from monitoring.people import HouseholdStatus, Role
from monitoring.proposals import Refused
from storage.drafts import Drafts
from storage.eliminations import Eliminations
from storage.models import Household, Person
from storage.repositories import Households


def _criteria(session: Session, household: Household, turn: Turn) -> list[Criterion]:
    return criteria_of(session, household, turn.services, turn.services.now())


def _staff(turn: Turn, command: str) -> tuple[PersonView | None, list[Reply]]:
    person, t = turn.person, turn.t
    if person is None or person.role is not Role.TOWNSHIP_STAFF:
        return None, [Say(t._("/{command} is for township staff.").format(command=command))]
    if turn.event.chat_kind is not ChatKind.PRIVATE:
        return None, [
            Say(t._("Please send /{command} in your private chat with me.").format(command=command))
        ]
    return person, []


def _of_township(session: Session, number: str, person: PersonView) -> Household | None:
    household = Households(session).by_number(number.strip().upper())
    if household is None or household.village.township_id != person.township_id:
        return None
    return household


def _me(session: Session, person: PersonView) -> Person:
    me = session.get(Person, person.id)
    assert me is not None
    return me


async def eliminate(turn: Turn) -> list[Reply]:
    person, refused = _staff(turn, "eliminate")
    if person is None:
        return refused
    t = turn.t
    if not turn.event.args:
        return [Say(t._("Please give the household number, e.g. /eliminate LX01012."))]
    number = turn.event.args[0]

    def check(session: Session) -> tuple[str, Keyboard]:
        household = _of_township(session, number, person)
        if household is None:
            return t._("There is no household {number} in your township.").format(number=number), ()
        if household.status != HouseholdStatus.MONITORED.value:
            return t._("Household {number} is not monitored.").format(number=household.number), ()
        criteria = _criteria(session, household, turn)
        return (
            criteria_text(household.number, household.head_name, criteria, t),
            criteria_keyboard(household.id, criteria, t),
        )

    text, keyboard = await turn.services.tx(check)
    return [Say(text, keyboard)]


async def elimination_pressed(turn: Turn) -> list[Reply]:
    """Record labour capacity, confirm, refer to the county (then a reason is asked for),
    cancel."""
    person, t, services, data = turn.person, turn.t, turn.services, turn.event.button
    found = next(
        ((name, v) for name, act in ELIMINATION.items() if (v := act.read(data)) is not None),
        None,
    )
    if (
        person is None
        or person.role is not Role.TOWNSHIP_STAFF
        or found is None
        or not found[1]["household"].isdigit()
    ):
        return [Toast(t._("/{command} is for township staff.").format(command="eliminate"))]
    action, values = found
    household_id = int(values["household"])
    if action == "x":
        await services.tx(lambda s: Drafts(s).drop(person.id, REASON))
        text = turn.event.message_text
        return [Edit(text, best_effort=True)] if text is not None else []

    def act(session: Session) -> tuple[str, Keyboard] | None:
        household = session.get(Household, household_id)
        if household is None or household.village.township_id != person.township_id:
            return t._("There is no household {number} in your township.").format(number="?"), ()
        try:
            return _act(session, turn, household, action, values.get("can_work"), t)
        except Refused as refused:
            return t._(refused.msgid).format(**refused.params), ()

    try:
        outcome = await tx_once(services, turn.event, act)
    except Redelivered:
        return []
    if outcome is None:  # another conversation is open: it stands first
        return [Toast(""), *(await router_of(services).busy(turn) or [])]
    services.wake_outbox()
    text, keyboard = outcome
    return [Edit(text, keyboard)]


def _act(
    session: Session,
    turn: Turn,
    household: Household,
    action: str,
    can_work: str | None,
    t: Translator,
) -> tuple[str, Keyboard] | None:
    person = turn.person
    assert person is not None
    me, now = _me(session, person), turn.services.now()
    if action == "lab" and can_work in ("0", "1"):
        Eliminations(session).set_labour(household, can_work == "1", me, now=now)
        criteria = _criteria(session, household, turn)
        return (
            criteria_text(household.number, household.head_name, criteria, t),
            criteria_keyboard(household.id, criteria, t),
        )
    if household.status != HouseholdStatus.MONITORED.value:
        return t._("Household {number} is not monitored.").format(number=household.number), ()
    criteria = _criteria(session, household, turn)
    if action == "ok":  # every criterion holds: the procedure starts
        proposal = Workflow(session).start_elimination(household, me, criteria, now=now)
        return t._(
            "Household {number}: every criterion holds. The elimination (no. {id}) now goes "
            "to the village's review, a public notice in the village, the township's review "
            "and the county's decision; you will be told of each step."
        ).format(number=household.number, id=proposal.id), ()
    if action == "rf":
        open_now = Drafts(session).get(person.id)
        if open_now is not None and open_now.flow != REASON:
            return None
        answers = {"action": "refer", "household_id": household.id}
        Drafts(session).start(person.id, REASON, answers=answers, now=now)
        return (
            criteria_text(household.number, household.head_name, criteria, t)
            + "\n"
            + t._(
                "Why should the county look at this case? Please type the reason; it is "
                "recorded and audited."
            ),
            (),
        )
    return t._("Please press one of the buttons."), ()


async def reinstate(turn: Turn) -> list[Reply]:
    person, refused = _staff(turn, "reinstate")
    if person is None:
        return refused
    t, services = turn.t, turn.services
    args = turn.event.args
    if len(args) < 2:
        return [
            Say(
                t._(
                    "Please give the household number and the reason, e.g. /reinstate "
                    "LX01012 income fell again."
                )
            )
        ]
    number, reason = args[0], " ".join(args[1:])[:1000]
    now = services.now()

    def back(session: Session) -> str:
        household = _of_township(session, number, person)
        if household is None:
            return t._("There is no household {number} in your township.").format(number=number)
        try:
            Eliminations(session).reinstate(household, _me(session, person), reason, now=now)
        except Refused as refused:
            return t._(refused.msgid).format(**refused.params)
        return t._("Household {number} is monitored again; its helper's reminders resume.").format(
            number=household.number
        )

    try:
        return [Say(await tx_once(services, turn.event, back))]
    except Redelivered:
        return []
