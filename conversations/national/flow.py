"""/national: what township staff must enter in the national monitoring system, one household
per screen (its changes in the order of the system's screens), privately only (amounts, masked
ID numbers). "✅ 已录入" ticks the changes shown (audited) and shows the next household; a
change recorded after the screen was shown stays listed. ◀ / ▶ turn to another household;
the whole list comes as a spreadsheet."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.actions import NATIONAL_PAGE, NATIONAL_SHEET, NATIONAL_TICK
from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Button, Document, Edit, Keyboard, Reply, Say, Toast
from conversations.engine.turn import Turn
from conversations.national import sheet
from conversations.national.texts import EMPTY, screen_text
from conversations.reports.ledger import to_bytes
from monitoring.i18n import N_, Translator
from monitoring.national import keeps_the_list, may_enter
from storage.models import Household, Person, Village
from storage.national import (
    HouseholdToEnter,
    households_to_enter,
    mark_entered,
    to_enter_list,
)
from storage.repositories import Audit
from storage.roster_facts import NATIONAL_CODE_LONGEST

ONLY_STAFF = N_("/national is for township staff.")
USAGE = N_(
    "Send /national for the list; to record a household's national system code, send "
    "/national, the household number and the code, e.g. /national LX01001 500118001001."
)
STALE = N_("This button is no longer valid.")


Page = tuple[int, int, HouseholdToEnter | None]  # the index shown, how many, the household


def page_of(township_id: int, index: int) -> Callable[[Session], Page]:
    """The township's household at `index` (from 1, kept within the list), with its changes;
    only that household's changes are read."""

    def load(session: Session) -> Page:
        ids = households_to_enter(session, township_id)
        if not ids:
            return 0, 0, None
        shown = min(max(1, index), len(ids))
        found = to_enter_list(session, household_id=ids[shown - 1])
        return shown, len(ids), found[0] if found else None

    return load


def screen(page: Page, t: Translator, tz: ZoneInfo) -> tuple[str, Keyboard]:
    """The household's screen with its buttons."""
    index, count, household = page
    if household is None:
        return t._(EMPTY), ()
    rows: list[tuple[Button, ...]] = [
        (
            Button(
                t._("✅ Entered"),
                NATIONAL_TICK.data(
                    household=household.household_id, upto=household.up_to, index=index
                ),
            ),
        )
    ]
    turn_to = []
    if index > 1:
        turn_to.append(Button(t._("◀ Previous household"), NATIONAL_PAGE.data(index=index - 1)))
    if index < count:
        turn_to.append(Button(t._("Next household ▶"), NATIONAL_PAGE.data(index=index + 1)))
    if turn_to:
        rows.append(tuple(turn_to))
    rows.append((Button(t._("📄 The whole list (spreadsheet)"), NATIONAL_SHEET.data()),))
    return screen_text(household, index, count, t, tz), tuple(rows)


async def national(turn: Turn) -> list[Reply]:
    person, t, services = turn.person, turn.t, turn.services
    if person is None or not keeps_the_list(person.role):
        return [Say(t._(ONLY_STAFF))]
    if turn.event.args:
        return await _record_code(turn, person.id)
    text, keyboard = screen(await services.tx(page_of(person.township_id, 1)), t, services.tz)
    return [Say(text, keyboard)]


def _set_code(
    person_id: int, number: str, code: str, now: datetime
) -> Callable[[Session], str | None]:
    def apply(session: Session) -> str | None:
        person = session.get(Person, person_id)
        household = session.scalar(
            select(Household).where(Household.number.in_([number, number.upper()]))
        )
        village = session.get(Village, household.village_id) if household else None
        assert person is not None
        if household is None or village is None:
            return None
        if not may_enter(person.role, person.township_id, village.township_id):
            return None
        Audit(session).update_fields(
            household,
            {"national_code": code},
            now=now,
            actor=f"person:{person.id}",
            entity="household",
            key=household.number,
        )
        return household.number

    return apply


async def _record_code(turn: Turn, person_id: int) -> list[Reply]:
    """/national <household number> <code>: the household's code in the national system
    (系统户编号), where the roster did not give it; audited."""
    t, services, args = turn.t, turn.services, turn.event.args
    if len(args) != 2 or len(args[1]) > NATIONAL_CODE_LONGEST:
        return [Say(t._(USAGE))]
    number, code = args[0], args[1]
    try:
        done = await tx_once(
            services, turn.event, _set_code(person_id, number, code, services.now())
        )
    except Redelivered:
        return []
    if done is None:
        return [Say(t._("No household {number} that you may see.").format(number=number))]
    return [
        Say(
            t._("National system code of household {number} recorded: {code}.").format(
                number=done, code=code
            )
        )
    ]


def _tick(
    person_id: int, household_id: int, up_to: int, index: int, now: datetime
) -> Callable[[Session], tuple[int | None, Page]]:
    """Tick, then the household now at `index` (the next one, as the ticked one left)."""

    def apply(session: Session) -> tuple[int | None, Page]:
        person = session.get(Person, person_id)
        household = session.get(Household, household_id)
        village = session.get(Village, household.village_id) if household else None
        assert person is not None
        if household is None or village is None:
            return None, (0, 0, None)
        if not may_enter(person.role, person.township_id, village.township_id):
            return None, (0, 0, None)
        ticked = mark_entered(session, household, up_to, person, now=now)
        return ticked, page_of(person.township_id, index)(session)

    return apply


async def national_pressed(turn: Turn) -> list[Reply]:
    person, t, services, data = turn.person, turn.t, turn.services, turn.event.button
    if person is None or not keeps_the_list(person.role):
        return [Toast(t._(ONLY_STAFF))]
    township, tz = person.township_id, services.tz
    if NATIONAL_SHEET.read(data) is not None:
        found = await services.tx(lambda s: to_enter_list(s, township))
        if not found:
            return [Toast(t._(EMPTY))]
        day = services.now().astimezone(tz).date()
        content = await asyncio.to_thread(lambda: to_bytes(sheet.build(found, t, tz)))
        caption = t._("To enter in the national system: {n} households").format(n=len(found))
        return [Toast(""), Document(content, sheet.filename(person.township_name, day), caption)]
    turned = NATIONAL_PAGE.read(data)
    if turned is not None and turned["index"].isdigit():
        text, keyboard = screen(await services.tx(page_of(township, int(turned["index"]))), t, tz)
        return [Toast(""), Edit(text, keyboard)]
    tick = NATIONAL_TICK.read(data)
    if tick is None or not all(v.isdigit() for v in tick.values()):
        return [Toast(t._(STALE))]
    chosen = (int(tick["household"]), int(tick["upto"]), int(tick["index"]))
    apply = _tick(person.id, *chosen, services.now())
    try:
        ticked, page = await tx_once(services, turn.event, apply)
    except Redelivered:
        return []
    if ticked is None:
        return [Toast(t._(STALE))]
    said = (
        t.ngettext(
            "Recorded: {n} change ticked as entered.",
            "Recorded: {n} changes ticked as entered.",
            ticked,
        ).format(n=ticked)
        if ticked
        else t._("These changes were ticked as entered already.")
    )
    text, keyboard = screen(page, t, tz)
    return [Toast(said), Edit(text, keyboard)]
