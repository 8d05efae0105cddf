"""The weekly check-in: /checkin, one question at a time, a summary, Confirm or Edit; /mine.

The draft row is the conversation state (no ConversationHandler, nothing kept in memory):
every answer is committed the moment it is given, together with the update's id, so a
crash at any point loses nothing and a redelivered update is never applied twice. The next
message or button press simply continues at the first unanswered question.

Callback data (checked by regex, never split on free text):
  ci:hh:<household id>          choose a household
  ci:a:<question id>:<value>    a button answer
  ci:edit                       show the list of questions to edit
  ci:e:<question id>            edit one question
  ci:sum                        back to the summary
  ci:ok                         confirm
  ci:cx:<1|0>                   discard the draft / keep going (after /cancel)
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import (
    ApplicationHandlerStop,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from conversations.actions import START_CHECKIN
from conversations.base import AppContext, answer_query, identify, translator
from conversations.engine.services import PersonView
from conversations.menu import DURING_CHECKIN
from conversations.texts import level_text, money, reason_text
from monitoring.checkin import (
    EDITABLE,
    QUESTION_BY_ID,
    AnswerError,
    Answers,
    Facts,
    Kind,
    Question,
    Step,
    clear_for_edit,
    next_step,
    parse_button_answer,
    parse_text_answer,
    record,
    summary_rows,
)
from monitoring.i18n import N_, Translator
from monitoring.people import HouseholdStatus
from monitoring.risk import Level
from monitoring.weeks import Week, week_of
from storage.checkins import (
    AlreadyHandled,
    CheckIns,
    ConfirmResult,
    DraftView,
    HouseholdView,
    confirm_draft,
)
from storage.measures import Measures
from storage.models import Household
from storage.proposals import Drafts

log = logging.getLogger(__name__)

CALLBACK = re.compile(
    r"^ci:(?:hh:(?P<hh>\d{1,12})|a:(?P<q>[a-z_]{1,40}):(?P<v>[a-z0-9_]{1,20})|e:(?P<e>[a-z_]{1,40})"
    r"|cx:(?P<cx>[01])|(?P<cmd>edit|sum|ok))$"
)
# Commands a helper may send in the middle of a check-in without being stopped.


@dataclass(frozen=True)
class Who:
    person: PersonView
    t: Translator


async def _helper(update: Update, context: AppContext) -> Who | None:
    """The registered person behind this update; tells an unregistered one what to do."""
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if person is None:
        await _say(
            update, t._("You are not registered yet. Send /start and share your phone number.")
        )
        return None
    return Who(person, t)


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    chat = update.effective_chat
    assert chat is not None
    return await chat.send_message(text, reply_markup=markup)


def _this_week(context: AppContext) -> Week:
    return week_of(context.services.now(), context.services.tz)


def _household_line(h: HouseholdView) -> str:
    return f"{h.number} {h.head_name}"


# ----------------------------------------------------------------------------- rendering


def _question_text(step: Step, draft: DraftView, t: Translator) -> str:
    question = step.question
    body = t._(question.text).format(members=draft.household.members)
    header = f"【{_household_line(draft.household)}】"
    if step.round:
        body = t._("Expenditure {n}: {question}").format(n=step.round + 1, question=body)
    return f"{header}\n{body}"


def _question_markup(step: Step, draft: DraftView, t: Translator) -> InlineKeyboardMarkup | None:
    q = step.question
    data = f"ci:a:{q.id}:"
    if q.kind is Kind.YESNO:
        rows = [
            [
                InlineKeyboardButton(t._("Yes"), callback_data=data + "1"),
                InlineKeyboardButton(t._("No"), callback_data=data + "0"),
            ]
        ]
    elif q.kind is Kind.CHOICE:
        buttons = [
            InlineKeyboardButton(t._(label), callback_data=data + value)
            for value, label in q.options
        ]
        rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    elif q.kind is Kind.COUNT:
        n = draft.household.members
        rows = [[InlineKeyboardButton(t._("Still {n}").format(n=n), callback_data=data + str(n))]]
    elif q.skippable and q.kind is Kind.TEXT:
        rows = [[InlineKeyboardButton(t._("No note"), callback_data=data + "skip")]]
    elif q.skippable and q.kind is Kind.PHOTO:
        rows = [[InlineKeyboardButton(t._("No photo"), callback_data=data + "skip")]]
    else:
        return None
    return InlineKeyboardMarkup(rows)


def _value_text(question: Question, value: Any, t: Translator) -> str:
    if isinstance(value, list):
        return "、".join(_value_text(question, v, t) for v in value) or "—"
    if value is None:
        return "—"
    if question.kind is Kind.YESNO:
        return t._("Yes") if value else t._("No")
    if question.kind is Kind.CHOICE:
        labels = dict(question.options)
        return t._(labels.get(value, value))
    if question.kind is Kind.AMOUNT:
        return money(value, t)
    if question.kind is Kind.PHOTO:
        return t._("attached")
    return str(value)


def _summary_text(draft: DraftView, t: Translator) -> str:
    lines = [
        t._("Check-in for {household}, week {week}. Please check:").format(
            household=_household_line(draft.household), week=draft.week
        )
    ]
    cause_q, amount_q = QUESTION_BY_ID["expense_cause"], QUESTION_BY_ID["expense_amount"]
    for question, value in summary_rows(draft.answers, draft.household.facts):
        if question.id in ("expense_cause", "expense_amount"):
            continue  # listed under the rigid-expenditure line
        lines.append(f"• {t._(question.label)}：{_value_text(question, value, t)}")
        if question.id == "rigid_expense" and value:
            for cause, amount in zip(
                draft.answers.get("expense_cause") or [],
                draft.answers.get("expense_amount") or [],
                strict=False,
            ):
                lines.append(
                    f"    – {_value_text(cause_q, cause, t)} {_value_text(amount_q, amount, t)}"
                )
    if draft.household.has_school_child is False and "school_child" not in draft.answers:
        lines.append(
            "• "
            + t._("Child of compulsory-school age: none (recorded earlier; press Edit to change)")
        )
    return "\n".join(lines)


def _summary_markup(t: Translator) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(t._("✅ Confirm"), callback_data="ci:ok"),
                InlineKeyboardButton(t._("✏️ Edit"), callback_data="ci:edit"),
            ]
        ]
    )


def _edit_markup(draft: DraftView, t: Translator) -> InlineKeyboardMarkup:
    buttons = []
    for qid in EDITABLE:
        label = t._(QUESTION_BY_ID[qid].label)
        buttons.append(InlineKeyboardButton(label, callback_data=f"ci:e:{qid}"))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    rows.append([InlineKeyboardButton(t._("↩️ Back to the summary"), callback_data="ci:sum")])
    return InlineKeyboardMarkup(rows)


async def _show(update: Update, draft: DraftView, t: Translator, prefix: str | None = None) -> None:
    """Ask the draft's next question, or show its summary when all is answered."""
    step = next_step(draft.answers, draft.household.facts, draft.editing)
    markup: InlineKeyboardMarkup | None
    if step is None:
        text = _summary_text(draft, t)
        markup = _summary_markup(t)
    else:
        text = _question_text(step, draft, t)
        markup = _question_markup(step, draft, t)
    if prefix:
        text = f"{prefix}\n\n{text}"
    await _say(update, text, markup)


