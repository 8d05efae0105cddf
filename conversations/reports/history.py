"""/history <household number>: a household's recent check-ins, red warnings and measures,
privately, for its helper, its village head and township staff, with a button to record a
help measure for it (while it is monitored)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conversations.engine.replies import Reply, Say
from conversations.engine.turn import Turn
from conversations.reports.members import members_lines
from conversations.tasks.start import record_button
from conversations.texts import level_text, week_label
from conversations.warnings.texts import MEASURE_NAMES, unit_name
from storage.history import HouseholdHistory, household_history
from storage.models import Person


async def history(turn: Turn) -> list[Reply]:
    person, t = turn.person, turn.t
    if person is None:
        return [Say(t._("You are not registered yet. Send /start and share your phone number."))]
    number = " ".join(turn.event.args).strip()
    if not number:
        return [Say(t._("Send /history followed by the household number, e.g. /history LX01001."))]

    def load(session: Session) -> HouseholdHistory | None:
        viewer = session.get(Person, person.id)
        assert viewer is not None
        return household_history(session, number, viewer)

    history = await turn.services.tx(load)
    if history is None:
        return [Say(t._("No household {number} that you may see.").format(number=number))]
    tz = turn.services.tz
    lines = [
        t._("Household {number} {head}, {village}").format(
            number=history.number, head=history.head_name, village=history.village_name
        )
    ]
    lines.extend(members_lines(history.members, turn.services.now().astimezone(tz).date(), t))
    lines.append(t._("Check-ins:") if history.checkins else t._("No check-in yet."))
    for week, level, _at in history.checkins:
        lines.append(f"  {week_label(week, t)} {level_text(level, t)}")
    if history.alerts:
        lines.append(t._("Red warnings:"))
    for alert_id, opened, _status, acked, closed in history.alerts:
        state = (
            t._("closed {when}").format(when=t.date(closed.astimezone(tz).date()))
            if closed
            else t._("open")
        )
        ack = (
            t._("acknowledged {when}").format(when=t.date(acked.astimezone(tz).date()))
            if acked
            else t._("not acknowledged")
        )
        lines.append(f"  #{alert_id} {t.date(opened.astimezone(tz).date())}: {state}; {ack}")
    if history.measures:
        lines.append(t._("Help measures:"))
    for kind, responsible, taken_on, note in history.measures:
        unit, day = unit_name(responsible, t), t.date(taken_on) if taken_on else "—"
        lines.append(
            f"  {day} {t._(MEASURE_NAMES.get(kind, kind))} — {unit}" + (f"：{note}" if note else "")
        )
    # Those who may see the household may record a measure for it (monitoring.warnings).
    keyboard = ((record_button(history.household_id, t),),) if history.monitored else ()
    return [Say("\n".join(lines), keyboard)]
