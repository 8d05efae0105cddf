"""/report (申报困难): someone not on the roster reports their household's difficulty. Their
village (from a list), name, phone (their own shared contact), what happened (a risk, then a
few words), and their consent that the village may check (农户承诺授权); then a lead for the
village head, and they are told who will contact them and by when. /report again shows the
state of their reports. Nothing else is open to them (every other flow asks to register).

No person, so no draft: the answers are kept by platform account (`self_reports`)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from conversations.engine.events import ChatKind
from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Button, Edit, Reply, Say, Toast
from conversations.engine.turn import Turn
from conversations.leads.actions import SELF_CANCEL, SELF_NEW, SELF_RISK, SELF_SUBMIT, SELF_VILLAGE
from monitoring.i18n import N_, Translator
from monitoring.leads import (
    OUTCOME_NAMES,
    SELF_REPORT,
    WHAT_LONGEST,
    Outcome,
    check_deadline,
    self_report_refusal,
)
from monitoring.proposals import RISK_CODES, RISK_TYPES, parse_head_name
from storage.leads import Leads, SelfReports
from storage.leads_notices import tell_checkers
from storage.models import Township, Village

STEPS = ("village_id", "name", "phone", "risk", "what")
WORDS = ("申报困难", "申报", "report")  # typed instead of /report
DISCARDED = N_("Your report was discarded. Nothing was sent.")


def next_step(answers: dict[str, Any]) -> str:
    return next((step for step in STEPS if step not in answers), "consent")


@dataclass(frozen=True)
class State:
    step: str | None  # None: no self-report open
    answers: dict[str, Any] = field(default_factory=dict)
    villages: list[tuple[int, str]] = field(default_factory=list)
    reports: list[tuple[int, date, date, str | None]] = field(default_factory=list)
    note: str | None = None  # msgid shown before the question
    params: dict[str, Any] = field(default_factory=dict)  # the note's
    done: tuple[int, str, str, date] | None = None  # lead id, village, heads, check by


def _villages(session: Session) -> list[tuple[int, str]]:
    townships = session.scalar(select(Township.id).limit(2).offset(1)) is not None
    rows = session.execute(
        select(Village.id, Village.name, Township.name)
        .join(Township, Township.id == Village.township_id)
        .order_by(Township.name, Village.name)
    ).all()
    return [(vid, f"{town} {name}" if townships else name) for vid, name, town in rows]


def _state(session: Session, user_id: int, note: str | None = None) -> State:
    report = SelfReports(session).of(user_id)
    reports = [
        (lead.id, lead.received_on, lead.check_by, lead.outcome)
        for lead in SelfReports(session).leads_of(user_id)
    ]
    if report is None:
        return State(None, reports=reports, note=note)
    answers = dict(report.answers or {})
    step = next_step(answers)
    return State(step, answers, _villages(session) if step == "village_id" else [], reports, note)


def ask(state: State, t: Translator) -> list[Reply]:
    """The question of the step the self-report is at."""
    note = [t._(state.note).format(**state.params)] if state.note else []
    step = state.step
    if step is None:  # refused a new report: why, and the state of those sent
        return [Say("\n".join([*note, status_text(state, t)]) if state.reports else note[0])]
    if step == "village_id":
        buttons = [Button(name, SELF_VILLAGE.data(village=vid)) for vid, name in state.villages]
        rows = tuple(tuple(buttons[i : i + 3]) for i in range(0, len(buttons), 3))
        return [Say("\n".join([*note, t._("Which village do you live in?")]), rows)]
    if step == "name":
        return [Say("\n".join([*note, t._("Please type your name.")]))]
    if step == "phone":
        text = t._(
            "Please share your phone number with the button below: the village will call you."
        )
        return [Say("\n".join([*note, text]), ask_phone=t._("📱 Share my phone number"))]
    if step == "risk":
        buttons = [Button(t._(name), SELF_RISK.data(code=code)) for code, name in RISK_TYPES]
        rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
        text = t._("What difficulty has your household met? Please choose one.")
        return [Say("\n".join([*note, text]), rows)]
    if step == "what":
        text = t._("Please tell in a few words what happened (when, what it cost).")
        return [Say("\n".join([*note, text]))]
    answers = state.answers
    risks = dict(RISK_TYPES)
    summary = t._(
        "Your report: {name}, {village}; {risk}: {what}. Submitting it, you agree that the "
        "village and township staff visit your household and check its situation "
        "(农户承诺授权)."
    ).format(
        name=answers["name"],
        village=answers.get("village_name", ""),
        risk=t._(risks.get(answers["risk"], answers["risk"])),
        what=answers["what"],
    )
    keyboard = (
        (
            Button(t._("I agree: submit"), SELF_SUBMIT.data()),
            Button(t._("Cancel"), SELF_CANCEL.data()),
        ),
    )
    return [Say("\n".join([*note, summary]), keyboard)]


def status_text(state: State, t: Translator) -> str:
    lines = [t._("Your reports:")]
    for lead_id, received, check_by, outcome in state.reports:
        where = (
            t._("waiting for the village's visit (by {day})").format(day=t.date(check_by))
            if outcome is None
            else t._("checked: {outcome}").format(outcome=t._(OUTCOME_NAMES[Outcome(outcome)]))
        )
        lines.append(
            t._("• no. {id}, {day}: {state}").format(id=lead_id, day=t.date(received), state=where)
        )
    return "\n".join(lines)


async def report(turn: Turn) -> list[Reply]:
    """/report: the state of one's reports and a new one, or where the open one stands."""
    person, t, services, event = turn.person, turn.t, turn.services, turn.event
    if person is not None:
        return [
            Say(
                t._(
                    "/report is for residents who are not on the roster. Cadres propose a "
                    "household with /propose."
                )
            )
        ]
    if event.chat_kind is not ChatKind.PRIVATE or event.user_id is None:
        return [Say(t._("Please send /report in your private chat with me."))]
    user_id = event.user_id
    state = await services.tx(lambda s: _state(s, user_id))
    if state.step is not None:
        return ask(state, t)
    if state.reports:
        return [Say(status_text(state, t), ((Button(t._("New report"), SELF_NEW.data()),),))]
    return await _begin(turn, user_id)


