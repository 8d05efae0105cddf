"""The measures table (kept beside `models.py`, which is at its length limit;
`storage/__init__.py` imports it so the metadata always has it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Integer, Numeric, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class Measure(Base):
    """A help measure (帮扶措施) for a household, usually in answer to an alert: a task given
    to a unit, carried to delivery (monitoring/measures.py)."""

    __tablename__ = "measures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # its category (monitoring.measures)
    responsible: Mapped[str] = mapped_column(String(100), index=True)  # the unit's name
    note: Mapped[str | None] = mapped_column(Text)  # what is to be done
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))  # yuan, where money is
    deadline: Mapped[date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(20))  # monitoring.measures.Status
    reason: Mapped[str | None] = mapped_column(Text)  # why it was refused (未通过)
    taken_on: Mapped[date | None] = mapped_column(Date)  # the day it was delivered
    recorded_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    status_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
