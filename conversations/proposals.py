"""Bringing households into monitoring and out of it, in the chat:

- `/propose` (helpers and village heads, private chat): a short conversation whose state is a
  `person_drafts` row, so nothing is lost on a restart; the proposal then goes to the village
  heads of its village (Approve / Reject), then to the township staff, whose approval
  registers the household and asks for its helper. Rejections ask for a reason. The proposer
  hears of every decision; every step is stored with who, when and why, and audited.
- `/proposals`: what waits for you (with its buttons again), or your own proposals.
- `/eliminate <number>` (township staff, private chat): the criteria of POLICY.md checked
  against the stored history; recorded when all hold, or with an override reason.
- `/reinstate <number> <reason>` (township staff): back into monitoring.

Each change records the update id in its transaction, so an update delivered again after a
crash is applied once.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any, TypeVar

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

from conversations.actions import DECISIONS, ELIMINATION
from conversations.base import AppContext, answer_query, identify, translator
from conversations.engine.services import PersonView
from conversations.ledger import CATEGORY_NAMES
from conversations.proposal_texts import (
    criteria_markup,
    criteria_text,
    proposal_markup,
    proposal_text,
    risk_names,
)
from conversations.texts import money
from monitoring.checkin import AnswerError, all_questions, parse_text_answer
from monitoring.i18n import Translator
from monitoring.people import Category, HouseholdStatus, Role
from monitoring.proposals import (
    RISK_CODES,
    RISK_TYPES,
    Criterion,
    Status,
    elimination_criteria,
    next_field,
    parse_head_name,
    parse_household_number,
    parse_note,
)
from monitoring.weeks import week_of
from storage.checkins import AlreadyHandled, CheckIns
from storage.models import Household, Person
from storage.proposals import Drafts, Eliminations, Proposals, ProposalView, Refused
from storage.repositories import Households

log = logging.getLogger(__name__)
T = TypeVar("T")

PROPOSAL, REASON = "proposal", "reason"
_QUESTIONS = {q.id: q for q in all_questions()}


class _Redelivered(Exception):
    pass


async def _once(context: AppContext, update: Update, work: Callable[[Session], T]) -> T:
    """Run `work` in one transaction with the update's id recorded; _Redelivered if an
    earlier transaction already committed this update."""

    def run(session: Session) -> T:
        CheckIns(session).mark_handled(update.update_id, now=context.services.now())
        return work(session)

    try:
        return await context.services.tx(run)
    except AlreadyHandled:
        log.info("update %s was handled before a restart", update.update_id)
        raise _Redelivered() from None


def _person(session: Session, view: PersonView) -> Person:
    person = session.get(Person, view.id)
    assert person is not None
    return person


async def _say(update: Update, text: str, markup: InlineKeyboardMarkup | None = None) -> None:
    message = update.effective_message
    assert message is not None
    await message.reply_text(text, reply_markup=markup)


# ----------------------------------------------------------------------------- /propose


def _question(
    field: str, answers: dict[str, Any], t: Translator, villages: list[tuple[int, str]]
) -> tuple[str, InlineKeyboardMarkup | None]:
    def rows(buttons: list[tuple[str, str]], width: int = 2) -> InlineKeyboardMarkup:
        keyboard = [
            [
                InlineKeyboardButton(text, callback_data=data)
                for text, data in buttons[i : i + width]
            ]
            for i in range(0, len(buttons), width)
        ]
        keyboard.append([InlineKeyboardButton(t._("Cancel"), callback_data="pp:x")])
        return InlineKeyboardMarkup(keyboard)

    if field == "village_id":
        return t._("New proposal. Which village is the household in?"), rows(
            [(name, f"pp:v:{vid}") for vid, name in villages], 3
        )
    if field == "head_name":
        return t._("Name of the head of household?"), rows([])
    if field == "number":
        return t._(
            "The household number, if it has one (e.g. LX01012)? Press “Not known” otherwise."
        ), rows([(t._("Not known"), "pp:n:-")])
    if field == "members":
        return t._("How many members live together?"), rows([])
    if field == "category":
        return t._("Which category?"), rows(
            [(t._(CATEGORY_NAMES[c.value]), f"pp:c:{c.value}") for c in Category], 1
        )
    if field == "risk_types":
        chosen = set(answers.get("risk_types", []))
        buttons = [
            (("✅ " if code in chosen else "") + t._(name), f"pp:r:{code}")
            for code, name in RISK_TYPES
        ]
        buttons.append((t._("Done"), "pp:r:done"))
        return t._(
            "Which risks does the household face? Press each that applies, then Done."
        ), rows(buttons, 2)
    if field == "expected_income":
        return t._("Expected household net income this year, in yuan (e.g. 18000, 1.8万)?"), rows(
            []
        )
    if field == "has_labour":
        return t._("Is anyone in the household able to work?"), rows(
            [(t._("Yes"), "pp:l:1"), (t._("No"), "pp:l:0")]
        )
    if field == "note":
        return t._(
            "A note for the reviewers: what happened, what is needed? Type it, or press Skip."
        ), rows([(t._("Skip"), "pp:s:note")])
    if field == "photo":
        return t._("A photo (the home, a bill…)? Send it, or press Skip."), rows(
            [(t._("Skip"), "pp:s:photo")]
        )
    raise ValueError(field)


def _review(answers: dict[str, Any], villages: dict[int, str], t: Translator) -> str:
    lines = [
        t._("Please check the proposal:"),
        t._("Village: {village}").format(village=villages.get(answers["village_id"], "?")),
        t._("Head of household: {head}").format(head=answers["head_name"]),
        t._("Household number: {number}").format(number=answers["number"] or t._("not known yet")),
        t._("Members: {members}; category: {category}").format(
            members=answers["members"], category=t._(CATEGORY_NAMES[answers["category"]])
        ),
        t._("Risks: {risks}").format(risks=risk_names(answers["risk_types"], t)),
        t._("Expected income this year: {amount}").format(
            amount=money(Decimal(answers["expected_income"]), t)
        ),
        t._("Someone able to work: {answer}").format(
            answer=t._("yes") if answers["has_labour"] else t._("no")
        ),
        t._("Note: {note}").format(note=answers["note"] or "—"),
        t._("Photo: {answer}").format(answer=t._("yes") if answers["photo"] else t._("no")),
    ]
    return "\n".join(lines)


async def _ask_next(
    update: Update, context: AppContext, person: PersonView, prefix: str | None = None
) -> None:
    """Ask the draft's next question, or show the review with Submit / Cancel; `prefix` (a
    refusal, a note) goes in the same message, so the person reads one reply."""
    t = translator(context, person)

    def load(session: Session) -> tuple[dict[str, Any], list[tuple[int, str]]] | None:
        draft = Drafts(session).get(person.id, PROPOSAL)
        if draft is None:
            return None
        return dict(draft.data), Proposals(session).villages(person.township_id)

    loaded = await context.services.tx(load)
    if loaded is None:
        await _say(update, t._("No proposal is in progress. Send /propose to start one."))
        return
    answers, villages = loaded
    if person.village_id is not None:  # their own village first
        villages.sort(key=lambda v: v[0] != person.village_id)
    field = next_field(answers)
    if field is None:
        markup = InlineKeyboardMarkup(
            [
                [
                    InlineKeyboardButton(t._("Submit"), callback_data="pp:ok"),
                    InlineKeyboardButton(t._("Cancel"), callback_data="pp:x"),
                ]
            ]
        )
        await _say(update, _join(prefix, _review(answers, dict(villages), t)), markup)
        return
    question, buttons = _question(field, answers, t, villages)
    await _say(update, _join(prefix, question), buttons)


def _join(prefix: str | None, text: str) -> str:
    return f"{prefix}\n\n{text}" if prefix else text


async def propose_command(update: Update, context: AppContext) -> None:
    chat = update.effective_chat
    assert chat is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if person is None or person.role not in (Role.HELPER, Role.VILLAGE_HEAD):
        await _say(update, t._("/propose is for helpers and village heads."))
        return
    if chat.type != "private":
        await _say(update, t._("Please send /propose in your private chat with me."))
        return
    now = context.services.now()

    def start(session: Session) -> bool:
        drafts = Drafts(session)
        if drafts.get(person.id, PROPOSAL) is not None:
            return False
        drafts.start(person.id, PROPOSAL, {}, now=now)
        return True

    try:
        fresh = await _once(context, update, start)
    except _Redelivered:
        fresh = False
    note = None if fresh else t._("You have a proposal in progress; here is where it stands.")
    await _ask_next(update, context, person, note)


async def _save_answer(
    update: Update, context: AppContext, person: PersonView, field: str, value: Any
) -> str | None:
    """Store one answer if `field` is the one asked; return a msgid when refused."""
    now = context.services.now()

    def save(session: Session) -> str | None:
        drafts = Drafts(session)
        draft = drafts.get(person.id, PROPOSAL)
        if draft is None:
            return "none"
        data = dict(draft.data)
        if next_field(data) != field:
            return "stale"
        if field == "number" and value:
            _, problem = Proposals(session).check_household(value, data["village_id"])
            if problem:
                return problem
        data[field] = value
        if field == "risk_types":
            data["risk_types_done"] = True
        drafts.update(draft, data, now=now)
        return None

    try:
        return await _once(context, update, save)
    except _Redelivered:
        return None


async def proposal_button(update: Update, context: AppContext) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if person is None or person.role not in (Role.HELPER, Role.VILLAGE_HEAD):
        await answer_query(query, t._("/propose is for helpers and village heads."))
        return
    parts = query.data.split(":")
    action = parts[1]
    now = context.services.now()
    if action == "x":
        await context.services.tx(lambda s: Drafts(s).drop(person.id, PROPOSAL))
        await answer_query(query)
        await _close(query.message)
        await _say(update, t._("The proposal was discarded."))
        return
    if action == "ok":
        await answer_query(query)
        await _submit(update, context, person)
        return
    if action == "r" and parts[2] != "done":
        code = parts[2]
        if code not in RISK_CODES:
            await answer_query(query)
            return

        def toggle(session: Session) -> dict[str, Any] | None:
            drafts = Drafts(session)
            draft = drafts.get(person.id, PROPOSAL)
            if draft is None or next_field(draft.data) != "risk_types":
                return None
            data = dict(draft.data)
            chosen = list(data.get("risk_types", []))
            chosen.remove(code) if code in chosen else chosen.append(code)
            data["risk_types"] = chosen
            drafts.update(draft, data, now=now)
            return data

        try:
            data = await _once(context, update, toggle)
        except _Redelivered:
            data = None
        await answer_query(query)
        if data is not None and isinstance(query.message, Message):
            _, markup = _question("risk_types", data, t, [])
            with contextlib.suppress(BadRequest):
                await query.message.edit_reply_markup(markup)
        return
    field, value = _button_answer(action, parts)
    if field == "category" and value not in CATEGORY_NAMES:
        field = ""
    if field == "risk_types":

        def chosen(session: Session) -> list[str]:
            draft = Drafts(session).get(person.id, PROPOSAL)
            return list((draft.data if draft else {}).get("risk_types", []))

        value = await context.services.tx(chosen)
        if not value:
            await answer_query(query, t._("Please choose at least one risk."))
            return
    if field not in (
        "village_id",
        "number",
        "category",
        "risk_types",
        "has_labour",
        "note",
        "photo",
    ):
        await answer_query(query)
        return
    problem = await _save_answer(update, context, person, field, value)
    await answer_query(query)
    if problem == "none":
        await _say(update, t._("No proposal is in progress. Send /propose to start one."))
        return
    await _close(query.message)
    refusal = t._(problem).format(number=value) if problem not in (None, "stale") else None
    await _ask_next(update, context, person, refusal)


def _button_answer(action: str, parts: list[str]) -> tuple[str, Any]:
    """The (field, value) a proposal button answers; ("", None) for nothing."""
    arg = parts[2] if len(parts) > 2 else ""
    if action == "v" and arg.isdigit():
        return "village_id", int(arg)
    if action == "n":
        return "number", ""
    if action == "c":
        return "category", arg
    if action == "r":
        return "risk_types", None
    if action == "l":
        return "has_labour", arg == "1"
    if action == "s" and arg in ("note", "photo"):
        return arg, None
    return "", None


async def proposal_text_answer(update: Update, context: AppContext) -> None:
    """Typed answers: a reason being asked for, else the proposal's typed questions."""
    message = update.effective_message
    assert message is not None
    person = await identify(context, update.effective_user)
    if person is None:
        return

    def drafts(session: Session) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        d = Drafts(session)
        reason, proposal = d.get(person.id, REASON), d.get(person.id, PROPOSAL)
        return (dict(reason.data) if reason else None, dict(proposal.data) if proposal else None)

    reason, proposal = await context.services.tx(drafts)
    t = translator(context, person)
    if reason is not None and message.text:
        await _reason_given(update, context, person, reason, message.text)
        raise ApplicationHandlerStop
    if proposal is None:
        return
    field = next_field(proposal)
    if message.photo and field == "photo":
        await _save_answer(update, context, person, "photo", message.photo[-1].file_id)
        await _ask_next(update, context, person)
        raise ApplicationHandlerStop
    if (
        field not in ("head_name", "number", "members", "expected_income", "note")
        or not message.text
    ):
        await _ask_next(update, context, person, t._("Please press one of the buttons."))
        raise ApplicationHandlerStop
    text = message.text
    try:
        value: Any
        if field == "head_name":
            value = parse_head_name(text)
        elif field == "number":
            value = parse_household_number(text)
        elif field == "note":
            value = parse_note(text)
        else:
            value = parse_text_answer(_QUESTIONS[field], text)
    except AnswerError as exc:
        await _ask_next(update, context, person, t._(exc.hint))
        raise ApplicationHandlerStop from None
    except ValueError as exc:
        await _ask_next(update, context, person, t._(str(exc)))
        raise ApplicationHandlerStop from None
    problem = await _save_answer(update, context, person, field, value)
    refusal = t._(problem).format(number=value) if problem not in (None, "stale", "none") else None
    await _ask_next(update, context, person, refusal)
    raise ApplicationHandlerStop


