"""A lead's changes inside one transaction: the check that the presser may work it (its
village's head, or the township's staff), the outcome recorded (audited), a village given,
a proposal started from it and, once submitted, linked to it (纳入)."""

from __future__ import annotations

import contextlib
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from conversations.leads.texts import LeadView, view_of
from monitoring.i18n import N_
from monitoring.leads import BadOutcome, Checker, Outcome, may_work, order_key, record
from monitoring.people import Role
from monitoring.proposals import parse_head_name
from storage.leads import Leads
from storage.leads_notices import tell_checkers
from storage.models import Person, Village
from storage.models_leads import Lead
from storage.repositories import Places

NOT_YOURS = N_("This lead is not for you to check.")
STALE = N_("This button is no longer valid.")


class NotAllowed(Exception):
    """The change can not be made; `msgid` says why."""

    def __init__(self, msgid: str) -> None:
        super().__init__(msgid)
        self.msgid = msgid


def checked(
    session: Session, person_id: int, lead_id: int, *, lock: bool = False
) -> tuple[Lead, Person]:
    lead, person = Leads(session).get(lead_id, lock=lock), session.get(Person, person_id)
    if lead is None or person is None:
        raise NotAllowed(STALE)
    checker = Checker(Role(person.role), person.township_id, person.village_id)
    if not may_work(checker, township_id=lead.township_id, village_id=lead.village_id):
        raise NotAllowed(NOT_YOURS)
    return lead, person


def to_check(session: Session, person_id: int, today: date, days: int) -> list[LeadView]:
    """The open leads the person must check, the overdue and then the oldest first."""
    person = session.get(Person, person_id)
    if person is None:
        return []
    leads = Leads(session).to_check(person)
    leads.sort(key=lambda lead: order_key(lead.received_on, None, today, days))
    return [view_of(session, lead) for lead in leads]


def opened(
    session: Session, person_id: int, lead_id: int
) -> tuple[LeadView, list[tuple[int, str]]]:
    """The lead and, while it has no village, the township's villages to give it one."""
    lead, _ = checked(session, person_id, lead_id)
    villages: list[tuple[int, str]] = []
    if lead.village_id is None:
        villages = [(v.id, v.name) for v in Places(session).villages_of(lead.township_id)]
    return view_of(session, lead), villages


def set_outcome(
    session: Session,
    person_id: int,
    lead_id: int,
    outcome: Outcome,
    reason: str | None,
    *,
    today: date,
    now: datetime,
) -> LeadView:
    lead, person = checked(session, person_id, lead_id, lock=True)
    try:
        kept = record(Outcome(lead.outcome) if lead.outcome else None, outcome, reason)
    except BadOutcome as bad:
        raise NotAllowed(bad.msgid) from None
    Leads(session).record_outcome(lead, outcome, kept, today=today, now=now, by=person)
    return view_of(session, lead)


def may_ask_reason(session: Session, person_id: int, lead_id: int) -> None:
    lead, _ = checked(session, person_id, lead_id)
    if lead.outcome is not None:
        raise NotAllowed(N_("This lead has its outcome already: send /leads."))


def give_village(
    session: Session, person_id: int, lead_id: int, village_id: int, *, now: datetime
) -> LeadView:
    lead, person = checked(session, person_id, lead_id, lock=True)
    village = session.get(Village, village_id)
    if person.role != Role.TOWNSHIP_STAFF.value or lead.outcome is not None:
        raise NotAllowed(STALE)
    if lead.village_id is not None or village is None or village.township_id != lead.township_id:
        raise NotAllowed(STALE)
    Leads(session).assign_village(lead, village, by=person, now=now)
    tell_checkers(session, [lead], now)
    return view_of(session, lead)


def proposal_answers(session: Session, person_id: int, lead_id: int) -> dict[str, Any]:
    """纳入: the proposal's first answers from the lead (its village, the name, the risks as
    chosen, to be confirmed); the proposal links back to it when submitted."""
    lead, person = checked(session, person_id, lead_id)
    if lead.outcome is not None:
        raise NotAllowed(N_("This lead has its outcome already: send /leads."))
    if lead.village_id is None or person.role != Role.VILLAGE_HEAD.value:
        raise NotAllowed(NOT_YOURS)
    answers: dict[str, Any] = {"village_id": lead.village_id, "lead_id": lead.id}
    with contextlib.suppress(ValueError):  # else asked as usual
        answers["head_name"] = parse_head_name(lead.name)
    if lead.risk_types:
        answers["risk_types"] = list(lead.risk_types)
    return answers


LEAD_CLOSED = N_(
    "Lead no. {id} was given its outcome meanwhile by someone else (see /leads): this "
    "proposal is no longer linked to it, and its 15-day clock starts when it is submitted. "
    "Press Submit to send it anyway, or Cancel."
)


def closed_meanwhile(session: Session, lead_id: int) -> bool:
    """The lead a proposal was started from has been given an outcome (or is gone) since:
    the proposal can not be its 纳入. Locks the lead's row while it is still open."""
    lead = Leads(session).get(lead_id, lock=True)
    return lead is None or lead.outcome is not None


def included(
    session: Session, lead_id: int, proposal_id: int, by: Person, now: datetime, today: date
) -> None:
    """The proposal started from the lead is submitted: the lead's outcome is 纳入 (checked
    open by `closed_meanwhile` in the same transaction)."""
    lead = Leads(session).get(lead_id, lock=True)
    if lead is None or lead.outcome is not None:
        return
    Leads(session).link_proposal(lead, proposal_id, by=by, today=today, now=now)
