"""Acting on a red warning: Acknowledge, Record measure (a short private conversation), and
/resolve to close it when the risk is eliminated.

Callback data: al:ack:<alert>, al:m:<alert> (group buttons); ms:k:<kind>, ms:r:<unit>,
ms:n:skip, ms:d:<today|yesterday> (the private measure conversation).
The measure draft row is the conversation's state, as for the check-in.
"""

from __future__ import annotations

import logging
import re
from datetime import date, timedelta

from sqlalchemy.orm import Session
from telegram import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from conversations.alert_texts import (
    MEASURE_NAMES,
    RESPONSIBLE_NAMES,
    WARNING_KINDS,
    alert_markup,
    alert_text,
    measure_kinds_for,
    responsible_for,
)
from conversations.base import AppContext, answer_query, identify, translator
from conversations.engine.services import PersonView
from monitoring.i18n import Translator
from monitoring.people import Role
from storage.alerts import Alerts, AlertView
from storage.measures import Measures
from storage.models import Person
from storage.outbox import Outbox

log = logging.getLogger(__name__)
GROUP_BUTTON = re.compile(r"^al:(?P<what>ack|m):(?P<alert>\d{1,12})$")
MEASURE_BUTTON = re.compile(
    r"^ms:(?:k:(?P<kind>[a-z_]{1,20})|r:(?P<unit>[a-z_]{1,20})|n:(?P<skip>skip)"
    r"|d:(?P<day>today|yesterday))$"
)
DATE = re.compile(r"^\s*(?:(\d{4})[-/.年])?\s*(\d{1,2})[-/.月]\s*(\d{1,2})日?\s*$")


def _person(session: Session, view: PersonView | None) -> Person | None:
    return session.get(Person, view.id) if view else None


async def refresh_alert_messages(context: AppContext, alert_id: int) -> None:
    """Edit every group message of the alert to show its current state (best effort)."""
    services = context.services
    t = services.translations.get()

    def load(session: Session) -> tuple[AlertView | None, list[tuple[int, int, str]]]:
        return Alerts(session).view(alert_id), Outbox(session).sent_for_alert(alert_id)

    view, messages = await services.tx(load)
    if view is None:
        return
    for chat_id, message_id, kind in messages:
        if kind == "all_clear":
            continue
        try:
            await context.bot.edit_message_text(
                alert_text(view, t, services.tz, kind=kind),
                chat_id=chat_id,
                message_id=message_id,
                reply_markup=alert_markup(view, t),
            )
        except TelegramError as exc:  # "not modified", deleted, bot removed...
            log.debug("could not refresh alert %s in chat %s: %s", alert_id, chat_id, exc)


async def group_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    match = GROUP_BUTTON.match(query.data or "")
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if match is None:
        await answer_query(query, t._("This button is no longer valid."))
        return
    alert_id = int(match["alert"])
    if not await _on_the_warning(context, query, alert_id):
        await answer_query(query, t._("This button is no longer valid."))
        return
    if match["what"] == "ack":
        await _acknowledge(update, context, person, alert_id, t)
    else:
        await _start_measure(update, context, person, alert_id, t)


async def _on_the_warning(context: AppContext, query: CallbackQuery, alert_id: int) -> bool:
    """Whether the button was pressed on a message that shows this warning (data can be
    forged on any message the bot wrote)."""
    message = query.message
    if message is None:
        return False
    here = (message.chat.id, message.message_id)

    def shown(session: Session) -> bool:
        return any(
            (chat, message_id) == here and kind in WARNING_KINDS
            for chat, message_id, kind in Outbox(session).sent_for_alert(alert_id)
        )

    return await context.services.tx(shown)


async def _acknowledge(
    update: Update, context: AppContext, viewer: PersonView | None, alert_id: int, t: Translator
) -> None:
    query = update.callback_query
    assert query is not None
    now = context.services.now()

    def ack(session: Session) -> str:
        alerts = Alerts(session)
        alert = alerts.get(alert_id)
        person = _person(session, viewer)
        if alert is None or alert.status != "open":
            return "closed"
        if person is None or not alerts.may_act(alert, person):
            return "refused"
        return "done" if alerts.acknowledge(alert, person, now=now) else "already"

    outcome = await context.services.tx(ack)
    if outcome == "refused":
        await answer_query(
            query,
            t._(
                "Not allowed: only the village head of this village or "
                "township staff can acknowledge."
            ),
        )
        return
    if outcome == "closed":
        await answer_query(query, t._("This warning is closed."))
        return
    await answer_query(
        query, t._("Acknowledged.") if outcome == "done" else t._("Already acknowledged.")
    )
    if outcome == "done":
        await refresh_alert_messages(context, alert_id)


