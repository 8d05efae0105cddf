"""Group bindings: which Telegram group is a township's or a village's. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from monitoring.people import Role
from storage.identities import serving_of
from storage.models import (
    GroupBinding,
    OutboxMessage,
    Person,
    Township,
    Village,
)
from storage.repositories import Audit

ACTIVE, BROKEN, ENDED = "active", "broken", "ended"


class Bindings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def active_for(self, township_id: int, village_id: int | None) -> GroupBinding | None:
        return self.session.scalar(
            select(GroupBinding).where(
                GroupBinding.township_id == township_id,
                GroupBinding.village_id.is_(None)
                if village_id is None
                else GroupBinding.village_id == village_id,
                GroupBinding.status == ACTIVE,
            )
        )

    def active_groups(self) -> dict[tuple[int, int | None], int]:
        """The chat of every active binding by (township, village or None for the
        township's own): one query for a job that posts to a province's 2,000 villages."""
        return {
            (township_id, village_id): chat_id
            for township_id, village_id, chat_id in self.session.execute(
                select(GroupBinding.township_id, GroupBinding.village_id, GroupBinding.chat_id)
                .where(GroupBinding.status == ACTIVE)
                .order_by(GroupBinding.id)
            )
        }

    def of_chat(self, chat_id: int) -> GroupBinding | None:
        """The chat's binding that is active (or broken: the bot was removed), made by the
        session's identity (a group with two counties' bots in it: each sees its own)."""
        return self.session.scalar(
            select(GroupBinding)
            .where(
                GroupBinding.chat_id == chat_id,
                GroupBinding.status.in_((ACTIVE, BROKEN)),
                GroupBinding.identity == serving_of(self.session).identity,
            )
            .order_by(GroupBinding.id.desc())
        )

    def describe(self, binding: GroupBinding) -> str:
        township = self.session.get(Township, binding.township_id)
        village = self.session.get(Village, binding.village_id) if binding.village_id else None
        return (township.name if township else "?") + ("/" + village.name if village else "")

    def bind(
        self,
        *,
        chat_id: int,
        title: str | None,
        township_id: int,
        village_id: int | None,
        by: Person,
        now: datetime,
    ) -> GroupBinding:
        """Make the chat the group of the target; end what either was bound to before."""
        audit = Audit(self.session)
        actor = f"person:{by.id}"
        for old in (self.of_chat(chat_id), self.active_for(township_id, village_id)):
            if old is not None and old.status != ENDED:
                old.status, old.ended_at = ENDED, now
                audit.record(
                    now=now,
                    actor=actor,
                    action="unbind",
                    entity="group",
                    key=str(old.chat_id),
                    field="target",
                    old=self.describe(old),
                )
        self.session.flush()
        binding = GroupBinding(
            chat_id=chat_id,
            title=title,
            township_id=township_id,
            village_id=village_id,
            status=ACTIVE,
            identity=serving_of(self.session).identity,
            bound_by=by.id,
            bound_at=now,
        )
        self.session.add(binding)
        self.session.flush()
        audit.record(
            now=now,
            actor=actor,
            action="bind",
            entity="group",
            key=str(chat_id),
            field="target",
            new=self.describe(binding),
        )
        return binding

    def end(self, binding: GroupBinding, *, status: str, now: datetime, actor: str) -> None:
        old = binding.status
        binding.status = status
        binding.ended_at = now
        Audit(self.session).record(
            now=now,
            actor=actor,
            action="unbind" if status == ENDED else "broken",
            entity="group",
            key=str(binding.chat_id),
            field="status",
            old=old,
            new=status,
        )

    def migrate(self, old_chat: int, new_chat: int, *, now: datetime) -> GroupBinding | None:
        """A group upgraded to a supergroup keeps its binding under the new id."""
        binding = self.of_chat(old_chat)
        if binding is None:
            return None
        Audit(self.session).update_fields(
            binding,
            {"chat_id": new_chat},
            now=now,
            actor="telegram",
            entity="group",
            key=str(old_chat),
        )
        self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == old_chat, OutboxMessage.status.in_(("pending", "sending"))
            )
            .values(chat_id=new_chat)
        )
        return binding

    def village_heads(self, village_id: int) -> Sequence[Person]:
        """The village's heads who have linked their Telegram account."""
        return self.session.scalars(
            select(Person)
            .where(
                Person.village_id == village_id,
                Person.role == Role.VILLAGE_HEAD.value,
                Person.platform_user_id.is_not(None),
            )
            .order_by(Person.id)
        ).all()

    def township_staff(
        self, township_id: int, role: Role = Role.TOWNSHIP_STAFF
    ) -> Sequence[Person]:
        """The township's staff (or, with `role`, its county staff) who have linked their
        account."""
        return self.session.scalars(
            select(Person)
            .where(
                Person.township_id == township_id,
                Person.role == role.value,
                Person.platform_user_id.is_not(None),
            )
            .order_by(Person.id)
        ).all()

    def has_county_staff(self, township_id: int) -> bool:
        """Whether the roster names county staff for the township (linked or not): then they,
        not the township staff, record the county's decisions."""
        return (
            self.session.scalar(
                select(Person.id)
                .where(Person.township_id == township_id, Person.role == Role.COUNTY_STAFF.value)
                .limit(1)
            )
            is not None
        )
