"""Recording a help measure: a short private conversation, started from a red warning's
button, from a household (`/measure`, the household's screen, a reminder: see
`conversations/tasks/start.py`) — which measure (those matching the warning's reasons first,
when there is a warning), the unit it is given to (the seed's for it first, then the others
and the roster's units), what is to be done, an amount (or none), the deadline. The measure
is then a task, pending with that unit (`/tasks`). The measure draft row is the
conversation's state, committed with each answer: its answers hold the household, its
subject the warning (None when started from the household)."""

from __future__ import annotations

import re
import zlib
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from sqlalchemy.orm import Session

from conversations.engine.callbacks import Action
from conversations.engine.replies import Button, Edit, Keyboard, Reply, Say, Toast
from conversations.engine.router import Open
from conversations.engine.turn import Turn
from conversations.tasks.work import tell_unit
from conversations.warnings.copies import refreshed
from conversations.warnings.texts import (
    MEASURE_NAMES,
    measure_kinds_for,
    unit_name,
)
from monitoring.amounts import AmountError, parse_amount
from monitoring.i18n import N_, Translator
from monitoring.measures import units_for
from storage.alerts import Alerts
from storage.drafts import Drafts
from storage.measures import FLOW, Measures
from storage.models import Household, Person

KIND = Action("ms", "k", "kind")
UNIT = Action("ms", "r", "unit")  # the unit's key (`unit_key`: its name is no button data)
NO_NOTE = Action("ms", "n", "note")  # ms:n:skip
NO_AMOUNT = Action("ms", "a", "amount")  # ms:a:none
DUE = Action("ms", "d", "days")  # ms:d:7: due in 7 days
DUE_DAYS = (7, 15, 30)
FIELDS = ("kind", "responsible", "note", "amount", "deadline")


def unit_key(unit: str) -> str:
    """A unit's name as button data (ASCII, short, the same for the same name)."""
    return format(zlib.crc32(unit.encode("utf-8")), "08x")


DATE = re.compile(r"^\s*(?:(\d{4})[-/.年])?\s*(\d{1,2})[-/.月]\s*(\d{1,2})日?\s*$")


def _rows(buttons: list[Button], width: int = 2) -> Keyboard:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def kind_question(codes: list[str], t: Translator) -> tuple[str, Keyboard]:
    """Which category: those matching the warning's reasons first, when there is one."""
    buttons = [Button(t._(MEASURE_NAMES[k]), KIND.data(kind=k)) for k in measure_kinds_for(codes)]
    if not codes:
        return t._("Which help measure is to be given? Press its category."), _rows(buttons)
    return (
        t._("Which help measure was taken? (Suggested first for this warning's reasons.)"),
        _rows(buttons),
    )


def household_of(session: Session, answers: dict[str, object], alert_id: int | None) -> int | None:
    """The household a measure draft is for: in its answers (a draft from before they were
    kept there: its warning's)."""
    household = answers.get("household")
    if isinstance(household, int):
        return household
    alert = Alerts(session).get(alert_id or 0)
    return alert.household_id if alert else None


def _next_question(
    answers: dict[str, str | None], units: tuple[str, ...], t: Translator
) -> tuple[str, Keyboard] | None:
    if "responsible" not in answers:
        offered = units_for(answers["kind"] or "other", units)
        buttons = [Button(unit_name(u, t), UNIT.data(unit=unit_key(u))) for u in offered]
        return t._("Which unit is to carry it out? Press one, or type its name."), _rows(buttons)
    if "note" not in answers:
        return (
            t._("What is to be done? Type it briefly, or press No note."),
            ((Button(t._("No note"), NO_NOTE.data(note="skip")),),),
        )
    if "amount" not in answers:
        return (
            t._("The amount in yuan, if money is involved (such as 2000)? Or press No amount."),
            ((Button(t._("No amount"), NO_AMOUNT.data(amount="none")),),),
        )
    if "deadline" not in answers:
        buttons = [Button(t._("In {n} days").format(n=n), DUE.data(days=n)) for n in DUE_DAYS]
        return (
            t._(
                "By when is it to be carried out? Press a button or type a date such as 2026-12-31."
            ),
            (tuple(buttons),),
        )
    return None