async def _submit(update: Update, context: AppContext, person: PersonView) -> None:
    t = translator(context, person)
    now = context.services.now()

    def submit(session: Session) -> tuple[int, int] | str:
        drafts = Drafts(session)
        draft = drafts.get(person.id, PROPOSAL)
        if draft is None:
            return "none"
        if next_field(draft.data) is not None:
            return "incomplete"
        try:
            proposal = Proposals(session).submit(
                _person(session, person), dict(draft.data), now=now
            )
        except Refused as refused:
            return t._(refused.msgid).format(**refused.params)
        drafts.drop(person.id, PROPOSAL)
        holders = len(Proposals(session).holders(proposal))
        return proposal.id, holders

    try:
        result = await _once(context, update, submit)
    except _Redelivered:
        return
    if result == "none":
        await _say(update, t._("No proposal is in progress. Send /propose to start one."))
        return
    if result == "incomplete":
        await _ask_next(update, context, person)
        return
    if isinstance(result, str):
        await _say(update, result)
        return
    proposal_id, holders = result
    context.services.wake_outbox()
    await _close(update.effective_message)
    text = t._(
        "Proposal no. {id} was sent to the village for review. You will hear of every decision."
    ).format(id=proposal_id)
    if not holders:
        text += "\n" + t._(
            "No village head of that village has registered with the bot yet: the proposal "
            "waits for them and shows as late to the township after 5 days."
        )
    await _say(update, text)


