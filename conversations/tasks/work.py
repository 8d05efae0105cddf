"""What a task looks like and what changing it does, inside one transaction: the task as its
carrier sees it (privately: the amount too), the check that the presser carries it out, the
state machine's move, the audited write and the notices to the household's helper and
village head (through the outbox)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.actions import TASK_MOVE, TASK_REFUSE
from conversations.engine.replies import Button, Keyboard
from conversations.warnings.texts import MEASURE_NAMES, RESPONSIBLE_NAMES, unit_name
from monitoring.i18n import N_, Translator
from monitoring.measures import BadMove, Doer, Status, carries_out, move, tells_household
from monitoring.people import Role
from storage.measures import Measures
from storage.models import HelperAssignment, Household, Person, Village
from storage.models_measures import Measure
from storage.outbox import Outbox

STATUS_NAMES = {
    Status.PENDING: N_("pending"),
    Status.IN_PROGRESS: N_("in progress"),
    Status.DONE: N_("delivered"),
    Status.REFUSED: N_("refused"),
}
NOT_YOURS = N_("This measure is not for you to carry out.")


@dataclass(frozen=True)
class TaskView:
    id: int
    number: str
    head_name: str
    village: str
    kind: str
    unit: str
    note: str | None
    amount: Decimal | None
    deadline: date | None
    status: Status
    reason: str | None


def view_of(session: Session, measure: Measure, household: Household) -> TaskView:
    village = session.get(Village, household.village_id)
    return TaskView(
        measure.id,
        household.number,
        household.head_name,
        village.name if village else "",
        measure.kind,
        measure.responsible,
        measure.note,
        measure.amount,
        measure.deadline,
        Status(measure.status),
        measure.reason,
    )


def task_text(task: TaskView, t: Translator, today: date) -> str:
    """A task in its carrier's private chat (never sent to a group: it has the amount)."""
    lines = [
        t._("Measure no. {id}: household {number} {head} ({village})").format(
            id=task.id, number=task.number, head=task.head_name, village=task.village
        ),
        f"{t._(MEASURE_NAMES.get(task.kind, task.kind))} — {unit_name(task.unit, t)}",
    ]
    if task.note:
        lines.append(t._("To do: {note}").format(note=task.note))
    if task.amount is not None:
        lines.append(t._("Amount: {amount} yuan").format(amount=t.number(task.amount)))
    if task.deadline is not None:
        due = t._("Deadline: {date}").format(date=t.date(task.deadline))
        if task.status in (Status.PENDING, Status.IN_PROGRESS) and task.deadline < today:
            due += " " + t._("(overdue)")
        lines.append(due)
    lines.append(t._("Status: {status}").format(status=t._(STATUS_NAMES[task.status])))
    if task.reason:
        lines.append(t._("Reason: {reason}").format(reason=task.reason))
    return "\n".join(lines)


def task_keyboard(task: TaskView, t: Translator) -> Keyboard:
    row: list[Button] = []
    if task.status is Status.PENDING:
        row.append(Button(t._("In progress"), TASK_MOVE.data(measure=task.id, to="in_progress")))
    if task.status in (Status.PENDING, Status.IN_PROGRESS):
        row.append(Button(t._("✅ Delivered"), TASK_MOVE.data(measure=task.id, to="done")))
        row.append(Button(t._("Refused"), TASK_REFUSE.data(measure=task.id)))
    return (tuple(row),) if row else ()


