"""/mine: a helper's households with this week's status and the last level."""

from __future__ import annotations

from conversations.engine.replies import Reply, Say
from conversations.engine.turn import Turn
from conversations.texts import level_text, visit_label
from monitoring.weeks import week_of
from storage.checkins import CheckIns


async def mine(turn: Turn) -> list[Reply]:
    person, t, services = turn.person, turn.t, turn.services
    if person is None:
        return [Say(t._("You are not registered yet. Send /start and share your phone number."))]
    week = week_of(services.now(), services.tz)
    households = await services.tx(
        lambda s: CheckIns(s).households_of(person.id, week, services.policy.visits)
    )
    if not households:
        return [Say(t._("No household is assigned to you for monitoring."))]
    due = sum(1 for h in households if not h.done_this_week)
    lines = [
        t._("Your households, {week}: {due} of {total} still due.").format(
            week=visit_label(week, services.policy.visits, t), due=due, total=len(households)
        )
    ]
    for h in households:
        status = t._("done") if h.done_this_week else t._("due")
        last = level_text(h.last_level, t) if h.last_level else t._("no check-in yet")
        lines.append(
            f"{'✅' if h.done_this_week else '⏳'} {h.number} {h.head_name} — {status}; "
            + t._("last: {level}").format(level=last)
        )
    if due:
        lines.append(t._("Send /checkin to record a visit."))
    return [Say("\n".join(lines))]
