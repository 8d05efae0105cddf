"""Recording a help measure: a short private conversation started from a warning's button —
which measure (those matching the warning's reasons first), the responsible unit, a note, the
date. The measure draft row is the conversation's state, committed with each answer."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum

from sqlalchemy.orm import Session

from conversations.engine.callbacks import Action
from conversations.engine.replies import Button, Edit, Keyboard, Reply, Say, Toast
from conversations.engine.router import Open
from conversations.engine.turn import Turn
from conversations.warnings.copies import refreshed
from conversations.warnings.texts import (
    MEASURE_NAMES,
    RESPONSIBLE_NAMES,
    measure_kinds_for,
    responsible_for,
)
from monitoring.i18n import N_, Translator
from storage.alerts import Alerts
from storage.drafts import Drafts
from storage.measures import FLOW, Measures
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


class MeasureConversation:
    """A measure being recorded: which measure, the responsible unit, a note, the date. Each
    answer is taken in the router's one transaction; the last one saves the measure."""

    flow = FLOW
    prefix = "ms"
    about_household = False
    none = N_("There is no measure being recorded.")

    def take(self, at: Open) -> Taken:
        answer = _answer_of(at)
        if isinstance(answer, Taken):
            return answer
        field, value = answer
        session, draft = at.session, at.draft
        answers = dict(draft.answers or {})
        alert = Alerts(session).get(draft.subject_id or 0)
        codes = tuple(alert.red_codes or []) if alert else ()
        expected = next((f for f in FIELDS if f not in answers), None)
        if field != expected:
            return Taken(What.STALE, answers, codes)
        answers[field] = value
        if "taken_on" not in answers:
            Drafts(session).save(draft, answers=answers, now=at.now)
            return Taken(What.ASK, answers, codes)
        by = session.get(Person, at.person.id)
        assert alert is not None and by is not None
        Measures(session).add(
            alert=alert,
            kind=str(answers["kind"]),
            responsible=str(answers["responsible"]),
            note=answers.get("note"),
            taken_on=date.fromisoformat(str(answers["taken_on"])),
            by=by,
            now=at.now,
        )
        Drafts(session).drop(at.person.id, FLOW)
        return Taken(What.SAVED, alert_id=alert.id)

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        t = turn.t
        if taken.what is What.INVALID:
            return [Toast(t._("This button is no longer valid."))]
        if taken.what is What.SAVED:
            return [
                Say(t._("The measure is recorded. Thank you.")),
                *await refreshed(turn.services, taken.alert_id),
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
    question = _next_question(answers, t) if "kind" in answers else None
    if question is None:
        question = kind_question(list(taken.codes), t)
    return Say(prefix + question[0], question[1])


def _current(session: Session, person_id: int) -> Taken | None:
    draft = Measures(session).draft(person_id)
    if draft is None:
        return None
    alert = Alerts(session).get(draft.subject_id or 0)
    return Taken(What.ASK, dict(draft.answers or {}), tuple(alert.red_codes or []) if alert else ())


def _answer_of(at: Open) -> tuple[str, str | None] | Taken:
    """The (field, value) an event answers, or what to say instead."""
    data, now, tz = at.event.button, at.now, at.services.tz
    answers = dict(at.draft.answers or {})
    alert = Alerts(at.session).get(at.draft.subject_id or 0)
    codes = tuple(alert.red_codes or []) if alert else ()
    if data is not None:
        kind, unit, note, day = KIND.read(data), UNIT.read(data), NO_NOTE.read(data), DAY.read(data)
        if kind is not None and kind["kind"] in MEASURE_NAMES:
            return "kind", kind["kind"]
        if unit is not None and unit["unit"] in RESPONSIBLE_NAMES:
            return "responsible", unit["unit"]
        if note is not None and note["note"] == "skip":
            return "note", None
        if day is not None and day["day"] in ("today", "yesterday"):
            today = now.astimezone(tz).date()
            taken = today if day["day"] == "today" else today - timedelta(days=1)
            return "taken_on", taken.isoformat()
        return Taken(What.INVALID)
    field = next((f for f in FIELDS if f not in answers), "done")
    text = (at.event.text or "").strip()
    if not text or field in ("kind", "done"):
        return Taken(
            What.NOTE,
            answers,
            codes,
            note=N_(
                "Please press one of the buttons, or send /cancel to stop recording the measure."
            ),
        )
    if field == "taken_on":
        parsed = parse_date(text, now.astimezone(tz).date())
        if parsed is None:
            return Taken(
                What.NOTE,
                answers,
                codes,
                note=N_(
                    "Please type a date such as 2026-11-28 (not in the "
                    "future, within the last year), or press a button."
                ),
            )
        return field, parsed.isoformat()
    return field, text[:100] if field == "responsible" else text[:1000]


CONVERSATION = MeasureConversation()
