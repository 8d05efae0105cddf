"""What township staff ticked as entered in the national monitoring system (kept beside
`models.py`, which is at its length limit; `storage/__init__.py` imports it so the metadata
always has it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class NationalEntry(Base):
    """A household's changes entered in the national system, up to and including the audit
    row `up_to`: who ticked them (已录入) and when. A later change of the household has a
    higher audit id, so it is listed again."""

    __tablename__ = "national_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    up_to: Mapped[int] = mapped_column(Integer)  # audit_log.id of the newest change entered
    entered_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