async def _close(message: Any) -> None:
    if isinstance(message, Message) and message.reply_markup is not None:
        with contextlib.suppress(BadRequest):
            await message.edit_reply_markup(None)


# ----------------------------------------------------------------------------- decisions


async def decision_button(update: Update, context: AppContext) -> None:
    """pd:ok|no:<id>:<step> and pd:h:<id>:<helper id>, pressed by a village head or staff."""
    query = update.callback_query
    assert query is not None and query.data is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    read = {name: act.read(query.data) for name, act in DECISIONS.items()}
    found = [(name, values) for name, values in read.items() if values is not None]
    if person is None or not found or not found[0][1]["proposal"].isdigit():
        await answer_query(
            query, t._("Only the village heads of its village (then township staff) decide.")
        )
        return
    action, values = found[0]
    proposal_id = int(values["proposal"])
    arg = values.get("step") or values["helper"]
    now = context.services.now()
    services = context.services

    if action == "no":

        def ask_reason(session: Session) -> str | None:
            proposals = Proposals(session)
            proposal = proposals.get(proposal_id)
            if proposal is None or proposal.status != arg:
                return t._("This proposal has already been decided at this step.")
            if not proposals.may_act(proposal, _person(session, person)):
                return t._("Only the village heads of its village (then township staff) decide.")
            Drafts(session).start(
                person.id,
                REASON,
                {"action": "reject", "proposal_id": proposal_id, "step": arg},
                now=now,
            )
            return None

        try:
            refused = await _once(context, update, ask_reason)
        except _Redelivered:
            refused = None
        await answer_query(query, refused)
        if refused is None:
            await context.bot.send_message(
                person.telegram_user_id or query.from_user.id,
                t._("Why is proposal no. {id} rejected? Please type the reason.").format(
                    id=proposal_id
                ),
            )
        return

    def decide(session: Session) -> tuple[ProposalView, list[tuple[int, str]]] | str:
        proposals = Proposals(session)
        try:
            if action == "ok":
                proposal = proposals.approve(proposal_id, _person(session, person), arg, now=now)
            elif action == "h" and arg.isdigit():
                proposal = proposals.assign(
                    proposal_id, _person(session, person), int(arg), now=now
                )
            else:
                return t._("Please press one of the buttons.")
        except Refused as refused:
            return t._(refused.msgid).format(**refused.params)
        view = proposals.view(proposal.id)
        assert view is not None
        return view, proposals.helpers_of_village(proposal.village_id)

    try:
        result = await _once(context, update, decide)
    except _Redelivered:
        await answer_query(query)
        return
    if isinstance(result, str):
        await answer_query(query, result)
        return
    view, helpers = result
    await answer_query(query)
    services.wake_outbox()
    if isinstance(query.message, Message):
        text = proposal_text(view, t, services.tz)
        if view.status is Status.HELPER:
            text += "\n" + (
                t._("Who will be its helper?")
                if helpers
                else t._("The village has no helper on the roster: add one, then /proposals.")
            )
        with contextlib.suppress(BadRequest):
            await query.message.edit_text(text, reply_markup=proposal_markup(view, t, helpers))