# ----------------------------------------------------------------------------- transactions


class _NoDraft(Exception):
    pass


async def _load_draft(context: AppContext, helper_id: int) -> DraftView | None:
    week = _this_week(context)
    return await context.services.tx(lambda s: CheckIns(s).draft_view(helper_id, week))


async def _change_draft(
    context: AppContext,
    update: Update,
    helper_id: int,
    change: Callable[[Answers, Facts, str | None], tuple[Answers, str | None]],
) -> DraftView:
    """Apply `change` to the draft's answers in one transaction that also records the update.
    Returns the draft as it is afterwards. Raises _NoDraft, AnswerError or AlreadyHandled."""
    now = context.services.now()
    week = week_of(now, context.services.tz)

    def work(session: Session) -> DraftView:
        repo = CheckIns(session)
        repo.mark_handled(update.update_id, now=now)
        draft = repo.draft(helper_id)
        if draft is None:
            raise _NoDraft
        facts = repo.facts(draft.household_id)
        answers, editing = change(dict(draft.answers or {}), facts, draft.editing)
        repo.save_draft(draft, answers=answers, editing=editing, now=now)
        session.flush()
        view = repo.draft_view(helper_id, week)
        assert view is not None
        return view

    return await context.services.tx(work)


def _answer_change(
    step_id: str, parse: Callable[[Question], Any]
) -> Callable[[Answers, Facts, str | None], tuple[Answers, str | None]]:
    def change(answers: Answers, facts: Facts, editing: str | None) -> tuple[Answers, str | None]:
        step = next_step(answers, facts, editing)
        if step is None or step.question.id != step_id:
            raise _Stale
        value = parse(step.question)
        updated = record(answers, step, value)
        # Editing ends when the walker has nothing more to ask.
        if editing and next_step(updated, facts, editing) is None:
            editing = None
        return updated, editing

    return change


