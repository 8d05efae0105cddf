"""A household's help team (帮扶小组) beside its first helper (kept beside `models.py`, which is
at its length limit; `storage/__init__.py` imports it so the metadata always has it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class TeamMember(Base):
    """A person of the roster on a household's team: may check in for it (monitoring/team.py)."""

    __tablename__ = "household_team"

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True, index=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime)