def parse_deadline(text: str, today: date) -> date | None:
    """A date from today to a year ahead (`12-31`, `2026-12-31`, `12月31日`), else None."""
    match = DATE.match(text)
    if match is None:
        return None
    year = int(match[1]) if match[1] else today.year
    try:
        value = date(year, int(match[2]), int(match[3]))
    except ValueError:
        return None
    if not match[1] and value < today:  # "1-15" in December: next January
        try:
            value = value.replace(year=year + 1)
        except ValueError:
            return None
    if value < today or value > today + timedelta(days=366):
        return None
    return value


class What(StrEnum):
    """What the router's transaction did with an answer, for the reply (one branch each)."""

    STALE = "stale"
    ASK = "ask"
    SAVED = "saved"
    INVALID = "invalid"
    NOTE = "note"


@dataclass(frozen=True)
class Taken:
    what: What
    answers: dict[str, str | None] | None = None
    codes: tuple[str, ...] = ()  # the warning's reasons, to suggest measures
    alert_id: int = 0
    note: str | None = None  # msgid
    units: tuple[str, ...] = ()  # the units the roster names in the township
    unit: str = ""  # saved: the unit it went to
    deadline: date | None = None  # saved: its deadline


class MeasureConversation:
    """A measure being recorded: which measure, the unit, what to do, an amount, the
    deadline. Each answer is taken in the router's one transaction; the last one saves the
    measure, pending with its unit."""

    flow = FLOW
    prefix = "ms"
    about_household = False
    none = N_("There is no measure being recorded.")

    def take(self, at: Open) -> Taken:
        units = tuple(Measures(at.session).roster_units(at.person.township_id))
        answer = _answer_of(at, units)
        if isinstance(answer, Taken):
            return answer
        field, value = answer
        session, draft = at.session, at.draft
        answers = dict(draft.answers or {})
        alert = Alerts(session).get(draft.subject_id or 0)
        codes = tuple(alert.red_codes or []) if alert else ()
        expected = next((f for f in FIELDS if f not in answers), None)
        if field != expected:
            return Taken(What.STALE, answers, codes, units=units)
        answers[field] = value
        if "deadline" not in answers:
            Drafts(session).save(draft, answers=answers, now=at.now)
            return Taken(What.ASK, answers, codes, units=units)
        by = session.get(Person, at.person.id)
        household_id = household_of(session, answers, draft.subject_id)
        household = session.get(Household, household_id or 0)
        assert household is not None and by is not None
        deadline = date.fromisoformat(str(answers["deadline"]))
        amount = answers.get("amount")
        measure = Measures(session).add(
            alert=alert,
            household_id=household.id,
            kind=str(answers["kind"]),
            responsible=str(answers["responsible"]),
            note=answers.get("note"),
            amount=Decimal(amount) if amount else None,
            deadline=deadline,
            by=by,
            now=at.now,
        )
        tell_unit(session, measure, household, by, at.now)
        Drafts(session).drop(at.person.id, FLOW)
        return Taken(
            What.SAVED,
            alert_id=alert.id if alert else 0,
            unit=str(answers["responsible"]),
            deadline=deadline,
        )

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        t = turn.t
        if taken.what is What.INVALID:
            return [Toast(t._("This button is no longer valid."))]
        if taken.what is What.SAVED:
            turn.services.wake_outbox()  # the unit is told (conversations/tasks/work.py)
            assert taken.deadline is not None
            return [
                Say(
                    t._(
                        "The measure is recorded and given to {unit}, to be carried out by "
                        "{deadline}. They see it with /tasks."
                    ).format(unit=unit_name(taken.unit, t), deadline=t.date(taken.deadline))
                ),
                *(await refreshed(turn.services, taken.alert_id) if taken.alert_id else []),
            ]
        pressed = turn.event.button is not None and turn.event.message_text is not None
        if taken.what is What.STALE:  # shown on the pressed message, where one was pressed
            prefix = t._("That was answered already; here is the current question.") + "\n"
        else:
            prefix = t._(taken.note) + "\n" if taken.note else ""
        ask = _ask(taken, t, prefix)
        if pressed:  # a button answer: its question becomes the next one (one message)
            return [Edit(ask.text, ask.keyboard)]
        return [ask]

    async def where(self, turn: Turn, busy: bool = False) -> list[Reply]:
        person, t = turn.person, turn.t
        if person is None:
            return []
        taken = await turn.services.tx(lambda s: _current(s, person.id))
        if taken is None:
            return []
        prefix = ""
        if busy:
            prefix = (
                t._(
                    "You are recording a help measure. Please answer the question below, or "
                    "send /cancel to stop recording it first."
                )
                + "\n"
            )
        return [_ask(taken, t, prefix)]

    async def cancel(self, turn: Turn) -> list[Reply] | None:
        return None  # discarded by the router

    async def ended(self, turn: Turn) -> list[Reply]:
        return []  # its last answer's effects are in the outbox: they are delivered anyway


