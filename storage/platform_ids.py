"""Integers for the people, groups and messages of a platform whose ids are strings.

Everything below the adapters knows a chat by one integer: a person's linked account
(`Person.platform_user_id`), a group binding, an outbox row, an event's user and chat. On
Telegram these are Telegram's own ids, which have at most 52 significant bits (the Bot API
says so of user and chat ids). DingTalk's user ids, conversation ids and card ids are strings:
each gets a row here and the integer 2^53 + row (a person, a card) or -(2^53 + row) (a group:
negative, as Telegram's groups are), outside anything Telegram gives. So one database can
serve both platforms at once, a person being linked on either, and each platform's outbox
worker takes only its own chats (`Platform.of`)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session

from storage.models_platforms import PlatformId

TELEGRAM_LIMIT = 2**53  # every Telegram id lies strictly between -LIMIT and LIMIT


class Platform(StrEnum):
    TELEGRAM = "telegram"
    DINGTALK = "dingtalk"

    @staticmethod
    def of(chat_id: int) -> Platform:
        return (
            Platform.TELEGRAM if -TELEGRAM_LIMIT < chat_id < TELEGRAM_LIMIT else Platform.DINGTALK
        )

    def chats(self, column: InstrumentedAttribute[int]) -> ColumnElement[bool]:
        """The rows of `column` (a chat id) that belong to this platform."""
        inside = and_(column > -TELEGRAM_LIMIT, column < TELEGRAM_LIMIT)
        if self is Platform.TELEGRAM:
            return inside
        return or_(column >= TELEGRAM_LIMIT, column <= -TELEGRAM_LIMIT)


def actor_of_account(session: Session, user_id: int) -> str:
    """Who acted, for the audit trail: `telegram:<Telegram's user id>` or `dingtalk:<DingTalk's
    user id>` (its own string id, not our integer for it)."""
    platform = Platform.of(user_id)
    if platform is Platform.TELEGRAM:
        return f"telegram:{user_id}"
    found = PlatformIds(session, platform).external(user_id)
    return f"{platform.value}:{found[1] if found is not None else user_id}"


class Kind(StrEnum):
    USER = "user"  # a person (and their single chat with the robot)
    GROUP = "group"
    MESSAGE = "message"  # a card, for edits in place


@dataclass(frozen=True)
class Card:
    """A message with buttons, as sent: the chat it was delivered to (its owner: a person or a
    group) and the prefixes of the buttons it shows now."""

    number: int
    external_id: str
    chat_id: int
    buttons: frozenset[str]


class PlatformIds:
    def __init__(self, session: Session, platform: Platform = Platform.DINGTALK) -> None:
        self.session = session
        self.platform = platform

    def number(self, kind: Kind, external_id: str, *, now: datetime) -> int:
        """The integer for `external_id`, the same every time (created on first use)."""
        row_id = self._row(kind, external_id)
        if row_id is None:
            # Two transactions may ask for the same new id at once (a card's press while the
            # outbox records that card): the second insert waits for the first, then does
            # nothing, and both read the same row.
            postgres = self.session.get_bind().dialect.name == "postgresql"
            insert = pg_insert if postgres else sqlite_insert
            self.session.execute(
                insert(PlatformId)
                .values(
                    platform=self.platform.value,
                    kind=kind.value,
                    external_id=external_id,
                    created_at=now,
                )
                .on_conflict_do_nothing(index_elements=["platform", "kind", "external_id"])
            )
            row_id = self._row(kind, external_id)
            assert row_id is not None
        return -(TELEGRAM_LIMIT + row_id) if kind is Kind.GROUP else TELEGRAM_LIMIT + row_id

    def known(self, kind: Kind, external_id: str) -> int | None:
        """The integer for `external_id` if it has one (nothing is created)."""
        row_id = self._row(kind, external_id)
        if row_id is None:
            return None
        return -(TELEGRAM_LIMIT + row_id) if kind is Kind.GROUP else TELEGRAM_LIMIT + row_id

    def external(self, number: int) -> tuple[Kind, str] | None:
        """What an integer of this platform stands for, or None (a Telegram id, unknown)."""
        if Platform.of(number) is Platform.TELEGRAM:
            return None
        row = self.session.get(PlatformId, abs(number) - TELEGRAM_LIMIT)
        if row is None or row.platform != self.platform.value:
            return None
        return Kind(row.kind), row.external_id

    def card(self, external_id: str, *, chat_id: int, buttons: Iterable[str], now: datetime) -> int:
        """A card sent to `chat_id` showing buttons of the prefixes `buttons`: its integer
        (created on first use), with its owner and buttons recorded."""
        number = self.number(Kind.MESSAGE, external_id, now=now)
        row = self.session.get(PlatformId, number - TELEGRAM_LIMIT)
        assert row is not None
        row.chat_id, row.buttons = chat_id, _joined(buttons)
        return number

    def set_buttons(self, number: int, buttons: Iterable[str]) -> None:
        """A card now shows buttons of other prefixes (edited in place)."""
        row = self._message_row(number)
        if row is not None and row.chat_id is not None:
            row.buttons = _joined(buttons)

    def card_of(self, external_id: str) -> Card | None:
        """The card `external_id` as recorded; None when it is unknown or was sent before
        cards had their owners recorded."""
        row = self.session.scalar(
            select(PlatformId).where(
                PlatformId.platform == self.platform.value,
                PlatformId.kind == Kind.MESSAGE.value,
                PlatformId.external_id == external_id,
            )
        )
        if row is None or row.chat_id is None:
            return None
        buttons = frozenset(b for b in (row.buttons or "").split(",") if b)
        return Card(TELEGRAM_LIMIT + row.id, row.external_id, row.chat_id, buttons)

    def _message_row(self, number: int) -> PlatformId | None:
        if Platform.of(number) is Platform.TELEGRAM or number < 0:
            return None
        row = self.session.get(PlatformId, number - TELEGRAM_LIMIT)
        if row is None or (row.platform, row.kind) != (self.platform.value, Kind.MESSAGE.value):
            return None
        return row

    def _row(self, kind: Kind, external_id: str) -> int | None:
        return self.session.scalar(
            select(PlatformId.id).where(
                PlatformId.platform == self.platform.value,
                PlatformId.kind == kind.value,
                PlatformId.external_id == external_id,
            )
        )


def _joined(buttons: Iterable[str]) -> str:
    return ",".join(sorted(set(buttons)))[:200]
