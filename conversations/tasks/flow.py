"""/tasks: the open help measures a person carries out (a unit's staff, the village head for
各村, the helper for 帮扶责任人), the oldest deadline first, one message each with its buttons:
In progress, Delivered, Refused (which asks for the reason: `refuse.py`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from conversations.actions import TASK_MOVE, TASK_REFUSE
from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Edit, Reply, Say, Toast
from conversations.engine.turn import Turn
from conversations.engine.typed_reason import ask_reason
from conversations.tasks.work import (
    NotAllowed,
    TaskView,
    change,
    checked,
    open_tasks,
    task_keyboard,
    task_text,
)
from monitoring.i18n import N_
from monitoring.measures import Status

SHOWN = 20  # tasks listed at once (the oldest deadlines; the rest after these are done)
REFUSAL = "refusal"  # the drafts' flow name of a refusal's reason being typed
ASK = N_(
    "Why can measure no. {id} not be carried out? Please type the reason "
    "(the helper and the village head are told), or send /cancel."
)


async def tasks(turn: Turn) -> list[Reply]:
    person, t, services = turn.person, turn.t, turn.services
    if person is None:
        return [Say(t._("Please register first: send /start."))]
    found = await services.tx(lambda s: open_tasks(s, person.id))
    if not found:
        return [Say(t._("You have no help measures to carry out."))]
    today = services.now().astimezone(services.tz).date()
    head = t.ngettext(
        "{n} help measure to carry out, the oldest deadline first:",
        "{n} help measures to carry out, the oldest deadline first:",
        len(found),
    ).format(n=len(found))
    if len(found) > SHOWN:
        head += "\n" + t._("The first {shown} are shown.").format(shown=SHOWN)
    return [
        Say(head),
        *(Say(task_text(task, t, today), task_keyboard(task, t)) for task in found[:SHOWN]),
    ]


async def task_pressed(turn: Turn) -> list[Reply]:
    """In progress / Delivered: the change at once; Refused: the reason is asked for."""
    person, t, services, data = turn.person, turn.t, turn.services, turn.event.button
    moved, refused = TASK_MOVE.read(data), TASK_REFUSE.read(data)
    chosen = moved or refused
    if person is None or chosen is None or not chosen["measure"].isdigit():
        return [Toast(t._("This button is no longer valid."))]
    measure_id = int(chosen["measure"])
    now = services.now()
    today = now.astimezone(services.tz).date()
    if refused is not None:

        def refusal(session: Session) -> str | None:
            try:
                checked(session, person.id, measure_id, Status.REFUSED, "?")
            except NotAllowed as no:
                return no.msgid
            return None

        return await ask_reason(turn, REFUSAL, ASK, measure_id, refusal)
    to = {"in_progress": Status.IN_PROGRESS, "done": Status.DONE}.get(moved["to"] if moved else "")
    if to is None:
        return [Toast(t._("This button is no longer valid."))]

    def apply(session: Session) -> str | TaskView:
        try:
            return change(session, person.id, measure_id, to, None, now=now, today=today)
        except NotAllowed as no:
            return no.msgid

    try:
        result = await tx_once(services, turn.event, apply)
    except Redelivered:
        return []
    if isinstance(result, str):
        return [Toast(t._(result))]
    services.wake_outbox()
    return [Toast(t._("Saved.")), Edit(task_text(result, t, today), task_keyboard(result, t))]
