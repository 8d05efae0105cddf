"""Household members (kept beside `models.py`, which is at its length limit;
`storage/__init__.py` imports it so the metadata always has it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base, Timestamps
from storage.types import UTCDateTime


class Member(Timestamps, Base):
    """A member of a household (monitoring/members.py): from the roster's members file or a
    visit (a birth); `presence` says whether they live in it now. Changes are audited
    (entity `member`, key `<household number>/<member id>`); rows are never deleted."""

    __tablename__ = "household_members"
    __table_args__ = (Index("ix_household_members_household", "household_id", "presence"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    name: Mapped[str] = mapped_column(String(100))
    relation: Mapped[str] = mapped_column(String(40))  # 与户主关系: 户主, 配偶, 之子 …
    id_number: Mapped[str | None] = mapped_column(String(32))
    born_on: Mapped[date | None] = mapped_column(Date)  # from the ID number, or a birth
    labour: Mapped[str | None] = mapped_column(String(40))  # 劳动能力 as the roster says
    health: Mapped[str | None] = mapped_column(String(40))  # 健康状况
    schooling: Mapped[str | None] = mapped_column(String(40))  # 在校情况
    insurance: Mapped[str | None] = mapped_column(String(40))  # 参保情况
    presence: Mapped[str] = mapped_column(String(10), default="living")  # living, away, dead
    presence_since: Mapped[date | None] = mapped_column(Date)
    changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the last change's
