"""自然消除 rows (kept beside `models.py`, which is at its length limit; `storage/__init__.py`
imports it so the metadata always has it)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class NaturalEnd(Base):
    """A household that left monitoring by a natural end (monitoring/natural_end.py): the
    date and cause given, who recorded it and when; and its reversal if it was a mistake."""

    __tablename__ = "natural_ends"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    ended_on: Mapped[date] = mapped_column(Date)
    cause: Mapped[str] = mapped_column(String(16))  # death, moved
    note: Mapped[str] = mapped_column(Text, default="")
    recorded_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reinstated_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    reinstated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
