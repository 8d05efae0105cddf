"""The outbox: every push is a row written in the transaction that caused it, sent by the one
drain (`bot/outbox.py`). Each row's payload is typed by its kind (`storage/payloads.py`),
checked when written and when read back. Never commits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, or_, select, true, update
from sqlalchemy.orm import Session

from storage.identities import identities_of_chats, serving_of
from storage.models import OutboxMessage, Person
from storage.payloads import Payload, as_json, parse
from storage.platform_ids import Platform

OUTBOX = cast(Table, OutboxMessage.__table__)


@dataclass(frozen=True)
class Queued:
    """An outbox row as the worker renders it."""

    id: int
    kind: str
    chat_id: int
    alert_id: int | None
    payload: Payload
    locale: str | None = None  # a private chat's person's chosen language (None: the default)


class Outbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        *,
        key: str,
        kind: str,
        chat_id: int,
        now: datetime,
        alert_id: int | None = None,
        payload: dict[str, Any] | Payload | None = None,
    ) -> bool:
        """Queue a message unless one with this key exists. Returns whether it was added.
        PayloadError when the payload does not fit the kind (nothing is queued)."""
        typed = parse(kind, payload)
        if self.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)):
            return False
        self.session.add(
            OutboxMessage(
                key=key,
                kind=kind,
                alert_id=alert_id,
                chat_id=chat_id,
                identity=self.identities([chat_id])[chat_id],
                payload=as_json(typed),
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        self.session.flush()
        return True

    def enqueue_many(self, messages: list[dict[str, Any]], *, now: datetime) -> int:
        """Queue many messages at once (a job's thousands): each a dict of key, kind,
        chat_id, payload; those whose key exists are skipped. Returns how many were added.
        One look-up per 500 keys and one bulk insert, not a query and a flush each.
        PayloadError when a payload does not fit its kind (nothing is queued)."""
        keys = [m["key"] for m in messages]
        existing: set[str] = set()
        for start in range(0, len(keys), 500):
            existing.update(
                self.session.scalars(
                    select(OutboxMessage.key).where(
                        OutboxMessage.key.in_(keys[start : start + 500])
                    )
                )
            )
        identities = self.identities([m["chat_id"] for m in messages if m["key"] not in existing])
        new = [
            {
                "key": m["key"],
                "kind": m["kind"],
                "alert_id": None,
                "chat_id": m["chat_id"],
                "identity": identities[m["chat_id"]],
                "payload": as_json(parse(m["kind"], m.get("payload"))),
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for m in messages
            if m["key"] not in existing
        ]
        if new:
            self.session.execute(insert(OutboxMessage), new)
        return len(new)

    def identities(self, chats: list[int]) -> dict[int, str]:
        """The identity (bot) each chat's rows belong to: the one the person's account is
        linked through, or the group is bound by; else the session's own
        (`storage/identities.py`)."""
        known = identities_of_chats(self.session, chats)
        mine = serving_of(self.session).identity
        return {chat: known.get(chat, mine) for chat in chats}

    def due(
        self,
        now: datetime,
        *,
        stale_after: timedelta,
        limit: int = 50,
        platform: Platform | None = None,
        identity: str | None = None,
    ) -> list[tuple[int, int]]:
        """(id, chat) of rows to send, oldest first: pending and due, or claimed by a worker
        that died. A row never tried is due at once (it may carry the time of another clock,
        such as a job's --at); retry times are set by the worker's own clock. `platform`:
        only its chats (`storage/platform_ids.py`), for a deployment serving two; `identity`:
        only that bot's rows, for a deployment of several bots."""
        chats = platform.chats(OutboxMessage.chat_id) if platform is not None else true()
        if identity is not None:
            chats = chats & (OutboxMessage.identity == identity)
        return [
            (int(row_id), int(chat_id))
            for row_id, chat_id in self.session.execute(
                select(OutboxMessage.id, OutboxMessage.chat_id)
                .where(
                    or_(
                        (OutboxMessage.status == "pending")
                        & ((OutboxMessage.attempts == 0) | (OutboxMessage.next_attempt_at <= now)),
                        (OutboxMessage.status == "sending")
                        & (OutboxMessage.claimed_at <= now - stale_after),
                    ),
                    chats,
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        ]

    def claim(
        self, row_id: int, now: datetime, *, stale_after: timedelta, by: str | None = None
    ) -> Queued | None:
        """Take the row for sending (for the worker `by`) and return it; None when another
        worker has it or it is done. Core statements: this runs for every message sent."""
        result = self.session.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.id == row_id,
                or_(
                    OUTBOX.c.status == "pending",
                    (OUTBOX.c.status == "sending") & (OUTBOX.c.claimed_at <= now - stale_after),
                ),
            )
            .values(status="sending", claimed_at=now, claimed_by=by, attempts=OUTBOX.c.attempts + 1)
        )
        if int(getattr(result, "rowcount", 0) or 0) != 1:
            return None
        return self.queued(row_id)

    def take_back(self, *, prefix: str, me: str) -> int:
        """Rows claimed by other workers whose name starts with `prefix` are due again now
        (a bot that starts: the bot before it died). Returns how many."""
        result = self.session.execute(
            update(OUTBOX)
            .where(
                OUTBOX.c.status == "sending",
                OUTBOX.c.claimed_by.startswith(prefix, autoescape=True),
                OUTBOX.c.claimed_by != me,
            )
            .values(status="pending", next_attempt_at=OUTBOX.c.claimed_at, claimed_by=None)
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def queued(self, row_id: int) -> Queued | None:
        """What a row asks to send, with the language of the person whose private chat it
        goes to (in the same statement)."""
        people = cast(Table, Person.__table__)
        row = self.session.execute(
            select(
                OUTBOX.c.id,
                OUTBOX.c.kind,
                OUTBOX.c.chat_id,
                OUTBOX.c.alert_id,
                OUTBOX.c.payload,
                people.c.locale,
            )
            .outerjoin(people, people.c.platform_user_id == OUTBOX.c.chat_id)
            .where(OUTBOX.c.id == row_id)
        ).one_or_none()
        if row is None:
            return None
        return Queued(
            int(row.id),
            str(row.kind),
            int(row.chat_id),
            None if row.alert_id is None else int(row.alert_id),
            parse(str(row.kind), dict(row.payload or {})),  # PayloadError: never renderable
            row.locale,
        )

    def get(self, row_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, row_id)

    def sent(self, marks: list[tuple[int, int | None]], *, now: datetime) -> None:
        """Mark rows sent: (row id, the platform's message id, None when it has none to
        refer to) each, in one statement."""
        if not marks:
            return
        self.session.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("row"))
            .values(
                status="sent", message_id=bindparam("telegram_id"), sent_at=now, last_error=None
            ),
            [{"row": row_id, "telegram_id": message_id} for row_id, message_id in marks],
        )

    def retry_at(self, row_id: int, at: datetime, error: str) -> None:
        row = self.session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.next_attempt_at, row.last_error = "pending", at, error[:500]

    def failed(self, row_id: int, error: str) -> None:
        row = self.session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.last_error = "failed", error[:500]

    def being_sent(self, alert_id: int, chat_id: int) -> bool:
        """A message about the alert to that chat is claimed and not marked yet: sent,
        perhaps, its message id not recorded (marks are written in batches)."""
        return (
            self.session.scalar(
                select(OutboxMessage.id)
                .where(
                    OutboxMessage.alert_id == alert_id,
                    OutboxMessage.chat_id == chat_id,
                    OutboxMessage.status == "sending",
                )
                .limit(1)
            )
            is not None
        )

    def sent_for_alert(self, alert_id: int) -> list[tuple[int, int, str]]:
        """(chat, message id, kind) of every message sent about the alert."""
        rows = self.session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.message_id, OutboxMessage.kind)
            .where(
                OutboxMessage.alert_id == alert_id,
                OutboxMessage.status == "sent",
                OutboxMessage.message_id.is_not(None),
            )
            .order_by(OutboxMessage.id)
        ).all()
        return [(int(c), int(m or 0), str(k)) for c, m, k in rows]
