"""The table behind `storage/platform_ids.py` (kept beside `models.py`, which is at its
length limit; `storage/__init__.py` imports it so the metadata always has it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class PlatformId(Base):
    """A person, a group or a message of a platform whose ids are not integers (DingTalk's
    user ids, conversation ids, card ids), and the integer the rest of fangfanpin knows it
    by (`storage/platform_ids.py` says which)."""

    __tablename__ = "platform_ids"
    __table_args__ = (
        UniqueConstraint("platform", "kind", "external_id", name="uq_platform_ids_external"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    platform: Mapped[str] = mapped_column(String(20))
    kind: Mapped[str] = mapped_column(String(20))  # user, group, message
    external_id: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A message with buttons (a DingTalk card): the chat it was delivered to (a person's or a
    # group's integer) and the prefixes of the buttons it has shown ("ci,ms"), so that a press
    # on it is taken in that chat and only for those buttons, whatever the press says.
    chat_id: Mapped[int | None] = mapped_column(BigInteger)
    buttons: Mapped[str | None] = mapped_column(String(200))


class ApiUsage(Base):
    """Metered API calls a platform's adapter made in a month (DingTalk counts them against
    the organisation's monthly quota), and since when the quota is used up: shown to the
    staff in /summary."""

    __tablename__ = "api_usage"

    platform: Mapped[str] = mapped_column(String(20), primary_key=True)
    # the bot identity whose calls they are (one DingTalk app, one organisation, per county)
    identity: Mapped[str] = mapped_column(String(40), primary_key=True, default="default")
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-12
    calls: Mapped[int] = mapped_column(Integer, default=0)
    # The platform refused the bot for the month's quota since then (None: it has not, or
    # calls have gone through again since).
    exhausted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
