"""`/propose` (helpers and village heads, private chat): a household proposed for monitoring,
one question at a time, then Submit. The draft row is the conversation's state; the router
takes each answer in one transaction. Submitted, the proposal goes to the village heads of
its village (see `decide.py`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from sqlalchemy.orm import Session

from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Edit, Reply, Say, Toast
from conversations.engine.router import Open, router_of
from conversations.engine.turn import Turn
from conversations.leads.work import LEAD_CLOSED, closed_meanwhile, included
from conversations.proposals.actions import (
    CATEGORY,
    CONSENT,
    DISCARD,
    LABOUR,
    NOT_KNOWN,
    RISK,
    SKIP,
    SUBMIT,
    VILLAGE,
)
from conversations.proposals.questions import ask_next, question
from conversations.proposals.workflow import Workflow
from conversations.reports.ledger import CATEGORY_NAMES
from monitoring.checkin import AnswerError, all_questions, parse_text_answer
from monitoring.i18n import N_
from monitoring.people import Role
from monitoring.proposals import (
    RISK_CODES,
    Refused,
    next_field,
    parse_head_name,
    parse_household_number,
    parse_note,
)
from monitoring.shapes import looks_private
from storage.drafts import Drafts
from storage.models import Person

FLOW = "proposal"
NONE = N_("No proposal is in progress. Send /propose to start one.")
ONLY_FOR = N_("/propose is for helpers and village heads.")
PRIVATE_VILLAGE = N_(
    "This village's name on the roster looks like an ID or mobile number, which groups must "
    "never see: please ask the township to correct the roster first."
)
TYPED = ("head_name", "number", "members", "expected_income", "note")
_QUESTIONS = {q.id: q for q in all_questions()}


class What(StrEnum):
    """What the router's transaction did with an answer, for the reply (one branch each)."""

    TOAST = "toast"
    DISCARDED = "discarded"
    NOTHING = "nothing"
    ASK = "ask"
    TOGGLED = "toggled"
    REFUSED = "refused"
    SUBMITTED = "submitted"


@dataclass(frozen=True)
class Taken:
    what: What
    answers: dict[str, Any] = field(default_factory=dict)
    villages: list[tuple[int, str]] = field(default_factory=list)
    note: str | None = None  # a msgid shown before the question
    params: dict[str, Any] = field(default_factory=dict)
    close: bool = False  # take the buttons off the message pressed
    proposal_id: int = 0
    holders: int = 0


async def propose(turn: Turn) -> list[Reply]:
    person, t, services = turn.person, turn.t, turn.services
    if person is None or person.role not in (Role.HELPER, Role.VILLAGE_HEAD):
        return [Say(t._(ONLY_FOR))]
    if turn.event.chat_kind != "private":
        return [Say(t._("Please send /propose in your private chat with me."))]
    busy = await router_of(services).busy(turn, starting=FLOW)
    if busy is not None:
        return busy
    now = services.now()

    def start(session: Session) -> bool:
        drafts = Drafts(session)
        if drafts.of(person.id, FLOW) is not None:
            return False
        drafts.start(person.id, FLOW, now=now)
        return True

    try:
        fresh = await tx_once(services, turn.event, start)
    except Redelivered:
        fresh = False
    note = None if fresh else N_("You have a proposal in progress; here is where it stands.")
    return await CONVERSATION.where(turn, note=note)


