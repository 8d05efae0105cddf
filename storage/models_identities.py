"""The bot identities of a deployment and the townships each serves (kept beside `models.py`,
which is at its length limit; `storage/__init__.py` imports it so the metadata always has
it). The columns that say which identity a person's link, a group binding, an outbox row, a
handled update and a job run belong to are on those tables, named `identity`."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class Identity(Base):
    """One bot (a Telegram token, a DingTalk app) of the deployment, as its process last
    claimed it at start-up (`fangfanpin run`)."""

    __tablename__ = "identities"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    platform: Mapped[str] = mapped_column(String(16))
    every_township: Mapped[bool] = mapped_column(Boolean)  # FANGFANPIN_TOWNSHIPS empty
    # How people find the bot: a Telegram bot's @username (from getMe), when known.
    handle: Mapped[str | None] = mapped_column(String(100))
    claimed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class IdentityTownship(Base):
    """A township and the one identity that serves it (the primary key: one each)."""

    __tablename__ = "identity_townships"

    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), primary_key=True)
    identity: Mapped[str] = mapped_column(ForeignKey("identities.name"), index=True)