async def _start_measure(
    update: Update, context: AppContext, viewer: PersonView | None, alert_id: int, t: Translator
) -> None:
    query = update.callback_query
    assert query is not None
    now = context.services.now()

    def start(session: Session) -> list[str] | None:
        alerts = Alerts(session)
        alert = alerts.get(alert_id)
        person = _person(session, viewer)
        if alert is None or person is None or not alerts.may_record_measure(alert, person):
            return None
        Measures(session).start_draft(person.id, alert.id, now=now)
        return list(alert.red_codes or [])

    codes = await context.services.tx(start)
    if codes is None or viewer is None:
        await answer_query(
            query,
            t._(
                "Not allowed: only the village head, township staff or "
                "the household's helper can record a measure."
            ),
        )
        return
    try:
        await context.bot.send_message(
            viewer.telegram_user_id or 0,
            _kind_question(codes, t),
            reply_markup=_kind_markup(codes, t),
        )
    except (Forbidden, BadRequest):
        await answer_query(
            query,
            t._(
                "Please open a private chat with me first (send me "
                "/start), then press the button again."
            ),
        )
        return
    await answer_query(query, t._("I have sent you a private message to record the measure."))


def _kind_question(codes: list[str], t: Translator) -> str:
    return t._("Which help measure was taken? (Suggested first for this warning's reasons.)")


def _kind_markup(codes: list[str], t: Translator) -> InlineKeyboardMarkup:
    buttons = [
        InlineKeyboardButton(t._(MEASURE_NAMES[k]), callback_data=f"ms:k:{k}")
        for k in measure_kinds_for(codes)
    ]
    return InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)])


def _next_question(
    answers: dict[str, str | None], t: Translator
) -> tuple[str, InlineKeyboardMarkup | None] | None:
    if "responsible" not in answers:
        units = responsible_for(answers["kind"] or "other")
        buttons = [
            InlineKeyboardButton(t._(RESPONSIBLE_NAMES[u]), callback_data=f"ms:r:{u}")
            for u in units
        ]
        return (
            t._("Who is responsible for it? Press one, or type the unit's name."),
            InlineKeyboardMarkup([buttons[i : i + 2] for i in range(0, len(buttons), 2)]),
        )
    if "note" not in answers:
        return (
            t._("A short note about the measure? Type it, or press No note."),
            InlineKeyboardMarkup(
                [[InlineKeyboardButton(t._("No note"), callback_data="ms:n:skip")]]
            ),
        )
    if "taken_on" not in answers:
        return (
            t._("When was it taken? Press a button or type a date such as 2026-11-28."),
            InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(t._("Today"), callback_data="ms:d:today"),
                        InlineKeyboardButton(t._("Yesterday"), callback_data="ms:d:yesterday"),
                    ]
                ]
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


async def _measure_step(
    update: Update, context: AppContext, person: PersonView, field: str, value: str | None
) -> bool:
    """Store one answer of the measure draft; save the measure when complete.
    Returns False when the person has no measure draft."""
    t = translator(context, person)
    now = context.services.now()

    def step(session: Session) -> tuple[str, object] | None:
        measures = Measures(session)
        draft = measures.draft(person.id)
        if draft is None:
            return None
        answers = dict(draft.answers or {})
        expected = next(
            (f for f in ("kind", "responsible", "note", "taken_on") if f not in answers), None
        )
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

    result = await context.services.tx(step)
    if result is None:
        return False
    chat = update.effective_chat
    assert chat is not None
    status, data = result
    if status == "saved":
        assert isinstance(data, int)
        await chat.send_message(t._("The measure is recorded. Thank you."))
        await refresh_alert_messages(context, data)
        return True
    assert isinstance(data, dict)
    question = _next_question(data, t) if "kind" in data else None
    if question is None:
        codes = await context.services.tx(lambda s: _draft_codes(s, person.id))
        await chat.send_message(_kind_question(codes, t), reply_markup=_kind_markup(codes, t))
    else:
        prefix = (
            t._("That was answered already; here is the current question.") + "\n"
            if status == "stale"
            else ""
        )
        await chat.send_message(prefix + question[0], reply_markup=question[1])
    return True


def _draft_codes(session: Session, person_id: int) -> list[str]:
    draft = Measures(session).draft(person_id)
    alert = Alerts(session).get(draft.alert_id) if draft else None
    return list(alert.red_codes or []) if alert else []