def _ask(taken: Taken, t: Translator, prefix: str) -> Say:
    answers = taken.answers or {}
    question = _next_question(answers, taken.units, t) if "kind" in answers else None
    if question is None:
        question = kind_question(list(taken.codes), t)
    return Say(prefix + question[0], question[1])


def _current(session: Session, person_id: int) -> Taken | None:
    draft = Measures(session).draft(person_id)
    if draft is None:
        return None
    alert = Alerts(session).get(draft.subject_id or 0)
    person = session.get(Person, person_id)
    units = tuple(Measures(session).roster_units(person.township_id)) if person else ()
    codes = tuple(alert.red_codes or []) if alert else ()
    return Taken(What.ASK, dict(draft.answers or {}), codes, units=units)


def _answer_of(at: Open, units: tuple[str, ...]) -> tuple[str, str | None] | Taken:
    """The (field, value) an event answers, or what to say instead."""
    data, now, tz = at.event.button, at.now, at.services.tz
    answers = dict(at.draft.answers or {})
    alert = Alerts(at.session).get(at.draft.subject_id or 0)
    codes = tuple(alert.red_codes or []) if alert else ()
    known = units_for("other", units)

    def again(note: str) -> Taken:
        return Taken(What.NOTE, answers, codes, note=note, units=units)

    if data is not None:
        kind, unit, note = KIND.read(data), UNIT.read(data), NO_NOTE.read(data)
        amount, due = NO_AMOUNT.read(data), DUE.read(data)
        if kind is not None and kind["kind"] in MEASURE_NAMES:
            return "kind", kind["kind"]
        chosen = [u for u in known if unit is not None and unit_key(u) == unit["unit"]]
        if chosen:
            return "responsible", chosen[0]
        if note is not None and note["note"] == "skip":
            return "note", None
        if amount is not None and amount["amount"] == "none":
            return "amount", None
        if due is not None and due["days"].isdigit() and int(due["days"]) in DUE_DAYS:
            today = now.astimezone(tz).date()
            return "deadline", (today + timedelta(days=int(due["days"]))).isoformat()
        return Taken(What.INVALID)
    field = next((f for f in FIELDS if f not in answers), "done")
    text = (at.event.text or "").strip()
    if not text or field in ("kind", "done"):
        return again(
            N_("Please press one of the buttons, or send /cancel to stop recording the measure.")
        )
    if field == "responsible":
        typed = " ".join(text.split())
        if typed not in known:
            return again(N_("That is no unit of the roster: please press one of the units."))
        return field, typed
    if field == "amount":
        try:
            return field, str(parse_amount(text))
        except AmountError:
            return again(
                N_("Please type an amount in yuan, such as 2000 or 1.2万, or press No amount.")
            )
    if field == "deadline":
        parsed = parse_deadline(text, now.astimezone(tz).date())
        if parsed is None:
            return again(
                N_(
                    "Please type a date such as 2026-12-31 (from today to a year ahead), or "
                    "press a button."
                )
            )
        return field, parsed.isoformat()
    return field, text[:1000]


CONVERSATION = MeasureConversation()
