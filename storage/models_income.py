"""A household's income by source over time (kept beside `models.py`, which is at its length
limit; `storage/__init__.py` imports it so the metadata always has it)."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, ForeignKey, Index, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class IncomeStatement(Base):
    """One source's income over 12 months, as stated on `valid_from` (monitoring/income.py):
    by the roster (its last year's figures) or by a visit that recorded a change. Rows are
    only added; the figure on a day is each source's latest statement up to it. A visit's
    statements count while its check-in is current (a correction in the week replaces
    them); `recorded_at` says what changed since (the national system's list)."""

    __tablename__ = "income_statements"
    __table_args__ = (Index("ix_income_statements_household", "household_id", "valid_from"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    source: Mapped[str] = mapped_column(String(12))  # wage, business, property, transfer
    amount: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # yuan, household, 12 months
    valid_from: Mapped[date] = mapped_column(Date)
    checkin_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))  # None: roster
    recorded_by: Mapped[str] = mapped_column(String(200))  # as the audit names actors
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
