"""Every query lives here. Repositories never commit: the caller owns the transaction."""

from __future__ import annotations

import functools
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, bindparam, select
from sqlalchemy.orm import Session, selectinload

from monitoring.people import Role
from monitoring.warnings import Actor
from storage.identities import bound_where, serving_of
from storage.models import (
    AuditEntry,
    Base,
    Draft,
    HelperAssignment,
    Household,
    Person,
    Township,
    Village,
)
from storage.platform_ids import Platform


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


class Audit:
    def __init__(self, session: Session) -> None:
        self.session = session

    def record(
        self,
        *,
        now: datetime,
        actor: str,
        action: str,
        entity: str,
        key: str,
        field: str | None = None,
        old: Any = None,
        new: Any = None,
    ) -> AuditEntry:
        entry = AuditEntry(
            at=now,
            actor=actor,
            action=action,
            entity=entity,
            entity_key=key,
            field=field,
            old_value=_text(old),
            new_value=_text(new),
        )
        self.session.add(entry)
        return entry

    def update_fields(
        self,
        obj: Base,
        changes: Mapping[str, Any],
        *,
        now: datetime,
        actor: str,
        entity: str,
        key: str,
    ) -> list[str]:
        """Set each changed attribute, write one audit row per change, return changed names."""
        changed: list[str] = []
        for name, new in changes.items():
            old = getattr(obj, name)
            if _text(old) == _text(new):
                continue
            setattr(obj, name, new)
            self.record(
                now=now,
                actor=actor,
                action="update",
                entity=entity,
                key=key,
                field=name,
                old=old,
                new=new,
            )
            changed.append(name)
        if changed and hasattr(obj, "updated_at"):
            obj.updated_at = now
        return changed


class Places:
    def __init__(self, session: Session) -> None:
        self.session = session

    def township(self, name: str) -> Township | None:
        return self.session.scalar(select(Township).where(Township.name == name))

    def village(self, township_id: int, name: str) -> Village | None:
        return self.session.scalar(
            select(Village).where(Village.township_id == township_id, Village.name == name)
        )

    def ensure_township(self, name: str, *, now: datetime, actor: str) -> Township:
        found = self.township(name)
        if found is not None:
            return found
        township = Township(name=name, created_at=now, updated_at=now)
        self.session.add(township)
        self.session.flush()
        Audit(self.session).record(
            now=now, actor=actor, action="create", entity="township", key=name, new=name
        )
        return township

    def ensure_village(
        self, township: Township, name: str, *, now: datetime, actor: str
    ) -> Village:
        found = self.village(township.id, name)
        if found is not None:
            return found
        village = Village(township_id=township.id, name=name, created_at=now, updated_at=now)
        self.session.add(village)
        self.session.flush()
        Audit(self.session).record(
            now=now,
            actor=actor,
            action="create",
            entity="village",
            key=f"{township.name}/{name}",
            new=name,
        )
        return village

    def villages_of(self, township_id: int) -> Sequence[Village]:
        return self.session.scalars(
            select(Village).where(Village.township_id == township_id).order_by(Village.name)
        ).all()


# What a check-in's questions show of its household (storage.checkins.HouseholdView's
# first fields, in order).
HOUSEHOLD_CARD = (
    Household.id,
    Household.number,
    Household.head_name,
    Household.village_id,
    Household.members,
    Household.has_school_child,
)


def _card() -> Any:
    return (
        select(
            Person.id,
            Person.name,
            Person.role,
            Person.phone,
            Person.township_id,
            Township.name,
            Person.village_id,
            Village.name,
            Person.locale,
            Person.platform_user_id,
        )
        .join(Township, Township.id == Person.township_id)
        .outerjoin(Village, Village.id == Person.village_id)
    )


def _served(some_townships: bool) -> tuple[ColumnElement[bool], ...]:
    """A person an event comes from is this bot's: linked through it, of a township it serves
    (else they are told which bot serves them when they register). Bound parameters
    (`Serving.params`): the statements that use it are built once."""
    return (
        Person.identity == bindparam("identity"),
        bound_where(Person.township_id, some_townships),
    )


@functools.cache
def _card_of_user(some_townships: bool) -> Any:
    """`People.card_by_user_id`'s statement, built once per shape; parameter `user_id`."""
    return _card().where(Person.platform_user_id == bindparam("user_id"), *_served(some_townships))