async def measure_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    match = MEASURE_BUTTON.match(query.data or "")
    if person is None or match is None:
        await answer_query(query, t._("This button is no longer valid."))
        return
    await answer_query(query)
    if match["kind"]:
        if match["kind"] not in MEASURE_NAMES:
            return
        field, value = "kind", match["kind"]
    elif match["unit"]:
        if match["unit"] not in RESPONSIBLE_NAMES:
            return
        field, value = "responsible", match["unit"]
    elif match["skip"]:
        field, value = "note", None
    else:
        today = context.services.now().astimezone(context.services.tz).date()
        day = today if match["day"] == "today" else today - timedelta(days=1)
        field, value = "taken_on", day.isoformat()
    if not await _measure_step(update, context, person, field, value):
        await query.get_bot().send_message(
            query.from_user.id, t._("There is no measure being recorded.")
        )


async def measure_text(update: Update, context: AppContext) -> None:
    """Typed answers of the measure conversation (responsible unit, note, date)."""
    message = update.effective_message
    assert message is not None
    person = await identify(context, update.effective_user)
    if person is None:
        return
    t = translator(context, person)

    def current(session: Session) -> str | None:
        draft = Measures(session).draft(person.id)
        if draft is None:
            return None
        answers = draft.answers or {}
        return next(
            (f for f in ("kind", "responsible", "note", "taken_on") if f not in answers), "done"
        )

    field = await context.services.tx(current)
    if field is None:
        return
    text = (message.text or "").strip()
    if not text or field == "kind":
        await message.reply_text(
            t._("Please press one of the buttons, or send /cancel to stop recording the measure.")
        )
        raise ApplicationHandlerStop
    value: str | None = text[:100] if field == "responsible" else text[:1000]
    if field == "taken_on":
        today = context.services.now().astimezone(context.services.tz).date()
        parsed = parse_date(text, today)
        if parsed is None:
            await message.reply_text(
                t._(
                    "Please type a date such as 2026-11-28 (not in the "
                    "future, within the last year), or press a button."
                )
            )
            raise ApplicationHandlerStop
        value = parsed.isoformat()
    await _measure_step(update, context, person, field, value)
    raise ApplicationHandlerStop


async def resolve_command(update: Update, context: AppContext) -> None:
    """/resolve <household number>: township staff close the alert, risk eliminated."""
    message = update.effective_message
    assert message is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if person is None or person.role is not Role.TOWNSHIP_STAFF:
        await message.reply_text(t._("Only township staff can resolve a red warning."))
        return
    number = " ".join(context.args or []).strip()
    if not number:
        await message.reply_text(
            t._("Send /resolve followed by the household number, e.g. /resolve LX01001.")
        )
        return
    now = context.services.now()

    def resolve(session: Session) -> tuple[str, int | None]:
        alerts = Alerts(session)
        household, alert = alerts.open_for_number(number)
        if household is None or household.village.township_id != person.township_id:
            # one answer for both: another township's numbers are not confirmed either
            return "unknown", None
        if alert is None:
            return "none", None
        by = session.get(Person, person.id)
        assert by is not None
        if not alerts.may_act(alert, by):
            return "refused", None
        alerts.close(alert, by=by, reason="eliminated", now=now, actor=f"person:{by.id}")
        return "closed", alert.id

    outcome, alert_id = await context.services.tx(resolve)
    if outcome == "unknown":
        await message.reply_text(
            t._("There is no household {number} in your township.").format(number=number)
        )
    elif outcome == "none":
        await message.reply_text(
            t._("Household {number} has no open red warning.").format(number=number)
        )
    elif outcome == "refused":  # staff of the township always may; kept for safety
        await message.reply_text(t._("Only township staff can resolve a red warning."))
    else:
        assert alert_id is not None
        context.services.wake_outbox()
        await refresh_alert_messages(context, alert_id)
        await message.reply_text(
            t._(
                "The red warning for household {number} is closed; the groups get an all-clear."
            ).format(number=number)
        )


def handlers() -> list[BaseHandler[Update, AppContext, None]]:
    return [
        CallbackQueryHandler(group_button, pattern=r"^al:"),
        CallbackQueryHandler(measure_button, pattern=r"^ms:"),
        CommandHandler("resolve", resolve_command),
    ]


def answer_handlers() -> list[BaseHandler[Update, AppContext, None]]:
    """After the check-in's group: typed answers of a measure being recorded."""
    return [
        MessageHandler(filters.ChatType.PRIVATE & filters.TEXT & ~filters.COMMAND, measure_text)
    ]
