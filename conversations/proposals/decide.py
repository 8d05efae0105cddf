"""Deciding proposals: the village heads of its village review it, then township staff approve
it and choose its helper. Approve and the helper's button act at once; Reject asks for a
reason (a short conversation, `ReasonConversation`, shared with a referral to the county).
`/proposals` shows what waits for you with its buttons again, or your own proposals. The
proposer hears of every decision (the outbox)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from conversations.actions import DECISIONS
from conversations.engine.events import ChatKind
from conversations.engine.once import Redelivered, tx_once
from conversations.engine.replies import Edit, Reply, Say, Toast
from conversations.engine.router import Open, router_of
from conversations.engine.turn import Turn
from conversations.engine.typed_reason import ASKED
from conversations.proposals import steps
from conversations.proposals.names import said
from conversations.proposals.texts import proposal_keyboard, proposal_text
from conversations.proposals.workflow import Workflow
from monitoring.elimination import Criterion
from monitoring.i18n import N_
from monitoring.people import Role
from monitoring.proposals import (
    BadAnswer,
    Kind,
    Refused,
    Status,
    check_step,
    parse_county_decision,
    who_decides,
)
from storage.drafts import Drafts
from storage.eliminations import Eliminations
from storage.models import Household, Person
from storage.proposal_views import ProposalView

REASON = "reason"
WHO_DECIDES = N_("Only the village heads of its village (then township staff) decide.")
ASK = {  # what a decision that needs words asks for
    "reject": N_("Why is proposal no. {id} rejected? Please type the reason."),
    "object": N_("The objection to proposal no. {id}: please type who raised it and what it says."),
    "county": N_(
        "The county's decision on proposal no. {id}: please type its date and document "
        "number, e.g. 2026-12-01 永农发〔2026〕12号."
    ),
    "refer": N_(
        "Why should the county look at this case? Please type the reason; it is recorded and "
        "audited."
    ),
}


def _me(session: Session, person_id: int) -> Person:
    person = session.get(Person, person_id)
    assert person is not None
    return person


async def decision_pressed(turn: Turn) -> list[Reply]:
    """Approve / Reject at a step, or the helper chosen, by a village head or staff."""
    person, t, services, data = turn.person, turn.t, turn.services, turn.event.button
    found = next(
        ((name, v) for name, act in DECISIONS.items() if (v := act.read(data)) is not None), None
    )
    if person is None or found is None or not found[1]["proposal"].isdigit():
        return [Toast(t._(WHO_DECIDES))]
    action, values = found
    proposal_id = int(values["proposal"])
    arg = values.get("step") or values.get("helper") or ""
    now = services.now()
    notice_days = services.policy.notice_days
    # Buttons whose decision needs words: a rejection's reason, an objection, the county's
    # decision (its date and document number).
    asks = {"no": ("reject", arg), "obj": ("object", "notice"), "cty": ("county", "county")}

    if action in asks:
        kind, step = asks[action]

        def ask_reason(session: Session) -> str | None:
            proposals = Workflow(session)
            proposal = proposals.get(proposal_id)
            if proposal is None:
                return t._("This proposal no longer exists.")
            try:
                check_step(Status(proposal.status), step)  # checked again with the reason
            except Refused as refused:
                return said(t, refused.msgid, refused.params)
            if not proposals.may_act(proposal, _me(session, person.id)):
                return t._(who_decides(Status(proposal.status), proposals.county_staff(proposal)))
            open_now = Drafts(session).get(person.id)
            if open_now is not None and open_now.flow != REASON:
                return "busy"
            answers = {"action": kind, "proposal_id": proposal_id, "step": step}
            Drafts(session).start(person.id, REASON, answers=answers, now=now)
            return None

        try:
            refused = await tx_once(services, turn.event, ask_reason)
        except Redelivered:
            return []
        if refused == "busy":
            return [Toast(""), *(await router_of(services).busy(turn) or [])]
        if refused is not None:
            return [Toast(refused)]
        return [Say(t._(ASK[kind]).format(id=proposal_id))]

    def decide(session: Session) -> tuple[ProposalView, list[tuple[int, str]]] | str:
        proposals = Workflow(session)
        me = _me(session, person.id)
        try:
            if action == "ok":
                proposal = steps.approve(session, proposal_id, me, arg, now, notice_days)
            elif action == "cs":
                proposal = proposals.consent(proposal_id, me, now=now)
            elif action == "post":
                proposal = proposals.post_notice(proposal_id, me, now=now, notice_days=notice_days)
            elif action == "h" and arg.isdigit():
                proposal = steps.assign(session, proposal_id, me, int(arg), now)
            else:
                return t._("Please press one of the buttons.")
        except Refused as refused:
            return said(t, refused.msgid, refused.params)
        view = proposals.view(proposal.id)
        assert view is not None
        return view, proposals.helpers_of_village(proposal.village_id)

    try:
        result = await tx_once(services, turn.event, decide)
    except Redelivered:
        return []
    if isinstance(result, str):
        return [Toast(result)]
    view, helpers = result
    services.wake_outbox()
    text = proposal_text(
        view,
        t,
        services.tz,
        now=now,
        notice_days=notice_days,
        phone=services.policy.supervision_phone,
    )
    if view.status is Status.HELPER:
        text += "\n" + (
            t._("Who will be its helper?")
            if helpers
            else t._("The village has no helper on the roster: add one, then /proposals.")
        )
    return [Edit(text, proposal_keyboard(view, t, helpers), best_effort=True)]


@dataclass(frozen=True)
class Taken:
    note: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)
    done: bool = False  # a decision was stored: the outbox has messages


class ReasonConversation:
    """A reason being asked for: a rejection's, or a referral's to the county."""

    flow = REASON
    prefix = ""  # no buttons of its own
    about_household = False
    none = N_("Please press one of the buttons.")

    def take(self, at: Open) -> Taken:
        reason = (at.event.text or "").strip()[:1000]
        if len(reason) < 2:
            return Taken(N_("Please type the reason (a few words)."))
        draft = dict(at.draft.answers or {})
        session, now = at.session, at.now
        Drafts(session).drop(at.person.id, REASON)
        me = _me(session, at.person.id)
        try:
            if draft.get("action") == "reject":
                proposal = steps.reject(
                    session, int(draft["proposal_id"]), me, str(draft["step"]), reason, now
                )
                return Taken(
                    N_("Proposal no. {id} was rejected; the proposer is being told."),
                    {"id": proposal.id},
                    True,
                )
            days = at.services.policy.notice_days
            if draft.get("action") == "object":
                pid = int(draft["proposal_id"])
                Workflow(session).object(pid, me, reason, now=now, notice_days=days)
                return Taken(
                    N_(
                        "The objection to proposal no. {id} is recorded. When the notice "
                        "period is over, go on to the township or do not include it "
                        "(/proposals)."
                    ),
                    {"id": pid},
                )
            if draft.get("action") == "county":
                pid = int(draft["proposal_id"])
                tz = at.services.tz
                found = Workflow(session).get(pid)
                if found is None:
                    raise Refused(N_("This proposal no longer exists."))
                try:
                    county = parse_county_decision(
                        reason,
                        now.astimezone(tz).date(),
                        reported=found.created_at.astimezone(tz).date(),
                    )
                except BadAnswer as bad:
                    Drafts(session).start(at.person.id, REASON, answers=draft, now=now)
                    return Taken(bad.msgid, bad.params)
                criteria = _criteria_now(session, pid, at)  # an elimination: checked again
                proposal = steps.approve(
                    session, pid, me, "county", now, days, county=county, criteria=criteria
                )
                household = session.get(Household, proposal.household_id)
                said = (
                    N_(
                        "Proposal no. {id}: the county's decision is recorded; household "
                        "{number}'s risk is marked eliminated."
                    )
                    if criteria is not None
                    else N_(
                        "Proposal no. {id}: the county's decision is recorded and household "
                        "{number} is registered. Choose its helper: /proposals"
                    )
                )
                number = household.number if household else "?"
                return Taken(said, {"id": pid, "number": number}, True)
            # "eliminate": an override's reason asked before the upgrade that removed
            # overrides; it is taken as a referral.
            if draft.get("action") in ("refer", "eliminate"):
                household = session.get(Household, int(draft["household_id"]))
                assert household is not None
                criteria = steps.criteria_of(session, household, at.services, now)
                Eliminations(session).refer(household, me, criteria, reason, now=now)
                return Taken(
                    N_(
                        "Household {number}: referred to the county with your reason. It "
                        "stays monitored until the county decides."
                    ),
                    {"number": household.number},
                    True,
                )
        except Refused as refused:
            return Taken(refused.msgid, refused.params)
        return Taken(N_("Please press one of the buttons."))

    async def reply(self, turn: Turn, taken: Taken) -> list[Reply]:
        if taken.done:
            turn.services.wake_outbox()
        return [Say(said(turn.t, taken.note, taken.params))]

    async def where(self, turn: Turn, busy: bool = False) -> list[Reply]:
        person, t = turn.person, turn.t
        if person is None:
            return []
        draft = await turn.services.tx(lambda s: _answers(s, person.id))
        if draft is None:
            return []
        kind = str(draft.get("action"))
        text = t._(ASK.get(kind, ASK["refer"])).format(id=draft.get("proposal_id"))
        if busy:
            text = t._(ASKED) + "\n" + text
        return [Say(text)]

    async def cancel(self, turn: Turn) -> list[Reply] | None:
        return None  # discarded by the router

    async def ended(self, turn: Turn) -> list[Reply]:
        return []  # its last answer's effects are in the outbox: they are delivered anyway


def _criteria_now(session: Session, proposal_id: int, at: Open) -> list[Criterion] | None:
    """For an elimination, its criteria as they stand now (None for an identification)."""
    proposal = Workflow(session).get(proposal_id)
    if proposal is None or proposal.kind != Kind.ELIMINATE or proposal.household_id is None:
        return None
    household = session.get(Household, proposal.household_id)
    assert household is not None
    return steps.criteria_of(session, household, at.services, at.now)


def _answers(session: Session, person_id: int) -> dict[str, Any] | None:
    draft = Drafts(session).of(person_id, REASON)
    return dict(draft.answers or {}) if draft else None


async def proposals(turn: Turn) -> list[Reply]:
    """What waits for you, each with its buttons; for helpers, their own proposals."""
    person, t, services = turn.person, turn.t, turn.services
    if person is None:
        return [Say(t._("Please register first: send /start."))]
    if turn.event.chat_kind is not ChatKind.PRIVATE:  # proposals name households
        return [
            Say(
                t._("Please send /{command} in your private chat with me.").format(
                    command="proposals"
                )
            )
        ]

    def load(session: Session) -> tuple[list[tuple[ProposalView, list[tuple[int, str]]]], bool]:
        repo = Workflow(session)
        me = _me(session, person.id)
        waiting = repo.waiting_for(me)
        mine = not waiting and person.role in (Role.HELPER, Role.VILLAGE_HEAD)
        rows = waiting if waiting else (repo.of_proposer(me.id) if mine else [])
        views = []
        for p in rows:
            view = repo.view(p.id)
            assert view is not None
            views.append((view, repo.helpers_of_village(p.village_id)))
        return views, mine

    views, mine = await services.tx(load)
    if not views:
        return [Say(t._("No proposal waits for you."))]
    replies: list[Reply] = [Say(t._("Your latest proposals:"))] if mine else []
    for view, helpers in views:
        keyboard = () if mine else proposal_keyboard(view, t, helpers)
        text = proposal_text(
            view,
            t,
            services.tz,
            now=services.now(),
            notice_days=services.policy.notice_days,
            phone=services.policy.supervision_phone,
        )
        replies.append(Say(text, keyboard))
    return replies


CONVERSATION = ReasonConversation()