class ProposalConversation:
    flow = FLOW
    prefix = "pp"
    about_household = False
    none = NONE

    def take(self, at: Open) -> Taken:
        if at.person.role not in (Role.HELPER, Role.VILLAGE_HEAD):
            return Taken(What.TOAST, note=ONLY_FOR)
        data = at.event.button
        if data is None:
            return self._typed(at)
        if DISCARD.read(data) is not None:
            Drafts(at.session).drop(at.person.id, FLOW)
            return Taken(What.DISCARDED, close=True)
        if SUBMIT.read(data) is not None:
            return self._submit(at)
        risk = RISK.read(data)
        if risk is not None and risk["code"] != "done":
            return self._toggle(at, risk["code"])
        answer = _button_answer(data)
        if answer is None:
            return Taken(What.NOTHING)
        name, value = answer
        if name == "risk_types":
            value = list(dict(at.draft.answers or {}).get("risk_types", []))
            if not value:
                return Taken(What.TOAST, note=N_("Please choose at least one risk."))
        return self._save(at, name, value, close=True)

    def _typed(self, at: Open) -> Taken:
        answers = dict(at.draft.answers or {})
        name = next_field(answers)
        if at.event.photo and name == "photo":
            return self._save(at, "photo", at.event.photo)
        text = at.event.text
        if name not in TYPED or not text:
            return self._ask(at, N_("Please press one of the buttons."))
        try:
            value: Any
            if name == "head_name":
                value = parse_head_name(text)
            elif name == "number":
                value = parse_household_number(text)
            elif name == "note":
                value = parse_note(text)
            else:
                value = parse_text_answer(_QUESTIONS[name], text)
        except AnswerError as exc:
            return self._ask(at, exc.hint)
        except ValueError as exc:
            return self._ask(at, str(exc))
        return self._save(at, name, value)

    def _save(self, at: Open, name: str, value: Any, close: bool = False) -> Taken:
        """Store one answer if `name` is the one asked, and ask the next."""
        draft = at.draft
        answers = dict(draft.answers or {})
        if next_field(answers) != name:
            return self._ask(at, close=close)  # stale: here is where it stands
        if name == "number" and value:
            _, problem = Workflow(at.session).check_household(value, answers["village_id"])
            if problem:
                return self._ask(at, problem, {"number": value}, close=close)
        if name == "village_id" and looks_private(
            dict(Workflow(at.session).villages(at.person.township_id)).get(value, "")
        ):  # a name from before the roster's rule: groups would read it
            return self._ask(at, PRIVATE_VILLAGE, close=close)
        answers[name] = value
        if name == "risk_types":
            answers["risk_types_done"] = True
        Drafts(at.session).save(draft, answers=answers, now=at.now)
        return self._ask(at, close=close)

    def _ask(
        self,
        at: Open,
        note: str | None = None,
        params: dict[str, Any] | None = None,
        close: bool = False,
    ) -> Taken:
        villages = Workflow(at.session).villages(at.person.township_id)
        return Taken(
            What.ASK, dict(at.draft.answers or {}), villages, note, params or {}, close=close
        )

    def _toggle(self, at: Open, code: str) -> Taken:
        answers = dict(at.draft.answers or {})
        if code not in RISK_CODES or next_field(answers) != "risk_types":
            return Taken(What.NOTHING)
        chosen = list(answers.get("risk_types", []))
        chosen.remove(code) if code in chosen else chosen.append(code)
        answers["risk_types"] = chosen
        Drafts(at.session).save(at.draft, answers=answers, now=at.now)
        return Taken(What.TOGGLED, answers)

    def _submit(self, at: Open) -> Taken:
        answers = dict(at.draft.answers or {})
        if next_field(answers) is not None:
            return self._ask(at)
        lead_id = answers.get("lead_id")
        if lead_id and closed_meanwhile(at.session, int(lead_id)):
            answers.pop("lead_id")  # sent again, it is a proposal of its own
            Drafts(at.session).save(at.draft, answers=answers, now=at.now)
            return self._ask(at, LEAD_CLOSED, {"id": lead_id})
        proposals = Workflow(at.session)
        me = at.session.get(Person, at.person.id)
        assert me is not None
        try:
            proposal = proposals.submit(me, answers, now=at.now)
        except Refused as refused:
            return Taken(What.REFUSED, note=refused.msgid, params=refused.params)
        if answers.get("lead_id"):  # started from a lead (/leads): the lead is 纳入
            today = at.now.astimezone(at.services.tz).date()
            included(at.session, int(answers["lead_id"]), proposal.id, me, at.now, today)
        Drafts(at.session).drop(at.person.id, FLOW)
        return Taken(
            What.SUBMITTED, proposal_id=proposal.id, holders=len(proposals.holders(proposal))
        )

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        t, event = turn.t, turn.event
        close: list[Reply] = []
        if taken.close and event.button and event.message_text is not None:
            close = [Edit(event.message_text, best_effort=True)]
        if taken.what is What.NOTHING:
            return [Toast("")]
        if taken.what is What.TOAST:
            return [Toast(t._(taken.note) if taken.note else "")]
        if taken.what is What.REFUSED:
            return [Say((t._(taken.note) if taken.note else "").format(**taken.params))]
        if taken.what is What.DISCARDED:
            return [Say(t._("The proposal was discarded.")), *close]
        if taken.what is What.TOGGLED:
            text, keyboard = question("risk_types", taken.answers, t, [])
            return [Edit(event.message_text or text, keyboard, best_effort=True)]
        if taken.what is What.SUBMITTED:
            turn.services.wake_outbox()
            text = t._(
                "Proposal no. {id} was sent to the village for review. You will hear of every "
                "decision."
            ).format(id=taken.proposal_id)
            if not taken.holders:
                text += "\n" + t._(
                    "No village head of that village has registered with the bot yet: the "
                    "proposal waits for them and shows as late to the township after 5 days."
                )
            summary = [Edit(event.message_text, best_effort=True)] if event.message_text else []
            return [Say(text), *summary]
        note = t._(taken.note).format(**taken.params) if taken.note else None
        own = turn.person.village_id if turn.person else None
        ask = ask_next(taken.answers, taken.villages, own, t, note)
        if close:  # a button answer: its question becomes the next one (one message)
            return [Edit(ask.text, ask.keyboard)]
        return [ask]

    async def where(self, turn: Turn, busy: bool = False, note: str | None = None) -> list[Reply]:
        person, t = turn.person, turn.t
        if person is None:
            return []

        def load(session: Session) -> tuple[dict[str, Any], list[tuple[int, str]]] | None:
            draft = Drafts(session).of(person.id, FLOW)
            if draft is None:
                return None
            return dict(draft.answers or {}), Workflow(session).villages(person.township_id)

        loaded = await turn.services.tx(load)
        if loaded is None:
            return [Say(t._(NONE))]
        if busy:
            note = N_(
                "You are writing a proposal. Please answer the question below, or send "
                "/cancel to discard it first."
            )
        return [ask_next(*loaded, person.village_id, t, t._(note) if note else None)]

    async def cancel(self, turn: Turn) -> list[Reply] | None:
        return None  # discarded by the router

    async def ended(self, turn: Turn) -> list[Reply]:
        return []  # its last answer's effects are in the outbox: they are delivered anyway


def _button_answer(data: str) -> tuple[str, Any] | None:
    """The (field, value) a proposal button answers; None for nothing."""
    village = VILLAGE.read(data)
    if village is not None and village["village"].isdigit():
        return "village_id", int(village["village"])
    if NOT_KNOWN.read(data) is not None:
        return "number", ""
    category = CATEGORY.read(data)
    if category is not None and category["category"] in CATEGORY_NAMES:
        return "category", category["category"]
    if RISK.read(data) is not None:
        return "risk_types", None
    labour = LABOUR.read(data)
    if labour is not None and labour["yes"] in ("0", "1"):
        return "has_labour", labour["yes"] == "1"
    consent = CONSENT.read(data)
    if consent is not None and consent["yes"] in ("0", "1"):
        return "consent", consent["yes"] == "1"
    skip = SKIP.read(data)
    if skip is not None and skip["field"] in ("note", "photo"):
        return skip["field"], None
    return None


CONVERSATION = ProposalConversation()
