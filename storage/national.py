"""The national system's list read from the audit trail, and the tick (已录入) written: every
change to enter passes through the audit (monitoring/national.py says which rows are such a
change); a household's changes after its last tick are its items. Never commits."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from monitoring.national import RULES, Change, kind_of, measure_id, recorded_in_the_bot, to_enter
from monitoring.people import mask_id_number
from storage.models import AuditEntry, Household, Person, Township, Village
from storage.models_measures import Measure
from storage.models_national import NationalEntry
from storage.repositories import Audit


@dataclass(frozen=True)
class MeasureFacts:
    """A measure as the system's 帮扶措施 screen asks for it (as it stands now)."""

    id: int
    kind: str  # category (monitoring.measures)
    unit: str
    amount: Decimal | None
    deadline: date | None
    status: str
    taken_on: date | None  # delivered on
    note: str | None


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Item(Change):
    """One change to enter: what, when and who recorded it (and the measure it is about)."""

    at: datetime = EPOCH
    by: str = ""
    measure: MeasureFacts | None = None


@dataclass(frozen=True)
class HouseholdToEnter:
    """A household with changes not entered yet: its basic facts as they stand (ID number
    masked), and its items in the order of the system's screens."""

    household_id: int
    number: str
    national_code: str | None
    township: str
    village: str
    head_name: str
    id_masked: str
    members: int
    category: str
    status: str
    identified_on: date | None
    risk_types: list[str]
    has_labour: bool | None
    items: list[Item] = field(default_factory=list)

    @property
    def up_to(self) -> int:
        """The newest change shown: what a tick of this screen covers."""
        return max(item.audit_id for item in self.items)


def _changes(township_id: int | None, household_id: int | None) -> Any:
    """The audit rows of households after their last tick that a rule names (the rules as
    SQL: a township's years of check-ins are not read to find its few changes)."""
    last = (
        select(NationalEntry.household_id, func.max(NationalEntry.up_to).label("up_to"))
        .group_by(NationalEntry.household_id)
        .subquery()
    )
    rules = [
        and_(
            AuditEntry.action == rule.action,
            *([AuditEntry.field == rule.field] if rule.field is not None else []),
            *([AuditEntry.new_value == rule.new] if rule.new is not None else []),
        )
        for rule in RULES
    ]
    query = (
        select(Household.id)
        .select_from(AuditEntry)
        .join(Household, Household.number == AuditEntry.entity_key)
        .join(Village, Village.id == Household.village_id)
        .outerjoin(last, last.c.household_id == Household.id)
        .where(
            AuditEntry.entity == "household",
            or_(*rules),
            AuditEntry.actor.like("person:%"),
            AuditEntry.id > func.coalesce(last.c.up_to, 0),
        )
    )
    if township_id is not None:
        query = query.where(Village.township_id == township_id)
    if household_id is not None:
        query = query.where(Household.id == household_id)
    return query


def households_to_enter(session: Session, township_id: int) -> list[int]:
    """The ids of the township's households with changes to enter, by village and number
    (the chat shows one at a time: only its changes are read then)."""
    pending = _changes(township_id, None).distinct().subquery()
    return list(
        session.scalars(
            select(Household.id)
            .join(Village, Village.id == Household.village_id)
            .where(Household.id.in_(select(pending.c.id)))
            .order_by(Village.name, Household.number)
        )
    )


def to_enter_list(
    session: Session, township_id: int | None = None, *, household_id: int | None = None
) -> list[HouseholdToEnter]:
    """The households with changes since their last tick (of a township, or one household),
    by village and household number."""
    query = _changes(township_id, household_id).add_columns(
        AuditEntry.id,
        AuditEntry.at,
        AuditEntry.actor,
        AuditEntry.action,
        AuditEntry.field,
        AuditEntry.old_value,
        AuditEntry.new_value,
    )
    changes: dict[int, list[tuple[Any, Change]]] = defaultdict(list)
    for row in session.execute(query.order_by(AuditEntry.id)).all():
        hid, audit_id, _, actor, action, field_, old, new = row
        kind = kind_of(action, field_, new)
        if kind is None or not recorded_in_the_bot(actor):
            continue
        changes[hid].append((row, Change(audit_id, kind, field_, old, new)))
    if not changes:
        return []
    names = _people(session, {row.actor for rows in changes.values() for row, _ in rows})
    measures = _measures(
        session, {m for rows in changes.values() for _, c in rows if (m := measure_id(c))}
    )
    found = []
    for household, village, township in session.execute(
        select(Household, Village.name, Township.name)
        .join(Village, Village.id == Household.village_id)
        .join(Township, Township.id == Village.township_id)
        .where(Household.id.in_(list(changes)))
        .order_by(Village.name, Household.number)
    ).all():
        items = [
            Item(
                c.audit_id,
                c.kind,
                c.field,
                c.old,
                c.new,
                at=row.at,
                by=names.get(row.actor, row.actor),
                measure=measures.get(measure_id(c) or 0),
            )
            for row, c in changes[household.id]
        ]
        found.append(
            HouseholdToEnter(
                household.id,
                household.number,
                household.national_code,
                township,
                village,
                household.head_name,
                mask_id_number(household.id_number) if household.id_number else "",
                household.members,
                household.category,
                household.status,
                household.identified_on,
                list(household.risk_types or []),
                household.has_labour,
                to_enter(items),
            )
        )
    return found


def _people(session: Session, actors: set[str]) -> dict[str, str]:
    ids = {int(a.split(":", 1)[1]): a for a in actors if a.split(":", 1)[1].isdigit()}
    rows = session.execute(select(Person.id, Person.name).where(Person.id.in_(list(ids))))
    return {ids[pid]: name for pid, name in rows}


def _measures(session: Session, ids: set[int]) -> dict[int, MeasureFacts]:
    rows = session.scalars(select(Measure).where(Measure.id.in_(sorted(ids)))).all()
    return {
        m.id: MeasureFacts(
            m.id, m.kind, m.responsible, m.amount, m.deadline, m.status, m.taken_on, m.note
        )
        for m in rows
    }


def mark_entered(
    session: Session, household: Household, up_to: int, person: Person, *, now: datetime
) -> int:
    """Tick the household's changes up to audit row `up_to` as entered (never beyond what is
    listed now, so a forged number ticks nothing new), audited. How many were ticked: 0 when
    they were ticked already (a second press)."""
    session.refresh(household, with_for_update=True)  # two ticks at once take turns
    listed = to_enter_list(session, household_id=household.id)
    covered = [item for found in listed for item in found.items if item.audit_id <= up_to]
    if not covered:
        return 0
    newest = max(item.audit_id for item in covered)
    session.add(
        NationalEntry(household_id=household.id, up_to=newest, entered_by=person.id, entered_at=now)
    )
    Audit(session).record(
        now=now,
        actor=f"person:{person.id}",
        action="national_entered",
        entity="household",
        key=household.number,
        field="national",
        new=f"{len(covered)} up to #{newest}",
    )
    session.flush()
    return len(covered)
