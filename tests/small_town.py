"""A small township for scheduler and summary tests: four households, three helpers."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.confirm import confirm_draft
from monitoring.weeks import Week
from storage.checkins import CheckIns
from storage.drafts import Drafts
from storage.models import Household

SHANGHAI = ZoneInfo("Asia/Shanghai")
A, B, C = 601, 602, 603  # helpers: A has H1 and H2 (青山村), B has H3 (青山村), C has H4 (石桥村)
STAFF, VILLAGE_GROUP, TOWNSHIP_GROUP = 604, -200111, -200222
HEAD = 605  # village head of 青山村
PHONES = {
    A: "13800000001",
    B: "13800000002",
    C: "13800000003",
    STAFF: "18700000001",
    HEAD: "13700000009",
}


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


def green_checkin(
    factory: sessionmaker[Session],
    number: str,
    when: datetime,
    *,
    food: bool = True,
    note: str | None = None,
    medical: bool = True,
) -> None:
    """A check-in stored as the check-in flow stores it (the flow has its own tests)."""
    with factory() as s, s.begin():
        household = s.scalars(select(Household).where(Household.number == number)).one()
        repo = CheckIns(s)
        helper_id = repo.helper_of(household.id)
        assert helper_id is not None
        draft = repo.start_draft(
            helper_id,
            household.id,
            Week.parse(f"{when.isocalendar().year}-W{when.isocalendar().week}"),
            now=when,
        )
        Drafts(s).save(
            draft,
            now=when,
            answers={
                "visit_method": "home",
                "members": household.members,
                "income_changed": False,
                "rigid_expense": False,
                "food": food,
                "clothing": True,
                "school_child": False,
                "medical": medical,
                "treatment": True,
                "housing": True,
                "water": True,
                "note": note,
                "photo": None,
            },
        )
        s.flush()
        confirm_draft(s, draft, entered_by=helper_id, now=when)
