"""The leads table (线索: monitoring/leads.py), beside `models.py` (at its length limit);
`storage/__init__.py` imports it so the metadata always has it."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class Lead(Base):
    """One possible household at risk: who, what happened, where it came from, when, and
    what checking it found. Carries ID numbers and health words: never to a group or a log."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_open", "township_id", "outcome", "received_on"),
        Index("ix_leads_source", "source", "received_on"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(32), index=True)  # as sent, in full
    phone: Mapped[str | None] = mapped_column(String(20))  # E.164 (a self-report's)
    risk_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    what: Mapped[str | None] = mapped_column(Text)  # 事由, as given
    amount: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    # self, cadre, or a department's name (医保局); the list's file and row, if any
    source: Mapped[str] = mapped_column(String(40))
    source_file: Mapped[str | None] = mapped_column(String(200))
    source_row: Mapped[int | None] = mapped_column(Integer)
    received_on: Mapped[date] = mapped_column(Date)  # the lead's date: the clock starts here
    check_by: Mapped[date] = mapped_column(Date)  # received_on + lead_check_days
    reported_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))  # a cadre
    reporter_user_id: Mapped[int | None] = mapped_column(BigInteger)  # a self-reporter
    consent: Mapped[bool] = mapped_column(Boolean, default=False)  # 承诺授权 (self-report)
    # monitoring.leads.Outcome; None while not checked
    outcome: Mapped[str | None] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text)  # 不纳入's
    checked_on: Mapped[date | None] = mapped_column(Date)
    checked_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("proposals.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SelfReport(Base):
    """A self-report being written by someone not on the roster (no person, so not a draft):
    their platform account and the answers so far. Becomes a lead on consent."""

    __tablename__ = "self_reports"

    user_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