class _Stale(Exception):
    """A button of a question that is no longer the one being asked."""


# ----------------------------------------------------------------------------- handlers


async def checkin_command(update: Update, context: AppContext) -> None:
    who = await _helper(update, context)
    if who is None:
        return
    t = who.t
    draft = await _load_draft(context, who.person.id)
    if draft is not None:
        await _show(
            update,
            draft,
            t,
            t._(
                "Continuing your unfinished check-in for {household} (send /cancel to discard it)."
            ).format(household=_household_line(draft.household)),
        )
        return
    week = _this_week(context)
    households = await context.services.tx(lambda s: CheckIns(s).households_of(who.person.id, week))
    if not households:
        await _say(
            update,
            t._(
                "No household is assigned to you for monitoring. If that is "
                "wrong, please contact the township office."
            ),
        )
        return
    if len(households) == 1:
        await _start(update, context, who, households[0].id)
        return
    buttons = [
        [
            InlineKeyboardButton(
                ("✅ " if h.done_this_week else "⏳ ") + _household_line(h),
                callback_data=START_CHECKIN.data(household=h.id),
            )
        ]
        for h in households
    ]
    due = sum(1 for h in households if not h.done_this_week)
    await _say(
        update,
        t._(
            "Which household are you checking in? Week {week}: {due} of {total} "
            "still due (✅ done, ⏳ due)."
        ).format(week=str(week), due=due, total=len(households)),
        InlineKeyboardMarkup(buttons),
    )


async def _start(update: Update, context: AppContext, who: Who, household_id: int) -> None:
    now = context.services.now()
    week = week_of(now, context.services.tz)
    t = who.t

    def work(session: Session) -> DraftView | str | None:
        repo = CheckIns(session)
        repo.mark_handled(update.update_id, now=now)
        if repo.helper_of(household_id) != who.person.id:
            return None
        household = session.get(Household, household_id)
        if household is None or household.status != HouseholdStatus.MONITORED.value:
            return "not monitored"  # eliminated: an old reminder's button, or a forged one
        repo.start_draft(who.person.id, household_id, week, now=now)
        session.flush()
        return repo.draft_view(who.person.id, week)

    try:
        draft = await context.services.tx(work)
    except AlreadyHandled:
        _redelivered(update)
        draft = await _load_draft(context, who.person.id)
        if draft is not None:
            await _show(update, draft, t)
        return
    if draft is None:
        await _say(update, t._("That household is not one of yours."))
        return
    if isinstance(draft, str):
        await _say(
            update,
            t._(
                "That household is no longer monitored (its risk was eliminated): no check-in "
                "is needed. Send /mine to see your households."
            ),
        )
        return
    prefix = None
    if draft.household.done_this_week:
        prefix = t._(
            "{household} was already checked in this week; what you answer now "
            "will replace it as a correction (the earlier one is kept in the "
            "history)."
        ).format(household=_household_line(draft.household))
    await _show(update, draft, t, prefix)


