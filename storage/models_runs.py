"""What the bot itself keeps to run once and only once: the updates whose effects are
committed (a redelivered update is not applied twice) and the scheduled jobs' runs (what is
owed after downtime)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from storage.models import Base
from storage.types import UTCDateTime


class HandledUpdate(Base):
    """Updates whose effects are committed: a redelivered update is not applied twice
    (updates are confirmed only after they are handled). Per identity: each bot numbers its
    own updates."""

    __tablename__ = "handled_updates"

    identity: Mapped[str] = mapped_column(String(40), primary_key=True, default="default")
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class JobRun(Base):
    """One run of a scheduled job for one scheduled time: tells what is owed after downtime."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint(
            "job", "identity", "occurrence", name="uq_job_runs_job_identity_occurrence"
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    job: Mapped[str] = mapped_column(String(40))
    identity: Mapped[str] = mapped_column(String(40), default="default")  # whose townships
    occurrence: Mapped[datetime] = mapped_column(UTCDateTime)  # the scheduled time
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    outcome: Mapped[str | None] = mapped_column(String(200))