async def _reason_given(
    update: Update, context: AppContext, person: PersonView, draft: dict[str, Any], text: str
) -> None:
    t = translator(context, person)
    reason = text.strip()[:1000]
    now = context.services.now()
    if len(reason) < 2:
        await _say(update, t._("Please type the reason (a few words)."))
        return

    def apply(session: Session) -> str:
        Drafts(session).drop(person.id, REASON)
        me = _person(session, person)
        try:
            if draft.get("action") == "reject":
                proposal = Proposals(session).reject(
                    int(draft["proposal_id"]), me, str(draft["step"]), reason, now=now
                )
                return t._("Proposal no. {id} was rejected; the proposer is being told.").format(
                    id=proposal.id
                )
            if draft.get("action") == "eliminate":
                household = session.get(Household, int(draft["household_id"]))
                assert household is not None
                criteria = _criteria(session, household, context)
                Eliminations(session).eliminate(
                    household, me, criteria, override_reason=reason, now=now
                )
                return t._(
                    "Household {number}: risk eliminated (override recorded). It gets no more "
                    "reminders; its history is kept. /reinstate reverses it."
                ).format(number=household.number)
        except Refused as refused:
            return t._(refused.msgid).format(**refused.params)
        return t._("Please press one of the buttons.")

    try:
        answer = await _once(context, update, apply)
    except _Redelivered:
        return
    context.services.wake_outbox()
    await _say(update, answer)