async def on_callback(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None
    match = CALLBACK.match(query.data or "")
    who = await _helper(update, context)
    if who is None:
        await answer_query(query)
        return
    t = who.t
    if match is None:
        await answer_query(query, t._("This button is no longer valid."))
        return
    await answer_query(query)
    # An answer button needs no separate look: its transaction records the update and finds
    # it handled before (AlreadyHandled below), saving a transaction on the busiest path.
    if match["q"] is None and await _handled_before(context, update):
        draft = await _load_draft(context, who.person.id)
        if draft is not None:
            await _show(update, draft, t)
        return
    if match["hh"]:
        await _start(update, context, who, int(match["hh"]))
        await _close_buttons(query.message)
        return
    if match["cx"]:
        await _cancel_answer(update, context, who, match["cx"] == "1")
        await _close_buttons(query.message)
        return
    if match["cmd"] == "ok":
        await _confirm(update, context, who)
        await _close_buttons(query.message)
        return
    draft = await _load_draft(context, who.person.id)
    if draft is None:
        await _say(update, t._("There is no check-in in progress. Send /checkin to start one."))
        await _close_buttons(query.message)
        return
    if match["cmd"] == "edit":
        if (
            isinstance(query.message, Message)
            and next_step(draft.answers, draft.household.facts, draft.editing) is None
        ):
            await _edit_markup_of(query.message, _edit_markup(draft, t))
        else:
            await _show(update, draft, t)
        return
    if match["cmd"] == "sum":
        await _close_buttons(query.message)
        await _show(update, draft, t)
        return
    if match["e"]:
        await _start_edit(update, context, who, match["e"])
        await _close_buttons(query.message)
        return
    # A button answer.
    qid, raw = match["q"], match["v"]
    pressed = query.message if isinstance(query.message, Message) else None
    await _answer(update, context, who, qid, lambda q: parse_button_answer(q, raw), pressed)


async def _answer(
    update: Update,
    context: AppContext,
    who: Who,
    qid: str,
    parse: Callable[[Question], Any],
    pressed: Message | None = None,
) -> None:
    t = who.t
    try:
        draft = await _change_draft(context, update, who.person.id, _answer_change(qid, parse))
    except _NoDraft:
        await _say(update, t._("There is no check-in in progress. Send /checkin to start one."))
        return
    except AlreadyHandled:
        _redelivered(update)
        current = await _load_draft(context, who.person.id)
        if current is not None:
            await _show(update, current, t)
        return
    except _Stale:
        current = await _load_draft(context, who.person.id)
        if current is not None:
            await _show(
                update, current, t, t._("That question was already answered; here is where we are.")
            )
        await _close_buttons(pressed)
        return
    except AnswerError as exc:
        current = await _load_draft(context, who.person.id)
        if current is not None:
            await _show(update, current, t, t._(exc.hint))
        return
    if pressed is not None:
        question = QUESTION_BY_ID[qid]
        value = draft.answers.get(qid)
        shown = value[-1] if isinstance(value, list) and value else value
        await _edit_text_of(pressed, f"{pressed.text}\n→ {_value_text(question, shown, t)}")
    await _show(update, draft, t)


async def _start_edit(update: Update, context: AppContext, who: Who, qid: str) -> None:
    t = who.t
    if qid not in EDITABLE:
        await _say(update, t._("This button is no longer valid."))
        return

    def change(answers: Answers, facts: Facts, editing: str | None) -> tuple[Answers, str | None]:
        if next_step(answers, facts, editing) is not None:
            raise _Stale
        return clear_for_edit(answers, qid), qid

    try:
        draft = await _change_draft(context, update, who.person.id, change)
    except (_NoDraft, AlreadyHandled, _Stale):
        current = await _load_draft(context, who.person.id)
        if current is not None:
            await _show(update, current, t)
        return
    await _show(update, draft, t)


async def on_message(update: Update, context: AppContext) -> None:
    """Any non-command message in a private chat: an answer when a check-in is in progress."""
    message = update.effective_message
    assert message is not None
    person = await identify(context, update.effective_user)
    if person is None:
        return  # not for the check-in; the fallback handler answers
    t = translator(context, person)
    week = _this_week(context)

    def load(session: Session) -> tuple[DraftView | None, bool]:
        repo = CheckIns(session)  # the draft, and whether this update came before a restart
        return repo.draft_view(person.id, week), repo.was_handled(update.update_id)

    draft, handled = await context.services.tx(load)
    if draft is None:
        return
    who = Who(person, t)
    if handled:
        _redelivered(update)
        await _show(update, draft, t)
        raise ApplicationHandlerStop
    step = next_step(draft.answers, draft.household.facts, draft.editing)
    if step is None:
        await _show(
            update,
            draft,
            t,
            t._("Please press Confirm to save the check-in, or Edit to change an answer."),
        )
        raise ApplicationHandlerStop
    question = step.question
    if question.kind is Kind.PHOTO and message.photo:
        file_id = message.photo[-1].file_id
        await _answer(update, context, who, question.id, lambda q: file_id)
    elif message.text is not None and question.kind is not Kind.PHOTO:
        text = message.text
        await _answer(update, context, who, question.id, lambda q: parse_text_answer(q, text))
    else:
        hint = {
            Kind.PHOTO: N_("Please send a photo, or press No photo."),
            Kind.AMOUNT: N_("Please type an amount in yuan, such as 4500, 4,500 or 1.2万."),
            Kind.COUNT: N_(
                "Please type the number of people living together, a whole number from 1 to 30."
            ),
            Kind.TEXT: N_("Please type the note as text, or press No note."),
        }.get(question.kind, N_("Please press one of the buttons (or type 是 or 否)."))
        await _show(update, draft, t, t._(hint))
    raise ApplicationHandlerStop


async def guard_commands(update: Update, context: AppContext) -> None:
    """During a check-in, a command of another flow gets a clear reply and the question again."""
    message = update.effective_message
    if message is None or not message.text:
        return
    command = message.text.split()[0].lstrip("/").split("@")[0].lower()
    if command in DURING_CHECKIN:
        return
    person = await identify(context, update.effective_user)
    if person is None:
        return
    draft = await _load_draft(context, person.id)
    if draft is None:
        return
    t = translator(context, person)
    await _show(
        update,
        draft,
        t,
        t._(
            "You are in the middle of the check-in for {household}. Please answer the question "
            "below, or send /cancel to discard the check-in first."
        ).format(household=_household_line(draft.household)),
    )
    raise ApplicationHandlerStop


async def cancel_command(update: Update, context: AppContext) -> None:
    who = await _helper(update, context)
    if who is None:
        return
    t = who.t
    draft = await _load_draft(context, who.person.id)
    if draft is None:
        person_id = who.person.id

        def drop_open_flows(session: Session) -> list[str]:
            dropped = [
                kind for kind in ("proposal", "reason") if Drafts(session).drop(person_id, kind)
            ]
            if Measures(session).drop_draft(person_id):
                dropped.append("measure")
            return dropped

        dropped = await context.services.tx(drop_open_flows)
        if dropped:  # a proposal or a measure being written, or a reason being asked for
            await _say(update, t._("Discarded what you were writing. Nothing was submitted."))
            return
        await _say(update, t._("There is nothing to cancel."))
        return
    await _say(
        update,
        t._(
            "Discard the unfinished check-in for {household}? The answers given "
            "so far will be lost."
        ).format(household=_household_line(draft.household)),
        InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t._("Discard"), callback_data="ci:cx:1"),
                    InlineKeyboardButton(t._("Keep going"), callback_data="ci:cx:0"),
                ]
            ]
        ),
    )


