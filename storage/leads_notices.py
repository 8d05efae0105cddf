"""The outbox rows that tell about leads, privately (never a group: leads carry ID numbers
and health words): the helper of a monitored household a list names (a visit), those who
must check new leads, and the daily reminder of an overdue lead (once per lead, person and day)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from monitoring.i18n import N_
from monitoring.leads import SOURCE_NAMES
from storage.leads import Leads
from storage.models import Household, Person
from storage.models_leads import Lead
from storage.outbox import Outbox
from storage.repositories import Households

VISIT = N_(
    "🔎 Household {number} ({head}) is named by a lead from {source}: {what}. Please visit "
    "them soon and record what you find in the weekly check-in."
)
NEW = N_("🔎 {n} new lead(s) from {source} to check at home by {day}. Send /leads to see them.")
OVERDUE = N_(
    "⏰ Lead no. {id} ({name}, from {source}) was to be checked by {day}. Please visit and "
    "record its outcome: send /leads."
)


def source_param(source: str) -> str:
    return SOURCE_NAMES.get(source, source)


def tell_helper(session: Session, lead: Lead, household: Household, now: datetime) -> bool:
    helper = Households(session).helper_of(household.id)
    if helper is None or helper.platform_user_id is None:
        return False
    return Outbox(session).enqueue(
        key=f"lead:{lead.id}:visit:{helper.id}",
        kind="notice",
        chat_id=helper.platform_user_id,
        now=now,
        payload={
            "text": VISIT,
            "params": {
                "number": household.number,
                "head": household.head_name,
                "source": source_param(lead.source),
                "what": lead.what or "—",
            },
            "translate": ["source"] if lead.source in SOURCE_NAMES else [],
        },
    )


def tell_checkers(session: Session, leads: Sequence[Lead], now: datetime) -> int:
    """Those who must check the new open `leads`: one notice each, per source and day."""
    by_person: dict[int, list[Lead]] = {}
    people: dict[int, Person] = {}
    repo = Leads(session)
    for lead in leads:
        for person in repo.checkers(lead):
            if person.platform_user_id is not None:
                by_person.setdefault(person.id, []).append(lead)
                people[person.id] = person
    told = 0
    for person_id, theirs in by_person.items():
        first = theirs[0]
        chat = people[person_id].platform_user_id
        assert chat is not None
        told += Outbox(session).enqueue(
            key=f"lead:{first.id}:new:{person_id}",
            kind="notice",
            chat_id=chat,
            now=now,
            payload={
                "text": NEW,
                "params": {
                    "n": len(theirs),
                    "source": source_param(first.source),
                    "day": min(lead.check_by for lead in theirs).isoformat(),
                },
                "translate": ["source"] if first.source in SOURCE_NAMES else [],
            },
        )
    return told


def remind_overdue(session: Session, today: date, now: datetime) -> int:
    """Every open lead past its day, to who must check it: once per lead, person and day
    (the outbox's unique key)."""
    repo, outbox, queued = Leads(session), Outbox(session), 0
    for lead in repo.overdue(today):
        for person in repo.checkers(lead):
            if person.platform_user_id is None:
                continue
            queued += outbox.enqueue(
                key=f"lead:{lead.id}:overdue:{today.isoformat()}:{person.id}",
                kind="notice",
                chat_id=person.platform_user_id,
                now=now,
                payload={
                    "text": OVERDUE,
                    "params": {
                        "id": lead.id,
                        "name": lead.name,
                        "source": source_param(lead.source),
                        "day": lead.check_by.isoformat(),
                    },
                    "translate": ["source"] if lead.source in SOURCE_NAMES else [],
                },
            )
    return queued