async def proposals_command(update: Update, context: AppContext) -> None:
    """What waits for you, each with its buttons; for helpers, their own proposals."""
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if person is None:
        await _say(update, t._("Please register first: send /start."))
        return
    chat = update.effective_chat
    if chat is not None and chat.type != "private":  # proposals name households
        await _say(
            update,
            t._("Please send /{command} in your private chat with me.").format(command="proposals"),
        )
        return

    def load(session: Session) -> tuple[list[tuple[ProposalView, list[tuple[int, str]]]], bool]:
        proposals = Proposals(session)
        me = _person(session, person)
        waiting = proposals.waiting_for(me)
        mine = not waiting and person.role in (Role.HELPER, Role.VILLAGE_HEAD)
        rows = waiting if waiting else (proposals.of_proposer(me.id) if mine else [])
        views = []
        for p in rows:
            view = proposals.view(p.id)
            assert view is not None
            views.append((view, proposals.helpers_of_village(p.village_id)))
        return views, mine

    views, mine = await context.services.tx(load)
    if not views:
        await _say(update, t._("No proposal waits for you."))
        return
    if mine:
        await _say(update, t._("Your latest proposals:"))
    for view, helpers in views:
        markup = None if mine else proposal_markup(view, t, helpers)
        await _say(update, proposal_text(view, t, context.services.tz), markup)