async def _cancel_answer(update: Update, context: AppContext, who: Who, discard: bool) -> None:
    t = who.t
    if not discard:
        draft = await _load_draft(context, who.person.id)
        if draft is not None:
            await _show(update, draft, t)
        return
    now = context.services.now()

    def work(session: Session) -> str | None:
        repo = CheckIns(session)
        repo.mark_handled(update.update_id, now=now)
        draft = repo.draft(who.person.id)
        if draft is None:
            return None
        household = repo.household(draft.household_id, week_of(now, context.services.tz))
        repo.discard_draft(draft)
        return _household_line(household) if household else ""

    try:
        discarded = await context.services.tx(work)
    except AlreadyHandled:
        _redelivered(update)
        return
    if discarded is None:
        await _say(update, t._("There is nothing to cancel."))
    else:
        await _say(
            update, t._("The check-in for {household} was discarded.").format(household=discarded)
        )


async def _confirm(update: Update, context: AppContext, who: Who) -> None:
    t = who.t
    now = context.services.now()

    week = week_of(now, context.services.tz)

    def work(session: Session) -> ConfirmResult | Week | None:
        repo = CheckIns(session)
        repo.mark_handled(update.update_id, now=now)
        draft = repo.draft(who.person.id)
        if draft is None:
            return None
        if (
            next_step(dict(draft.answers or {}), repo.facts(draft.household_id), draft.editing)
            is not None
        ):
            raise _Stale
        if draft.week != str(week):
            # Started in a week that has ended: it must not replace that week's check-in,
            # and the new week must not stay due while the helper thinks it is done. The
            # answers move to this week, and the helper confirms again, knowingly.
            started = Week.parse(draft.week)
            repo.move_draft(draft, week, now=now)
            return started
        return confirm_draft(
            session,
            draft,
            entered_by=who.person.id,
            now=now,
            close_after_green=context.services.close_after_green,
        )

    try:
        result = await context.services.tx(work)
    except AlreadyHandled:
        _redelivered(update)
        return
    except _Stale:
        draft = await _load_draft(context, who.person.id)
        if draft is not None:
            await _show(update, draft, t)
        return
    if result is None:
        await _say(
            update,
            t._(
                "This check-in was already confirmed or discarded. Send /checkin to start another."
            ),
        )
        return
    if isinstance(result, Week):
        draft = await _load_draft(context, who.person.id)
        if draft is not None:
            note = t._(
                "This check-in was started in week {started}, which has ended. It will be "
                "recorded for this week, {week}: please check the answers and confirm again."
            ).format(started=str(result), week=str(week))
            await _show(update, draft, t, note)
        return
    context.services.wake_outbox()
    log.info(
        "check-in %s confirmed for household %s: %s",
        result.check_in_id,
        result.household_number,
        result.assessment.level,
    )
    await _say(update, result_text(result, t))