@functools.cache
def _card_and_draft(household_flows: frozenset[str], some_townships: bool) -> Any:
    """`People.card_and_draft`'s statement, built once per shape (every answer runs it:
    building it and its cache key each time was a quarter of a press's database work);
    parameter `user_id`."""
    return (
        _card()
        .add_columns(Draft, *HOUSEHOLD_CARD)
        .outerjoin(Draft, Draft.person_id == Person.id)
        .outerjoin(
            Household,
            (Household.id == Draft.subject_id) & Draft.flow.in_(sorted(household_flows)),
        )
        .where(Person.platform_user_id == bindparam("user_id"), *_served(some_townships))
    )


class People:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_phone(self, phone_e164: str) -> Person | None:
        return self.session.scalar(select(Person).where(Person.phone == phone_e164))

    def by_user_id(self, user_id: int) -> Person | None:
        return self.session.scalar(
            select(Person)
            .where(Person.platform_user_id == user_id)
            .options(selectinload(Person.township), selectinload(Person.village))
        )

    def card_by_user_id(self, user_id: int) -> Any:
        """The person linked to this platform user as one row (no ORM object: this runs for
        every update): id, name, role, phone, township id and name, village id and name,
        locale, platform user id."""
        serving = serving_of(self.session)
        statement = _card_of_user(serving.some)
        return self.session.execute(statement, {"user_id": user_id, **serving.params()}).first()

    def card_and_draft(
        self, user_id: int, household_flows: Collection[str] = ()
    ) -> tuple[Any, Draft | None, Any] | None:
        """The person's card, their open conversation's draft and, when that conversation is
        about a household (`household_flows`), its `HOUSEHOLD_CARD`: one statement (every answer
        starts with it; on a database server each statement is a round trip)."""
        serving = serving_of(self.session)
        statement = _card_and_draft(frozenset(household_flows), serving.some)
        row = self.session.execute(statement, {"user_id": user_id, **serving.params()}).first()
        if row is None:
            return None
        household = tuple(row[11:]) if row[11] is not None else None
        return row[:10], row[10], household

    def link_account(self, person: Person, user_id: int, *, now: datetime, actor: str) -> None:
        """Link a platform account (Telegram's user id, or a DingTalk user's integer) to a
        roster person; unlink it from anyone who held it."""
        audit = Audit(self.session)
        holder = self.by_user_id(user_id)
        if holder is not None and holder.id != person.id:
            audit.update_fields(
                holder,
                {"platform": None, "platform_user_id": None, "linked_at": None, "identity": None},
                now=now,
                actor=actor,
                entity="person",
                key=holder.phone,
            )
            self.session.flush()
        identity = serving_of(self.session).identity  # the bot the account is linked through
        if person.platform_user_id == user_id and person.identity == identity:
            return
        audit.update_fields(
            person,
            {
                "platform": Platform.of(user_id).value,
                "platform_user_id": user_id,
                "linked_at": now,
                "identity": identity,
            },
            now=now,
            actor=actor,
            entity="person",
            key=person.phone,
        )


class Households:
    def __init__(self, session: Session) -> None:
        self.session = session

    def by_number(self, number: str) -> Household | None:
        return self.session.scalar(select(Household).where(Household.number == number))

    def by_id_number(self, id_number: str) -> Household | None:
        return self.session.scalar(select(Household).where(Household.id_number == id_number))

    def all(self) -> Sequence[Household]:
        return self.session.scalars(select(Household).order_by(Household.number)).all()

    def township_name(self, household: Household) -> str:
        """The name of the township the household's village is in (the policy's lines may
        differ by region)."""
        return str(
            self.session.scalar(
                select(Township.name)
                .join(Village, Village.township_id == Township.id)
                .where(Village.id == household.village_id)
            )
        )

    def helper_of(self, household_id: int) -> Person | None:
        return self.session.scalar(
            select(Person)
            .join(HelperAssignment, HelperAssignment.helper_id == Person.id)
            .where(HelperAssignment.household_id == household_id)
        )

    def assign_helper(
        self, household: Household, helper: Person, *, now: datetime, actor: str
    ) -> bool:
        """Make `helper` the household's helper; audit a change. Return whether it changed."""
        current = self.session.get(HelperAssignment, household.id)
        old_helper = self.session.get(Person, current.helper_id) if current else None
        if current is not None and current.helper_id == helper.id:
            return False
        if current is None:
            self.session.add(
                HelperAssignment(household_id=household.id, helper_id=helper.id, assigned_at=now)
            )
        else:
            current.helper_id = helper.id
            current.assigned_at = now
        Audit(self.session).record(
            now=now,
            actor=actor,
            action="assign",
            entity="household",
            key=household.number,
            field="helper",
            old=old_helper.phone if old_helper else None,
            new=helper.phone,
        )
        return True


def actor_of(person: Person) -> Actor:
    """The facts `monitoring.warnings` needs of a person to decide what they may do."""
    return Actor(person.id, Role(person.role), person.township_id, person.village_id)
