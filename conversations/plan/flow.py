"""/plan <household number>: the household's plan on a short private screen, with a button
for the same plan as a spreadsheet to print (sent as a document). Its helper, its village
head and its township's staff may see it; anyone else is told there is no such household
they may see (as /history)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from sqlalchemy.orm import Session

from conversations.actions import PLAN_SHEET
from conversations.engine.replies import Button, Document, Reply, Say, Toast
from conversations.engine.turn import Turn
from conversations.plan import sheet
from conversations.plan.texts import plan_text
from conversations.reports.ledger import to_bytes
from storage.models import Person
from storage.plan import HouseholdPlan, find_household, household_plan


def _load(
    person_id: int, *, number: str | None = None, household_id: int | None = None
) -> Callable[[Session], HouseholdPlan | None]:
    def load(session: Session) -> HouseholdPlan | None:
        viewer = session.get(Person, person_id)
        if viewer is None:
            return None
        household = find_household(session, viewer, number=number, household_id=household_id)
        return household_plan(session, household) if household is not None else None

    return load


async def plan(turn: Turn) -> list[Reply]:
    person, t, services = turn.person, turn.t, turn.services
    if person is None:
        return [Say(t._("You are not registered yet. Send /start and share your phone number."))]
    number = " ".join(turn.event.args).strip()
    if not number:
        return [Say(t._("Send /plan followed by the household number, e.g. /plan LX01001."))]
    found = await services.tx(_load(person.id, number=number))
    if found is None:
        return [Say(t._("No household {number} that you may see.").format(number=number))]
    today = services.now().astimezone(services.tz).date()
    button = Button(
        t._("📄 Print version (spreadsheet)"), PLAN_SHEET.data(household=found.household_id)
    )
    return [Say(plan_text(found, t, services.tz, today), ((button,),))]


async def plan_pressed(turn: Turn) -> list[Reply]:
    """The plan as an XLSX, privately; who may see it is checked again."""
    person, t, services = turn.person, turn.t, turn.services
    chosen = PLAN_SHEET.read(turn.event.button)
    if person is None or chosen is None or not chosen["household"].isdigit():
        return [Toast(t._("This button is no longer valid."))]
    found = await services.tx(_load(person.id, household_id=int(chosen["household"])))
    if found is None:
        return [Toast(t._("This button is no longer valid."))]
    today = services.now().astimezone(services.tz).date()
    plan_of = found
    data = await asyncio.to_thread(lambda: to_bytes(sheet.build(plan_of, t, services.tz, today)))
    caption = t._("Plan of household {number}").format(number=found.number)
    return [Toast(""), Document(data, sheet.filename(found.number), caption)]