def result_text(result: ConfirmResult, t: Translator) -> str:
    a = result.assessment
    lines = [t._("Saved: check-in for household {number}.").format(number=result.household_number)]
    if result.correction:
        lines.append(
            t._("It replaces the check-in recorded earlier this week, which stays in the history.")
        )
    lines.append(t._("Risk level: {level}").format(level=level_text(a.level, t)))
    lines.append(t._("Per-capita income: {amount}").format(amount=money(a.per_capita_income, t)))
    if a.reasons:
        lines.append(t._("Why:"))
        lines.extend(f"• {reason_text(r, t)}" for r in a.reasons)
    if a.level is Level.RED:
        change = result.alert
        if change.action in ("opened", "updated") and change.chats:
            lines.append(
                t._(
                    "The red warning is being posted to the village and township groups "
                    "(if it can not be delivered, the township staff are told)."
                )
            )
        elif change.action in ("opened", "updated"):
            lines.append(
                t._(
                    "No group is bound for this village or township yet: please tell "
                    "the village committee today."
                )
            )
        else:
            lines.append(t._("The household is already on red alert; the village knows."))
    elif a.level is Level.WATCH:
        lines.append(t._("The household stays on the watch list; keep visiting every week."))
    else:
        lines.append(t._("Thank you. See you at next week's visit."))
    return "\n".join(lines)


# ----------------------------------------------------------------------------- helpers


async def _handled_before(context: AppContext, update: Update) -> bool:
    """An update delivered again after a restart: its effects are already committed."""
    handled = await context.services.tx(lambda s: CheckIns(s).was_handled(update.update_id))
    if handled:
        _redelivered(update)
    return handled


def _redelivered(update: Update) -> None:
    log.info("update %s was handled before a restart; showing where we are", update.update_id)


async def _close_buttons(message: Any) -> None:
    """Remove the buttons of a message that has been answered (best effort)."""
    if isinstance(message, Message) and message.reply_markup is not None:
        await _edit_markup_of(message, None)


async def _edit_markup_of(message: Message, markup: InlineKeyboardMarkup | None) -> None:
    try:
        await message.edit_reply_markup(markup)
    except BadRequest as exc:  # "message is not modified" and the like
        log.debug("could not edit buttons: %s", exc)


async def _edit_text_of(message: Message, text: str) -> None:
    try:
        await message.edit_text(text, reply_markup=None)
    except BadRequest as exc:
        log.debug("could not edit message: %s", exc)


PRIVATE = filters.ChatType.PRIVATE


def guard_handlers() -> list[BaseHandler[Update, AppContext, None]]:
    """Group -1: stop other commands while a check-in is in progress."""
    return [MessageHandler(filters.COMMAND & PRIVATE, guard_commands)]


def handlers() -> list[BaseHandler[Update, AppContext, None]]:
    return [
        CommandHandler("checkin", checkin_command, filters=PRIVATE),
        CommandHandler("cancel", cancel_command, filters=PRIVATE),
        CallbackQueryHandler(on_callback, pattern=r"^ci:"),
    ]


def answer_handlers() -> list[BaseHandler[Update, AppContext, None]]:
    """Group 1: anything else a helper sends privately is an answer when a draft is open."""
    return [
        MessageHandler(
            PRIVATE & ~filters.COMMAND & ~filters.CONTACT & ~filters.StatusUpdate.ALL, on_message
        )
    ]