# ----------------------------------------------------------------------------- elimination


def _criteria(session: Session, household: Household, context: AppContext) -> list[Criterion]:
    services = context.services
    now = services.now()
    facts = Eliminations(session).facts(household, now=now, tz=services.tz)
    return elimination_criteria(facts, week_of(now, services.tz))


async def _staff(update: Update, context: AppContext, command: str) -> PersonView | None:
    chat = update.effective_chat
    assert chat is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    if person is None or person.role is not Role.TOWNSHIP_STAFF:
        await _say(update, t._("/{command} is for township staff.").format(command=command))
        return None
    if chat.type != "private":
        await _say(
            update,
            t._("Please send /{command} in your private chat with me.").format(command=command),
        )
        return None
    return person


def _household_of_township(session: Session, number: str, person: PersonView) -> Household | None:
    household = Households(session).by_number(number.strip().upper())
    if household is None or household.village.township_id != person.township_id:
        return None
    return household


async def eliminate_command(update: Update, context: AppContext) -> None:
    person = await _staff(update, context, "eliminate")
    if person is None:
        return
    t = translator(context, person)
    if not context.args:
        await _say(update, t._("Please give the household number, e.g. /eliminate LX01012."))
        return
    number = context.args[0]

    def check(session: Session) -> tuple[int, str, str, list[Criterion]] | str:
        household = _household_of_township(session, number, person)
        if household is None:
            return t._("There is no household {number} in your township.").format(number=number)
        if household.status != HouseholdStatus.MONITORED.value:
            return t._("Household {number} is not monitored.").format(number=household.number)
        return (
            household.id,
            household.number,
            household.head_name,
            _criteria(session, household, context),
        )

    result = await context.services.tx(check)
    if isinstance(result, str):
        await _say(update, result)
        return
    household_id, number, head, criteria = result
    await _say(
        update, criteria_text(number, head, criteria, t), criteria_markup(household_id, criteria, t)
    )