def refusal(session: Session, user_id: int, today: date) -> State | None:
    """A new self-report refused (too many waiting, or sent today), or None."""
    leads = SelfReports(session).leads_of(user_id)
    refused = self_report_refusal(
        sum(lead.outcome is None for lead in leads),
        sum(lead.received_on == today for lead in leads),
    )
    if refused is None:
        return None
    return replace(_state(session, user_id, refused[0]), params={"n": refused[1]})


async def _begin(turn: Turn, user_id: int) -> list[Reply]:
    now = turn.services.now()
    today = now.astimezone(turn.services.tz).date()

    def begin(session: Session) -> State:
        refused = refusal(session, user_id, today)
        if refused is not None:
            return refused
        SelfReports(session).start(user_id, now=now)
        return _state(session, user_id)

    state = await turn.services.tx(begin)
    if state.step is None:
        return ask(state, turn.t)
    intro = turn.t._(
        "Report your household's difficulty: the village will check it at home. It takes "
        "five short answers."
    )
    return [Say(intro), *ask(state, turn.t)]


async def typed(turn: Turn) -> list[Reply] | None:
    """A typed answer from someone not on the roster (the router's stranger hook): their
    self-report's answer, /report's words, or None (the router's "not registered")."""
    event, services, t = turn.event, turn.services, turn.t
    user_id, text = event.user_id, " ".join((event.text or "").split())
    if user_id is None or event.chat_kind is not ChatKind.PRIVATE:
        return None
    now = services.now()

    def take(session: Session) -> State | None:
        reports = SelfReports(session)
        report_row = reports.of(user_id)
        if report_row is None:
            return None
        answers = dict(report_row.answers or {})
        step = next_step(answers)
        if step == "name":
            try:
                answers["name"] = parse_head_name(text)
            except ValueError as bad:
                return _state(session, user_id, str(bad))
        elif step == "what":
            if len(text) < 2:
                return _state(session, user_id, N_("Please type a few words."))
            answers["what"] = text[:WHAT_LONGEST]
        else:
            return _state(session, user_id, N_("Please use the buttons."))
        reports.save(report_row, answers, now=now)
        return _state(session, user_id)

    state = await services.tx(take)
    if state is None:
        if text in WORDS:
            return await report(turn)
        return None
    return ask(state, t)


async def contact_taken(turn: Turn, phone: str) -> list[Reply] | None:
    """A shared own contact not on the roster: the self-report's phone, if it asks for one."""
    user_id, now = turn.event.user_id, turn.services.now()
    if user_id is None:
        return None

    def take(session: Session) -> State | None:
        reports = SelfReports(session)
        row = reports.of(user_id)
        if row is None or next_step(dict(row.answers or {})) != "phone":
            return None
        reports.save(row, {**(row.answers or {}), "phone": phone}, now=now)
        return _state(session, user_id)

    state = await turn.services.tx(take)
    if state is None:
        return None
    # The phone button goes away with a message of its own (a message with buttons can not
    # also take the reply keyboard away on Telegram).
    return [Say(turn.t._("Thank you."), clear_ask_phone=True), *ask(state, turn.t)]


