"""/mine: a helper's households with this visit period's status and the last level, those
still due first, a screen at a time."""

from __future__ import annotations

from conversations.engine.callbacks import Action
from conversations.engine.replies import Button, Edit, Reply, Say, Toast
from conversations.engine.turn import Turn
from conversations.pages import page_note, page_of, page_pressed, pager
from conversations.texts import level_text, visit_label
from monitoring.weeks import week_of
from storage.checkins import CheckIns

MINE_PAGE = Action("mn", "p", "page")


async def mine(turn: Turn) -> list[Reply]:
    person, t = turn.person, turn.t
    if person is None:
        return [Say(t._("You are not registered yet. Send /start and share your phone number."))]
    text, keyboard = await _page(turn, 1)
    return [Say(text, keyboard)]


async def mine_page_pressed(turn: Turn) -> list[Reply]:
    page = page_pressed(MINE_PAGE, turn.event.button)
    if turn.person is None or page is None:
        return [Toast(turn.t._("This button is no longer valid."))]
    text, keyboard = await _page(turn, page)
    return [Toast(""), Edit(text, keyboard)]


async def _page(turn: Turn, page: int) -> tuple[str, tuple[tuple[Button, ...], ...]]:
    person, t, services = turn.person, turn.t, turn.services
    assert person is not None
    week = week_of(services.now(), services.tz)
    households = await services.tx(
        lambda s: CheckIns(s).households_of(person.id, week, services.policy.visits)
    )
    if not households:
        return t._("No household is assigned to you for monitoring."), ()
    due = sum(1 for h in households if not h.done_this_week)
    ordered = sorted(households, key=lambda h: h.done_this_week)  # still due first
    shown, page, pages = page_of(ordered, page)
    lines = [
        t._("Your households, {week}: {due} of {total} still due.").format(
            week=visit_label(week, services.policy.visits, t), due=due, total=len(households)
        )
        + page_note(page, pages, t)
    ]
    for h in shown:
        status = t._("done") if h.done_this_week else t._("due")
        last = level_text(h.last_level, t) if h.last_level else t._("no check-in yet")
        mark = "✅" if h.done_this_week else "⏳"
        state = t._("{status}; last: {level}").format(status=status, level=last)
        lines.append(f"{mark} {h.number} {h.head_name} — {state}")
    if due:
        lines.append(t._("Send /checkin to record a visit."))
    buttons = pager(MINE_PAGE, page, pages, t)
    return "\n".join(lines), ((buttons,) if buttons else ())
