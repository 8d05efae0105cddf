"""Starting a check-in: `/checkin` (continue the open one, or choose a household) and the
household buttons of that list and of the reminders."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conversations.actions import PICK_PAGE, START_CHECKIN
from conversations.checkin.income import draft_view
from conversations.checkin.texts import household_line, in_place, show
from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Button, Edit, Keyboard, Reply, Say, Toast
from conversations.engine.router import NOT_REGISTERED, router_of
from conversations.engine.services import PersonView
from conversations.engine.turn import Turn
from conversations.pages import page_note, page_of, page_pressed, pager
from conversations.texts import visit_label
from monitoring.checkin_income import BASIS_KEY
from monitoring.checkin_members import start_facts
from monitoring.income import basis
from monitoring.people import Role, checked_in
from monitoring.team import may_check_in
from monitoring.weeks import week_of
from storage.checkins import FLOW, CheckIns, DraftView, HouseholdView
from storage.income import Incomes
from storage.members import HouseholdMembers
from storage.models import Household


async def checkin(turn: Turn) -> list[Reply]:
    person, t, services = turn.person, turn.t, turn.services
    if person is None:
        return [Say(t._(NOT_REGISTERED))]
    busy = await router_of(services).busy(turn, starting=FLOW)
    if busy is not None:
        return busy
    now = services.now()
    week = week_of(now, services.tz)
    draft = await services.tx(
        lambda s: draft_view(s, person.id, week, now=now, tz=services.tz, policy=services.policy)
    )
    if draft is not None:
        return [
            show(
                draft,
                t,
                t._(
                    "Continuing your unfinished check-in for {household} (send /cancel to "
                    "discard it)."
                ).format(household=household_line(draft.household)),
            )
        ]
    households = await services.tx(
        lambda s: CheckIns(s).households_of(person.id, week, services.policy.visits)
    )
    if not households and person.role is not Role.HELPER:
        return [
            Say(
                t._(
                    "No household's help team (帮扶小组) lists you. The township office "
                    "names a household's team in the roster."
                )
            )
        ]
    if not households:
        return [
            Say(
                t._(
                    "No household is assigned to you for monitoring. If that is "
                    "wrong, please contact the township office."
                )
            )
        ]
    if len(households) == 1:
        return await _start(turn, person, households[0].id)
    text, keyboard = _picker(turn, households, 1)
    return [Say(text, keyboard)]


def _picker(turn: Turn, households: list[HouseholdView], page: int) -> tuple[str, Keyboard]:
    """Which household: a button each, those still due first, a screen at a time."""
    t, services = turn.t, turn.services
    week = week_of(services.now(), services.tz)
    due = sum(1 for h in households if not h.done_this_week)
    ordered = sorted(households, key=lambda h: h.done_this_week)
    shown, page, pages = page_of(ordered, page)
    keyboard: Keyboard = tuple(
        (
            Button(
                ("✅ " if h.done_this_week else "⏳ ") + household_line(h),
                START_CHECKIN.data(household=h.id),
            ),
        )
        for h in shown
    )
    if pages > 1:
        keyboard = (*keyboard, pager(PICK_PAGE, page, pages, t))
    text = t._(
        "Which household are you checking in? {week}: {due} of {total} still due (✅ done, ⏳ due)."
    ).format(week=visit_label(week, services.policy.visits, t), due=due, total=len(households))
    return text + page_note(page, pages, t), keyboard


async def picker_page_pressed(turn: Turn) -> list[Reply]:
    """◀ / ▶ under the household list: the list's other page, in place."""
    person, t, services = turn.person, turn.t, turn.services
    page = page_pressed(PICK_PAGE, turn.event.button)
    if person is None or page is None:
        return [Toast(t._("This button is no longer valid."))]
    week = week_of(services.now(), services.tz)
    households = await services.tx(
        lambda s: CheckIns(s).households_of(person.id, week, services.policy.visits)
    )
    text, keyboard = _picker(turn, households, page)
    return [Toast(""), Edit(text, keyboard)]


async def household_pressed(turn: Turn) -> list[Reply]:
    """A household button: from the list above, or from a reminder."""
    person, t = turn.person, turn.t
    chosen = START_CHECKIN.read(turn.event.button)
    if chosen is None or not chosen["household"].isdigit():
        return [Toast(t._("This button is no longer valid."))]
    if person is None:
        return [Toast(""), Say(t._(NOT_REGISTERED))]
    busy = await router_of(turn.services).busy(turn, starting=FLOW)
    if busy is not None:
        return busy
    replies = await _start(turn, person, int(chosen["household"]))
    if turn.event.message_text is None:
        return replies
    # The list (or the reminder) becomes the first question: one message, and its other
    # household buttons go (the next household: /checkin again).
    return [in_place(r) if isinstance(r, Say) and r.keyboard else r for r in replies]


async def _start(turn: Turn, person: PersonView, household_id: int) -> list[Reply]:
    services, t = turn.services, turn.t
    now = services.now()
    week = week_of(now, services.tz)

    def start(session: Session) -> DraftView | str:
        repo = CheckIns(session)
        if not may_check_in(person.id, repo.helper_of(household_id), repo.team_of(household_id)):
            return "not yours"
        household = session.get(Household, household_id)
        if household is None or not checked_in(household.status):
            return "not monitored"  # eliminated: an old reminder's button, or a forged one
        # The income questions it asks: the county's method, and whether the household's
        # income by source is known (monitoring.income.basis); kept while it is answered.
        known = Incomes(session).known(household_id)
        # The members as they stand (their changes are asked where they are recorded) and
        # whether the school-age question is asked (monitoring.schooling): kept likewise.
        facts = start_facts(
            HouseholdMembers(session).of(household_id),
            day=now.astimezone(services.tz).date(),
            has_school_child=household.has_school_child,
            asked_on=household.school_child_asked_on,
        )
        draft_row = repo.start_draft(
            person.id,
            household_id,
            week,
            now=now,
            answers={BASIS_KEY: basis(services.policy.income_method, known).value, **facts},
        )
        if turn.event.message_text is not None:  # shown in place of the pressed list
            draft_row.screen_id = turn.event.message_id
        session.flush()
        draft = repo.draft_view(person.id, week)
        assert draft is not None
        return draft

    try:
        draft = await tx_once(services, turn.event, start)
    except Redelivered:
        current = await services.tx(
            lambda s: draft_view(
                s, person.id, week, now=now, tz=services.tz, policy=services.policy
            )
        )
        return [show(current, t)] if current is not None else []
    if draft == "not yours":
        return [Say(t._("That household is not one of yours."))]
    if isinstance(draft, str):
        return [
            Say(
                t._(
                    "That household is no longer monitored (risk eliminated or a natural end): "
                    "no check-in is needed. Send /mine to see your households."
                )
            )
        ]
    prefix = None
    if draft.household.done_this_week:
        prefix = t._(
            "{household} was already checked in this week; what you answer now "
            "will replace it as a correction (the earlier one is kept in the "
            "history)."
        ).format(household=household_line(draft.household))
    return [show(draft, t, prefix)]