async def pressed(turn: Turn) -> list[Reply]:
    """The self-report's buttons: a village, a risk, submit, cancel, a new report."""
    t, services, event = turn.t, turn.services, turn.event
    data, user_id = event.button, event.user_id
    if turn.person is not None or user_id is None:
        return [Toast(t._("This button is no longer valid."))]
    if SELF_NEW.read(data) is not None:
        return [Toast(""), *await _begin(turn, user_id)]
    now = services.now()
    today = now.astimezone(services.tz).date()
    days = services.policy.lead_check_days

    def press(session: Session) -> State | None:
        reports = SelfReports(session)
        row = reports.of(user_id)
        if row is None:
            return None
        answers = dict(row.answers or {})
        step = next_step(answers)
        village, risk = SELF_VILLAGE.read(data), SELF_RISK.read(data)
        if SELF_CANCEL.read(data) is not None:
            reports.drop(user_id)
            return State(None, note=DISCARDED)
        if village is not None and step == "village_id" and village["village"].isdigit():
            found = session.get(Village, int(village["village"]))
            if found is None:
                return _state(session, user_id)
            answers.update(village_id=found.id, village_name=found.name)
        elif risk is not None and step == "risk" and risk["code"] in RISK_CODES:
            answers["risk"] = risk["code"]
        elif SELF_SUBMIT.read(data) is not None and step == "consent":
            refused = refusal(session, user_id, today)  # sent from another phone meanwhile
            if refused is not None:
                reports.drop(user_id)
                return refused
            return _submit(session, user_id, answers, today, days, now)
        else:
            return _state(session, user_id)
        reports.save(row, answers, now=now)
        return _state(session, user_id)

    try:
        state = await tx_once(services, event, press)
    except Redelivered:
        return []
    if state is None:
        return [Toast(t._("This button is no longer valid."))]
    if state.done is not None:
        lead_id, village, heads, check_by = state.done
        services.wake_outbox()
        return [
            Toast(""),
            Say(
                t._(
                    "Received: your report no. {id}. The village head of {village} ({heads}) "
                    "will contact you and visit by {day}. Send /report to see its state."
                ).format(id=lead_id, village=village, heads=heads, day=t.date(check_by)),
                clear_ask_phone=True,
            ),
        ]
    if state.step is None:  # discarded, or refused: the phone button goes too
        said = ask(state, t)
        return [
            Toast(""),
            *(replace(r, clear_ask_phone=True) if isinstance(r, Say) else r for r in said),
        ]
    questions = ask(state, t)
    if len(questions) == 1 and isinstance(questions[0], Say) and not questions[0].ask_phone:
        # a button answer: its question becomes the next one (one message, as /propose)
        return [Toast(""), Edit(questions[0].text, questions[0].keyboard)]
    # The answered question keeps its text, not its buttons (a used screen has none).
    used = [Edit(event.message_text, best_effort=True)] if event.message_text else []
    return [Toast(""), *used, *questions]


def _submit(
    session: Session,
    user_id: int,
    answers: dict[str, Any],
    today: date,
    days: int,
    now: Any,
) -> State | None:
    village = session.get(Village, answers["village_id"])
    if village is None:
        return None
    leads = Leads(session)
    lead = leads.add(
        township_id=village.township_id,
        village_id=village.id,
        name=answers["name"],
        phone=answers["phone"],
        risk_types=[answers["risk"]],
        what=answers["what"],
        source=SELF_REPORT,
        received_on=today,
        check_by=check_deadline(today, days),
        reporter_user_id=user_id,
        consent=True,
        now=now,
        actor=f"self:{user_id}",
    )
    SelfReports(session).drop(user_id)
    tell_checkers(session, [lead], now)
    heads = "、".join(p.name for p in leads.checkers(lead)) or "—"
    return State(None, done=(lead.id, village.name, heads, lead.check_by))


async def cancel(turn: Turn) -> list[Reply] | None:
    """/cancel from someone not on the roster: their self-report being written is discarded
    (None when there is none: the router's "not registered")."""
    user_id = turn.event.user_id
    if user_id is None or turn.event.chat_kind is not ChatKind.PRIVATE:
        return None

    def drop(session: Session) -> bool:
        reports = SelfReports(session)
        if reports.of(user_id) is None:
            return False
        reports.drop(user_id)
        return True

    if not await turn.services.tx(drop):
        return None
    return [Say(turn.t._(DISCARDED), clear_ask_phone=True)]
