"""The outbox rows that tell about leads, privately (never a group: leads carry ID numbers
and health words): the helper of a monitored household a list names (a visit), those who
must check new leads, and the daily reminder of an overdue lead (once per lead, person and
day). Who is told; the words are `conversations/leads/texts.py` (`notice_text`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy.orm import Session

from storage.leads import Leads
from storage.models import Household, Person
from storage.models_leads import Lead
from storage.outbox import Outbox
from storage.repositories import Households

KIND = "lead_notice"


def tell_helper(session: Session, lead: Lead, household: Household, now: datetime) -> bool:
    helper = Households(session).helper_of(household.id)
    if helper is None or helper.platform_user_id is None:
        return False
    return Outbox(session).enqueue(
        key=f"lead:{lead.id}:visit:{helper.id}",
        kind=KIND,
        chat_id=helper.platform_user_id,
        now=now,
        payload={
            "about": "visit",
            "source": lead.source,
            "lead": lead.id,
            "number": household.number,
            "head": household.head_name,
            "what": lead.what,
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
            kind=KIND,
            chat_id=chat,
            now=now,
            payload={
                "about": "new",
                "source": first.source,
                "n": len(theirs),
                "day": min(lead.check_by for lead in theirs).isoformat(),
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
                kind=KIND,
                chat_id=person.platform_user_id,
                now=now,
                payload={
                    "about": "overdue",
                    "source": lead.source,
                    "lead": lead.id,
                    "name": lead.name,
                    "day": lead.check_by.isoformat(),
                },
            )
    return queued