class NotAllowed(Exception):
    """The change can not be made; `msgid` says why."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


def _helper_of(session: Session, household_id: int) -> int | None:
    assignment = session.get(HelperAssignment, household_id)
    return assignment.helper_id if assignment else None


def checked(
    session: Session, person_id: int, measure_id: int, to: Status, reason: str | None = None
) -> tuple[Measure, Household, Person, str | None]:
    """The measure, its household and the person, when the person carries it out and the
    state machine allows the move; NotAllowed otherwise."""
    measure = Measures(session).get(measure_id)
    person = session.get(Person, person_id)
    if measure is None or person is None:
        raise NotAllowed(N_("This button is no longer valid."))
    household = session.get(Household, measure.household_id)
    assert household is not None
    doer = Doer(person.id, Role(person.role), person.unit, person.village_id)
    helper = _helper_of(session, household.id)
    if not carries_out(
        doer, measure.responsible, village_id=household.village_id, helper_id=helper
    ):
        raise NotAllowed(NOT_YOURS)
    try:
        _, kept = move(Status(measure.status), to, reason)
    except BadMove:
        raise NotAllowed(N_("This measure has moved on already: send /tasks.")) from None
    return measure, household, person, kept


def change(
    session: Session,
    person_id: int,
    measure_id: int,
    to: Status,
    reason: str | None,
    *,
    now: datetime,
    today: date,
) -> TaskView:
    """Make the change (audited) and, for a delivery or a refusal, queue the notices."""
    measure, household, person, kept = checked(session, person_id, measure_id, to, reason)
    Measures(session).set_status(measure, to, kept, by=person, now=now, today=today)
    if tells_household(to):
        _tell_household(session, measure, household, person, now)
    return view_of(session, measure, household)


def _tell_household(
    session: Session, measure: Measure, household: Household, by: Person, now: datetime
) -> None:
    """Privately, to the household's helper and its village's heads (not the one who acted)."""
    helper = _helper_of(session, household.id)
    heads = session.scalars(
        select(Person.id).where(
            Person.role == Role.VILLAGE_HEAD.value, Person.village_id == household.village_id
        )
    ).all()
    told = [p for p in dict.fromkeys([helper, *heads]) if p is not None and p != by.id]
    unit = measure.responsible
    params = {
        "number": household.number,
        "head": household.head_name,
        "kind": MEASURE_NAMES.get(measure.kind, measure.kind),
        "unit": RESPONSIBLE_NAMES.get(unit, unit),
        "reason": measure.reason or "",
    }
    text = (
        N_("✅ Help measure delivered for household {number} ({head}): {kind}, by {unit}.")
        if measure.status == Status.DONE.value
        else N_(
            "❌ Help measure refused for household {number} ({head}): {kind}, by {unit}. "
            "Reason: {reason}"
        )
    )
    outbox = Outbox(session)
    for person_id in told:
        person = session.get(Person, person_id)
        if person is None or person.platform_user_id is None:
            continue  # not registered: the ledger and /history show it
        outbox.enqueue(
            key=f"measure:{measure.id}:{measure.status}:{person.id}",
            kind="notice",
            chat_id=person.platform_user_id,
            now=now,
            payload={"text": text, "params": params, "translate": ["kind", "unit"]},
        )


def tell_unit(
    session: Session, measure: Measure, household: Household, by: Person, now: datetime
) -> None:
    """Privately, to those who carry out a measure just given to their unit (not the one who
    recorded it): what, for whom, by when, and that /tasks has it."""
    unit = measure.responsible
    for person in Measures(session).carriers(measure, household):
        if person.id == by.id:
            continue
        assert person.platform_user_id is not None
        Outbox(session).enqueue(
            key=f"measure:{measure.id}:given:{person.id}",
            kind="notice",
            chat_id=person.platform_user_id,
            now=now,
            payload={
                "text": N_(
                    "📋 A help measure for household {number} ({head}) is given to {unit}: "
                    "{kind}, to be carried out by {deadline}. Send /tasks to see it and "
                    "mark its progress."
                ),
                "params": {
                    "number": household.number,
                    "head": household.head_name,
                    "kind": MEASURE_NAMES.get(measure.kind, measure.kind),
                    "unit": RESPONSIBLE_NAMES.get(unit, unit),
                    "deadline": measure.deadline.isoformat() if measure.deadline else "—",
                },
                "translate": ["kind", "unit"],
                "dates": ["deadline"],
            },
        )


def open_tasks(session: Session, person_id: int) -> list[TaskView]:
    person = session.get(Person, person_id)
    if person is None:
        return []
    return [view_of(session, m, h) for m, h in Measures(session).open_for(person)]