async def eliminate_button(update: Update, context: AppContext) -> None:
    """el:ok|ov|x:<household id> and el:lab:<household id>:1|0."""
    query = update.callback_query
    assert query is not None and query.data is not None
    person = await identify(context, update.effective_user)
    t = translator(context, person)
    read = {name: act.read(query.data) for name, act in ELIMINATION.items()}
    found = [(name, values) for name, values in read.items() if values is not None]
    if (
        person is None
        or person.role is not Role.TOWNSHIP_STAFF
        or not found
        or not found[0][1]["household"].isdigit()
    ):
        await answer_query(
            query, t._("/{command} is for township staff.").format(command="eliminate")
        )
        return
    action, values = found[0]
    household_id = int(values["household"])
    now = context.services.now()
    if action == "x":
        await answer_query(query)
        await _close(query.message)
        await context.services.tx(lambda s: Drafts(s).drop(person.id, REASON))
        return

    def act(session: Session) -> tuple[str, InlineKeyboardMarkup | None]:
        household = session.get(Household, household_id)
        if household is None or household.village.township_id != person.township_id:
            return t._("There is no household {number} in your township.").format(number="?"), None
        me = _person(session, person)
        try:
            if action == "lab" and values["can_work"] in ("0", "1"):
                Eliminations(session).set_labour(household, values["can_work"] == "1", me, now=now)
                criteria = _criteria(session, household, context)
                return (
                    criteria_text(household.number, household.head_name, criteria, t),
                    criteria_markup(household.id, criteria, t),
                )
            if household.status != HouseholdStatus.MONITORED.value:
                return t._("Household {number} is not monitored.").format(
                    number=household.number
                ), None
            criteria = _criteria(session, household, context)
            if action == "ok":
                Eliminations(session).eliminate(
                    household, me, criteria, override_reason=None, now=now
                )
                return (
                    t._(
                        "Household {number}: risk eliminated. It gets no more reminders; its "
                        "history is kept. /reinstate reverses it."
                    ).format(number=household.number),
                    None,
                )
            if action == "ov":
                Drafts(session).start(
                    person.id,
                    REASON,
                    {"action": "eliminate", "household_id": household.id},
                    now=now,
                )
                return (
                    criteria_text(household.number, household.head_name, criteria, t)
                    + "\n"
                    + t._("Why eliminate despite this? Please type the reason; it is audited."),
                    None,
                )
        except Refused as refused:
            return t._(refused.msgid).format(**refused.params), None
        return t._("Please press one of the buttons."), None

    try:
        text, markup = await _once(context, update, act)
    except _Redelivered:
        await answer_query(query)
        return
    await answer_query(query)
    context.services.wake_outbox()
    if isinstance(query.message, Message):
        try:
            await query.message.edit_text(text, reply_markup=markup)
        except BadRequest:
            await _say(update, text, markup)


async def reinstate_command(update: Update, context: AppContext) -> None:
    person = await _staff(update, context, "reinstate")
    if person is None:
        return
    t = translator(context, person)
    args = context.args or []
    if len(args) < 2:
        await _say(
            update,
            t._(
                "Please give the household number and the reason, e.g. /reinstate LX01012 "
                "income fell again."
            ),
        )
        return
    number, reason = args[0], " ".join(args[1:])[:1000]
    now = context.services.now()

    def reinstate(session: Session) -> str:
        household = _household_of_township(session, number, person)
        if household is None:
            return t._("There is no household {number} in your township.").format(number=number)
        try:
            Eliminations(session).reinstate(household, _person(session, person), reason, now=now)
        except Refused as refused:
            return t._(refused.msgid).format(**refused.params)
        return t._("Household {number} is monitored again; its helper's reminders resume.").format(
            number=household.number
        )

    try:
        await _say(update, await _once(context, update, reinstate))
    except _Redelivered:
        return


def handlers() -> list[BaseHandler[Update, AppContext, None]]:
    return [
        CommandHandler("propose", propose_command),
        CommandHandler("proposals", proposals_command),
        CommandHandler("eliminate", eliminate_command),
        CommandHandler("reinstate", reinstate_command),
        CallbackQueryHandler(proposal_button, pattern=r"^pp:"),
        CallbackQueryHandler(decision_button, pattern=r"^pd:"),
        CallbackQueryHandler(eliminate_button, pattern=r"^el:"),
    ]


def answer_handlers() -> list[BaseHandler[Update, AppContext, None]]:
    """After the check-in's and the measure's groups: typed reasons and proposal answers."""
    return [
        MessageHandler(
            filters.ChatType.PRIVATE & (filters.TEXT | filters.PHOTO) & ~filters.COMMAND,
            proposal_text_answer,
        )
    ]
