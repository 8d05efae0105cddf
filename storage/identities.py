"""Which bot identity a session works for, and the identities' claims on townships. Never
commits.

A process of one identity makes its sessions with `serving(...)` in their `info`
(`bot/core.py: build_services`), so that what it reads and writes is its own without each
caller passing it: the people it resolves, the group bindings it sees, the outbox rows it
sends, the updates it records, the job runs and the townships its jobs cover. A session made
without it (the CLI's commands on the database as a whole, the tests) works for `default`
over every township, as before identities."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, bindparam, delete, select, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from monitoring.identities import DEFAULT, Claim
from storage.models import GroupBinding, Person, Township
from storage.models_identities import Identity, IdentityTownship

INFO_KEY = "serving"


@dataclass(frozen=True)
class Serving:
    """The identity a session works for and the townships it serves (None: every one)."""

    identity: str = DEFAULT
    townships: frozenset[int] | None = None

    def covers(self, township_id: int) -> bool:
        return self.townships is None or township_id in self.townships

    def where(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """`column` (a township id) among the townships served."""
        if self.townships is None:
            return true()
        return column.in_(sorted(self.townships))

    @property
    def some(self) -> bool:
        """Some townships, not every one: what a statement built once depends on
        (`bound_where`)."""
        return self.townships is not None

    def params(self) -> dict[str, object]:
        """The parameters of `bound_where` (`townships`), and the identity (`identity`)."""
        found: dict[str, object] = {"identity": self.identity}
        if self.townships is not None:
            found["townships"] = sorted(self.townships)
        return found

    def info(self) -> dict[str, object]:
        """What a session factory puts in each session's `info`."""
        return {INFO_KEY: self}


def bound_where(column: InstrumentedAttribute[int], some: bool) -> ColumnElement[bool]:
    """`Serving.where` for a statement built once and run with `Serving.params()`: the
    townships as a bound parameter, so the statement is the same whichever are served."""
    return column.in_(bindparam("townships", expanding=True)) if some else true()


def serving_of(session: Session) -> Serving:
    found = session.info.get(INFO_KEY)
    return found if isinstance(found, Serving) else Serving()


@dataclass(frozen=True)
class Served:
    """Who serves a township: the identity, its platform and how people find its bot."""

    identity: str
    platform: str
    handle: str | None


class Identities:
    def __init__(self, session: Session) -> None:
        self.session = session

    def claims(self) -> list[Claim]:
        """Every identity's claim, by township name."""
        names: dict[str, set[str]] = {}
        for identity, township in self.session.execute(
            select(IdentityTownship.identity, Township.name).join(
                Township, Township.id == IdentityTownship.township_id
            )
        ):
            names.setdefault(identity, set()).add(township)
        return [
            Claim(row.name, None if row.every_township else frozenset(names.get(row.name, ())))
            for row in self.session.scalars(select(Identity).order_by(Identity.name))
        ]

    def lock(self) -> None:
        """Claims are checked and written one process at a time (PostgreSQL: two identities
        starting together; SQLite has one writer anyway)."""
        if self.session.get_bind().dialect.name == "postgresql":
            # a mode that conflicts with itself: a second claim waits for the first's commit
            self.session.connection().exec_driver_sql(
                "LOCK TABLE identities IN SHARE ROW EXCLUSIVE MODE"
            )

    def record(
        self,
        name: str,
        *,
        platform: str,
        township_ids: Collection[int] | None,
        now: datetime,
    ) -> None:
        """`name` serves these townships now (None: every one), on `platform`; what it
        claimed before is replaced."""
        row = self.session.get(Identity, name)
        if row is None:
            row = Identity(name=name, platform=platform, every_township=False, claimed_at=now)
            self.session.add(row)
        row.platform, row.every_township, row.claimed_at = platform, township_ids is None, now
        self.session.flush()
        self.session.execute(delete(IdentityTownship).where(IdentityTownship.identity == name))
        for township_id in sorted(township_ids or ()):
            self.session.add(IdentityTownship(township_id=township_id, identity=name))
        self.session.flush()

    def release(self, name: str) -> bool:
        """`name` serves nothing any more (its rows stay, under its name). False: unknown."""
        row = self.session.get(Identity, name)
        if row is None:
            return False
        self.session.execute(delete(IdentityTownship).where(IdentityTownship.identity == name))
        self.session.delete(row)
        self.session.flush()
        return True

    def set_handle(self, name: str, handle: str | None) -> None:
        row = self.session.get(Identity, name)
        if row is not None and handle and row.handle != handle:
            row.handle = handle

    def serving(self, township_id: int) -> Served | None:
        """The identity that serves the township (listed, or serving every township)."""
        row = self.session.scalar(
            select(Identity)
            .join(IdentityTownship, IdentityTownship.identity == Identity.name)
            .where(IdentityTownship.township_id == township_id)
        ) or self.session.scalar(select(Identity).where(Identity.every_township).limit(1))
        return None if row is None else Served(row.name, row.platform, row.handle)

    def listing(self) -> list[tuple[str, str, str | None, list[str] | None]]:
        """(name, platform, handle, township names or None for every one) of each identity."""
        claims = {c.identity: c.townships for c in self.claims()}
        return [
            (
                row.name,
                row.platform,
                row.handle,
                None if claims.get(row.name) is None else sorted(claims[row.name] or ()),
            )
            for row in self.session.scalars(select(Identity).order_by(Identity.name))
        ]


def identities_of_chats(session: Session, chats: Collection[int]) -> dict[int, str]:
    """The identity that reaches each chat: a person's linked account's, a group binding's
    (active or broken). Chats neither knows are left out."""
    found: dict[int, str] = {}
    people = sorted({c for c in chats if c > 0})
    groups = sorted({c for c in chats if c < 0})
    for start in range(0, len(people), 500):
        for chat, identity in session.execute(
            select(Person.platform_user_id, Person.identity).where(
                Person.platform_user_id.in_(people[start : start + 500]),
                Person.identity.is_not(None),
            )
        ):
            if chat is not None:
                found[int(chat)] = str(identity)
    for start in range(0, len(groups), 500):
        for chat, identity in session.execute(
            select(GroupBinding.chat_id, GroupBinding.identity)
            .where(
                GroupBinding.chat_id.in_(groups[start : start + 500]),
                GroupBinding.status.in_(("active", "broken")),
            )
            .order_by(GroupBinding.id)  # the latest binding of a chat last: it wins
        ):
            found[int(chat)] = str(identity)
    return found
