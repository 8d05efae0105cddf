"""Recording a help measure: a short private conversation started from a warning's button —
which measure (those matching the warning's reasons first), the responsible unit, a note, the
date. The measure draft row is the conversation's state, committed with each answer."""

from __future__ import annotations

import re
from datetime import date, timedelta

from sqlalchemy.orm import Session

from conversations.alert_texts import (
    MEASURE_NAMES,
    RESPONSIBLE_NAMES,
    measure_kinds_for,
    responsible_for,
)
from conversations.engine.callbacks import Action
from conversations.engine.replies import Button, Keyboard, Reply, Say, Toast
from conversations.engine.services import PersonView
from conversations.engine.turn import Turn
from conversations.warning_copies import refreshed
from monitoring.i18n import Translator
from storage.alerts import Alerts
from storage.measures import Measures
from storage.models import Person

KIND = Action("ms", "k", "kind")
UNIT = Action("ms", "r", "unit")
NO_NOTE = Action("ms", "n", "note")  # ms:n:skip
DAY = Action("ms", "d", "day")  # ms:d:today, ms:d:yesterday
FIELDS = ("kind", "responsible", "note", "taken_on")
DATE = re.compile(r"^\s*(?:(\d{4})[-/.年])?\s*(\d{1,2})[-/.月]\s*(\d{1,2})日?\s*$")


def _rows(buttons: list[Button], width: int = 2) -> Keyboard:
    return tuple(tuple(buttons[i : i + width]) for i in range(0, len(buttons), width))


def kind_question(codes: list[str], t: Translator) -> tuple[str, Keyboard]:
    buttons = [Button(t._(MEASURE_NAMES[k]), KIND.data(kind=k)) for k in measure_kinds_for(codes)]
    return (
        t._("Which help measure was taken? (Suggested first for this warning's reasons.)"),
        _rows(buttons),
    )


def _next_question(answers: dict[str, str | None], t: Translator) -> tuple[str, Keyboard] | None:
    if "responsible" not in answers:
        units = responsible_for(answers["kind"] or "other")
        buttons = [Button(t._(RESPONSIBLE_NAMES[u]), UNIT.data(unit=u)) for u in units]
        return t._("Who is responsible for it? Press one, or type the unit's name."), _rows(buttons)
    if "note" not in answers:
        return (
            t._("A short note about the measure? Type it, or press No note."),
            ((Button(t._("No note"), NO_NOTE.data(note="skip")),),),
        )
    if "taken_on" not in answers:
        return (
            t._("When was it taken? Press a button or type a date such as 2026-11-28."),
            (
                (
                    Button(t._("Today"), DAY.data(day="today")),
                    Button(t._("Yesterday"), DAY.data(day="yesterday")),
                ),
            ),
        )
    return None


def parse_date(text: str, today: date) -> date | None:
    match = DATE.match(text)
    if match is None:
        return None
    year = int(match[1]) if match[1] else today.year
    try:
        value = date(year, int(match[2]), int(match[3]))
    except ValueError:
        return None
    if value > today or value < today - timedelta(days=366):
        return None
    return value


async def _step(
    turn: Turn, person: PersonView, field: str, value: str | None
) -> list[Reply] | None:
    """Store one answer of the measure draft; save the measure when complete. None: the
    person has no measure draft."""
    services, t = turn.services, turn.t
    now = services.now()

    def step(session: Session) -> tuple[str, object] | None:
        measures = Measures(session)
        draft = measures.draft(person.id)
        if draft is None:
            return None
        answers = dict(draft.answers or {})
        expected = next((f for f in FIELDS if f not in answers), None)
        if field != expected:
            return ("stale", answers)
        answers[field] = value
        draft.answers = answers
        if "taken_on" not in answers:
            return ("ask", answers)
        alert = Alerts(session).get(draft.alert_id)
        by = session.get(Person, person.id)
        assert alert is not None and by is not None
        measures.add(
            alert=alert,
            kind=str(answers["kind"]),
            responsible=str(answers["responsible"]),
            note=answers.get("note"),
            taken_on=date.fromisoformat(str(answers["taken_on"])),
            by=by,
            now=now,
        )
        session.delete(draft)
        return ("saved", alert.id)

    result = await services.tx(step)
    if result is None:
        return None
    status, data = result
    if status == "saved":
        assert isinstance(data, int)
        return [Say(t._("The measure is recorded. Thank you.")), *await refreshed(services, data)]
    assert isinstance(data, dict)
    question = _next_question(data, t) if "kind" in data else None
    if question is None:
        codes = await services.tx(lambda s: _draft_codes(s, person.id))
        text, keyboard = kind_question(codes, t)
        return [Say(text, keyboard)]
    prefix = (
        t._("That was answered already; here is the current question.") + "\n"
        if status == "stale"
        else ""
    )
    return [Say(prefix + question[0], question[1])]


def _draft_codes(session: Session, person_id: int) -> list[str]:
    draft = Measures(session).draft(person_id)
    alert = Alerts(session).get(draft.alert_id) if draft else None
    return list(alert.red_codes or []) if alert else []


async def measure_pressed(turn: Turn) -> list[Reply]:
    person, t, services, data = turn.person, turn.t, turn.services, turn.event.button
    kind, unit, note, day = KIND.read(data), UNIT.read(data), NO_NOTE.read(data), DAY.read(data)
    if person is None:
        return [Toast(t._("This button is no longer valid."))]
    if kind is not None and kind["kind"] in MEASURE_NAMES:
        field, value = "kind", kind["kind"]
    elif unit is not None and unit["unit"] in RESPONSIBLE_NAMES:
        field, value = "responsible", unit["unit"]
    elif note is not None and note["note"] == "skip":
        field, value = "note", None
    elif day is not None and day["day"] in ("today", "yesterday"):
        today = services.now().astimezone(services.tz).date()
        taken = today if day["day"] == "today" else today - timedelta(days=1)
        field, value = "taken_on", taken.isoformat()
    else:
        return [Toast(t._("This button is no longer valid."))]
    replies = await _step(turn, person, field, value)
    if replies is None:
        return [Toast(""), Say(t._("There is no measure being recorded."))]
    return [Toast(""), *replies]


async def measure_typed(turn: Turn) -> list[Reply] | None:
    """A typed answer of the measure conversation (unit, note, date); None when the person
    records no measure (the text is someone else's to take)."""
    person, t, services = turn.person, turn.t, turn.services
    if person is None:
        return None
    field = await services.tx(lambda s: _expected(s, person.id))
    if field is None:
        return None
    text = (turn.event.text or "").strip()
    if not text or field in ("kind", "done"):
        return [
            Say(
                t._(
                    "Please press one of the buttons, or send /cancel to stop recording the "
                    "measure."
                )
            )
        ]
    value: str | None = text[:100] if field == "responsible" else text[:1000]
    if field == "taken_on":
        parsed = parse_date(text, services.now().astimezone(services.tz).date())
        if parsed is None:
            return [
                Say(
                    t._(
                        "Please type a date such as 2026-11-28 (not in the "
                        "future, within the last year), or press a button."
                    )
                )
            ]
        value = parsed.isoformat()
    return await _step(turn, person, field, value) or []


def _expected(session: Session, person_id: int) -> str | None:
    draft = Measures(session).draft(person_id)
    if draft is None:
        return None
    answers = draft.answers or {}
    return next((f for f in FIELDS if f not in answers), "done")
