"""A decision on a proposal, taken in the caller's transaction, and who hears of it in which
words (a private notice through the outbox). The rules of the steps are in
`monitoring/proposals.py`; the changes in `workflow.py`."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from conversations.engine.services import Services
from conversations.proposals.workflow import Workflow
from monitoring.elimination import Criterion, elimination_criteria
from monitoring.i18n import N_
from monitoring.proposals import NOTICE_DAYS, Kind, Status
from monitoring.weeks import week_of
from storage.checkins import FLOW as CHECKIN
from storage.drafts import Drafts
from storage.eliminations import Eliminations
from storage.measures import Measures
from storage.models import Household, Person, Proposal
from storage.outbox import Outbox


def criteria_of(
    session: Session, household: Household, services: Services, now: datetime
) -> list[Criterion]:
    """The household's elimination criteria as they stand at `now` (its stored history
    against the policy's lines)."""
    facts = Eliminations(session).facts(household, now=now, tz=services.tz, policy=services.policy)
    return elimination_criteria(facts, week_of(now, services.tz), services.policy.visits)


def tell(
    session: Session,
    person_id: int,
    key: str,
    msgid: str,
    params: dict[str, Any],
    now: datetime,
    *,
    record_for: int | None = None,
) -> None:
    """A private notice to a person who has linked their account (else nobody to tell);
    `record_for`: a household, whose "record a help measure" button it carries."""
    person = session.get(Person, person_id)
    if person is None or person.platform_user_id is None:
        return
    payload: dict[str, Any] = {"text": msgid, "params": params}
    if record_for is not None:
        payload["record_for"] = record_for
    Outbox(session).enqueue(
        key=key, kind="notice", chat_id=person.platform_user_id, now=now, payload=payload
    )


PLAN = N_(
    "Household {number} ({head}) is now monitored. Please record its help measures (缺啥补啥): "
    "what it needs, the unit to carry each out, by when."
)


def ask_for_plan(
    session: Session, household: Household, people: list[Person], now: datetime
) -> None:
    """A household just identified: those who look after it are asked privately to record
    its help measures (the button starts it); the daily job reminds them once if none is
    recorded after the policy's `plan_days`."""
    since = (household.identified_on or now.date()).isoformat()
    for person in people:
        tell(
            session,
            person.id,
            f"plan:{household.id}:{since}:ask:{person.id}",
            PLAN,
            {"number": household.number, "head": household.head_name},
            now,
            record_for=household.id,
        )


def approve(
    session: Session,
    proposal_id: int,
    person: Person,
    step: str,
    now: datetime,
    notice_days: int = NOTICE_DAYS,
    *,
    county: tuple[date, str] | None = None,
    criteria: list[Criterion] | None = None,
) -> Proposal:
    proposal, decision, household = Workflow(session).approve(
        proposal_id,
        person,
        step,
        now=now,
        notice_days=notice_days,
        county=county,
        criteria=criteria,
    )
    params = {"head": proposal.head_name, "by": person.name, "number": proposal.number or ""}
    key = f"proposal:{proposal.id}:decision:{decision.id}"
    if proposal.kind == Kind.ELIMINATE and proposal.status == Status.APPROVED:
        assert household is not None
        close_checkins(session, proposal, household, now)
    if proposal.kind == Kind.ELIMINATE:
        msgid = ELIMINATION_STEPS[Status(proposal.status)]
    elif proposal.status == Status.NOTICE:
        msgid = N_(
            "Your proposal for {head} passed the village's review ({by}); it is now on public "
            "notice in the village."
        )
    elif proposal.status == Status.TOWNSHIP:
        msgid = N_("The public notice for {head} is over; the proposal goes to the township.")
    elif proposal.status == Status.COUNTY:
        msgid = N_(
            "Your proposal for {head} was approved by the township ({by}); it goes to the "
            "county for its decision."
        )
    else:
        assert household is not None
        params["number"] = household.number
        msgid = N_(
            "The county approved the proposal for {head}: household {number} is now monitored."
        )
        # Its helper is chosen next (then asked too); its village head is asked now.
        ask_for_plan(session, household, Measures(session).helper_and_heads(household), now)
    tell(session, proposal.proposer_id, key, msgid, params, now)
    return proposal


def close_checkins(
    session: Session, proposal: Proposal, household: Household, now: datetime
) -> None:
    """The household's risk is marked eliminated: a check-in of it being answered is closed
    (it needs no more), and whoever was answering it is told privately."""
    for person_id in Drafts(session).close_about(CHECKIN, household.id):
        tell(
            session,
            person_id,
            f"proposal:{proposal.id}:checkin_closed:{person_id}",
            N_(
                "Household {number} ({head}) is no longer monitored: its risk was marked "
                "eliminated. Your unfinished check-in for it was closed; it needs no more "
                "check-ins."
            ),
            {"number": household.number, "head": household.head_name},
            now,
        )


# What the staff member who started an elimination hears at each step.
ELIMINATION_STEPS = {
    Status.NOTICE: N_(
        "The elimination for household {number} ({head}) passed the village's review ({by}); "
        "it is now on public notice in the village."
    ),
    Status.TOWNSHIP: N_(
        "The public notice of the elimination for household {number} is over; it goes to "
        "the township's review."
    ),
    Status.COUNTY: N_(
        "The elimination for household {number} passed the township's review ({by}); it "
        "goes to the county."
    ),
    Status.APPROVED: N_(
        "The county approved: household {number}'s risk is marked eliminated. Its history "
        "is kept; /reinstate reverses it."
    ),
}


def reject(
    session: Session, proposal_id: int, person: Person, step: str, reason: str, now: datetime
) -> Proposal:
    proposal, decision = Workflow(session).reject(proposal_id, person, step, reason, now=now)
    tell(
        session,
        proposal.proposer_id,
        f"proposal:{proposal.id}:decision:{decision.id}",
        N_("Your proposal for {head} was rejected by {by}. Reason: {reason}"),
        {"head": proposal.head_name, "by": person.name, "reason": reason},
        now,
    )
    return proposal


def assign(
    session: Session, proposal_id: int, person: Person, helper_id: int, now: datetime
) -> Proposal:
    proposal, household, helper = Workflow(session).assign(proposal_id, person, helper_id, now=now)
    params = {"number": household.number, "head": household.head_name, "helper": helper.name}
    tell(
        session,
        helper.id,
        f"proposal:{proposal.id}:helper",
        N_(
            "You are now the helper of household {number} ({head}); it is in your weekly "
            "check-ins from now on (/checkin)."
        ),
        params,
        now,
    )
    ask_for_plan(session, household, [helper], now)
    if proposal.proposer_id != helper.id:
        tell(
            session,
            proposal.proposer_id,
            f"proposal:{proposal.id}:assigned",
            N_("Household {number} ({head}) has a helper: {helper}."),
            params,
            now,
        )
    return proposal
