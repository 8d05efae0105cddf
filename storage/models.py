"""SQLAlchemy 2 models. Every change here ships an Alembic migration."""

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
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from storage.types import UTCDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Timestamps:
    """Set by the caller from the `now` it was given; storage never reads the clock."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Township(Timestamps, Base):
    __tablename__ = "townships"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)

    villages: Mapped[list[Village]] = relationship(back_populates="township")


class Village(Timestamps, Base):
    __tablename__ = "villages"
    __table_args__ = (UniqueConstraint("township_id", "name", name="uq_villages_township_name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    name: Mapped[str] = mapped_column(String(100))

    township: Mapped[Township] = relationship(back_populates="villages")


class Household(Timestamps, Base):
    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    head_name: Mapped[str] = mapped_column(String(100))
    id_number: Mapped[str | None] = mapped_column(String(32))
    members: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    last_year_income_per_capita: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    status: Mapped[str] = mapped_column(String(20), default="monitored")
    # Facts the weekly check-in keeps current (None until a check-in says).
    expected_income: Mapped[Decimal | None] = mapped_column(Numeric(12, 2))
    has_school_child: Mapped[bool | None] = mapped_column(Boolean)
    school_child_asked_on: Mapped[date | None] = mapped_column(Date)  # asked again each Sept.
    # When the household was identified for monitoring: a township approval, or the roster's
    # 纳入日期; None when neither says (created_at is used then).
    identified_on: Mapped[date | None] = mapped_column(Date)
    has_labour: Mapped[bool | None] = mapped_column(Boolean)  # someone able to work; None: unknown
    # The roster's 风险类型 (codes of monitoring.proposals.RISK_TYPES) and 村民小组.
    risk_types: Mapped[list[str] | None] = mapped_column(JSON)
    villager_group: Mapped[str | None] = mapped_column(String(50))
    # The household's code in the national monitoring system (系统户编号), from the roster.
    national_code: Mapped[str | None] = mapped_column(String(40))

    village: Mapped[Village] = relationship()
    assignment: Mapped[HelperAssignment | None] = relationship(
        back_populates="household", uselist=False
    )


class Person(Timestamps, Base):
    __tablename__ = "persons"
    # One person per platform account (the constraint renamed by migration 0020).
    __table_args__ = (UniqueConstraint("platform_user_id", name="uq_persons_platform_user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20), unique=True)  # E.164
    role: Mapped[str] = mapped_column(String(20))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"), index=True)
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"), index=True)
    unit: Mapped[str | None] = mapped_column(String(40))  # unit staff's unit, e.g. 镇民政办
    # The person's account on the platform they use the bot on (platform, user id): one
    # integer for both (DingTalk's string ids are numbered: storage/platform_ids.py).
    platform: Mapped[str | None] = mapped_column(String(16))
    platform_user_id: Mapped[int | None] = mapped_column(BigInteger)
    linked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    identity: Mapped[str | None] = mapped_column(String(40))  # the bot it is linked through
    locale: Mapped[str | None] = mapped_column(String(10))
    # Set when the platform refused a private message (the person blocked the bot).
    unreachable_since: Mapped[datetime | None] = mapped_column(UTCDateTime)

    township: Mapped[Township] = relationship()
    village: Mapped[Village | None] = relationship()


class HelperAssignment(Base):
    """Which helper (帮扶责任人) answers for a household: one per household."""

    __tablename__ = "helper_assignments"

    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), primary_key=True)
    helper_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime)

    household: Mapped[Household] = relationship(back_populates="assignment")
    helper: Mapped[Person] = relationship()


class AuditEntry(Base):
    """Who changed what, when: old -> new. Rows are only ever added."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_entity_key", "entity", "entity_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(40))
    entity: Mapped[str] = mapped_column(String(40))
    entity_key: Mapped[str] = mapped_column(String(100))
    field: Mapped[str | None] = mapped_column(String(60))
    old_value: Mapped[str | None] = mapped_column(Text)
    new_value: Mapped[str | None] = mapped_column(Text)


class Draft(Base):
    """A conversation in progress: the row *is* its state. Every answer is written here the
    moment it is given, so after a crash the next message continues where it stopped.

    One per person: `flow` says which (checkin, measure, proposal, reason); `subject_id` is
    what it is about (the household of a check-in, the warning of a measure)."""

    __tablename__ = "drafts"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    flow: Mapped[str] = mapped_column(String(20))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    week: Mapped[str | None] = mapped_column(String(8))  # a check-in's week
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    editing: Mapped[str | None] = mapped_column(String(40))  # the question being changed
    # The message now showing its question with buttons (a platform message id): when a
    # newer message takes over, this one loses its buttons (a used screen has none).
    screen_id: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CheckIn(Base):
    """A confirmed weekly check-in. A correction in the same week adds a row and marks the
    earlier one not current; nothing is overwritten."""

    __tablename__ = "checkins"
    __table_args__ = (
        Index(
            "uq_checkins_current_week",
            "household_id",
            "week",
            unique=True,
            sqlite_where=text("is_current"),
            postgresql_where=text("is_current"),
        ),
        # A week's check-ins by household from the index alone: who has none (the
        # missed-visits job, the reminders), whatever order the rows lie in (migration 0030).
        Index("ix_checkins_week_household", "week", "is_current", "household_id"),
        # A household's weeks, covering the level: "checked in this week?" and "latest
        # level up to a week" for every household of a summary, without touching the rows
        # (SQLite does not use the partial unique index for `is_current = 1`).
        Index("ix_checkins_household_week", "household_id", "week", "is_current", "level"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    week: Mapped[str] = mapped_column(String(8))
    helper_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    entered_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    visit_method: Mapped[str] = mapped_column(String(20))
    members: Mapped[int] = mapped_column(Integer)
    income_changed: Mapped[bool] = mapped_column(Boolean)
    expected_income: Mapped[Decimal] = mapped_column(Numeric(12, 2))  # used in the assessment
    expenses: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    expense_total: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    food_ok: Mapped[bool] = mapped_column(Boolean)
    clothing_ok: Mapped[bool] = mapped_column(Boolean)
    education_ok: Mapped[bool | None] = mapped_column(Boolean)  # None: no school-age child
    medical_ok: Mapped[bool] = mapped_column(Boolean)
    housing_ok: Mapped[bool] = mapped_column(Boolean)
    water_ok: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(10))
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    per_capita_income: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    # The figure with its parts (monitoring.income.NetIncome.as_json); None before 0026.
    income: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    policy_year: Mapped[int] = mapped_column(Integer)
    is_current: Mapped[bool] = mapped_column(Boolean, default=True)
    supersedes_id: Mapped[int | None] = mapped_column(ForeignKey("checkins.id"))


class GroupBinding(Base):
    """A Telegram group bound as a township's group (village_id NULL) or a village's group.

    One active binding per target; ended bindings stay with their status for the history."""

    __tablename__ = "group_bindings"
    __table_args__ = (
        Index("ix_group_bindings_target", "township_id", "village_id", "status"),
        Index("ix_group_bindings_chat", "chat_id", "status"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    title: Mapped[str | None] = mapped_column(String(200))
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    village_id: Mapped[int | None] = mapped_column(ForeignKey("villages.id"))
    status: Mapped[str] = mapped_column(String(20))  # active, broken, ended
    identity: Mapped[str] = mapped_column(String(40), default="default")  # the bot bound in it
    bound_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    bound_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Alert(Base):
    """A red warning about a household: open until risk is eliminated or it turns green."""

    __tablename__ = "alerts"
    __table_args__ = (Index("ix_alerts_household_status", "household_id", "status"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    checkin_id: Mapped[int] = mapped_column(ForeignKey("checkins.id"))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    red_codes: Mapped[list[str]] = mapped_column(JSON, default=list)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, closed
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    close_reason: Mapped[str | None] = mapped_column(String(20))  # eliminated, green


class OutboxMessage(Base):
    """Every push to a group goes through here, written in the transaction that caused it.

    `key` is unique: the same alert can not be queued twice for the same chat. A worker
    claims a row (status sending) before the call and marks it sent with Telegram's
    message id after."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_due", "status", "next_attempt_at"),
        Index("ix_outbox_identity_due", "identity", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(20))  # alert, alert_update, escalation, all_clear
    alert_id: Mapped[int | None] = mapped_column(ForeignKey("alerts.id"), index=True)
    chat_id: Mapped[int] = mapped_column(BigInteger)
    identity: Mapped[str] = mapped_column(String(40), default="default")  # the bot that sends it
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(
        String(10), default="pending"
    )  # pending sending sent failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "bot:…" or "cli:…" and a token of the process: a bot that starts takes back the
    # claims of an earlier bot process at once (it died; two can not poll one token).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    last_error: Mapped[str | None] = mapped_column(Text)


class MissedVisit(Base):
    """A monitored household without a check-in in a week (recorded when the week ends)."""

    __tablename__ = "missed_visits"
    __table_args__ = (UniqueConstraint("household_id", "week", name="uq_missed_visits_week"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    week: Mapped[str] = mapped_column(String(8), index=True)
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Proposal(Timestamps, Base):
    """A household proposed for monitoring, through village review and township approval."""

    __tablename__ = "proposals"
    __table_args__ = (Index("ix_proposals_status", "status", "step_since"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("townships.id"))
    village_id: Mapped[int] = mapped_column(ForeignKey("villages.id"), index=True)
    proposer_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), index=True)
    household_id: Mapped[int | None] = mapped_column(ForeignKey("households.id"))
    number: Mapped[str | None] = mapped_column(String(64))  # as the proposer gave it
    head_name: Mapped[str] = mapped_column(String(100))
    members: Mapped[int] = mapped_column(Integer)
    category: Mapped[str] = mapped_column(String(32))
    risk_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    expected_income: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    has_labour: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    photo_file_id: Mapped[str | None] = mapped_column(String(200))
    # village, notice, township, county, helper, approved, rejected (monitoring.proposals)
    status: Mapped[str] = mapped_column(String(20))
    step_since: Mapped[datetime] = mapped_column(UTCDateTime)  # when the current step began
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    kind: Mapped[str] = mapped_column(String(20), default="identify", server_default="identify")
    notice_posted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # in the village
    county_decided_on: Mapped[date | None] = mapped_column(Date)  # the county's decision
    county_document: Mapped[str | None] = mapped_column(String(100))  # its document number


class ProposalDecision(Base):
    """One step of a proposal: who approved, rejected or assigned, when and why."""

    __tablename__ = "proposal_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposals.id"), index=True)
    step: Mapped[str] = mapped_column(String(20))  # village, township, helper
    decision: Mapped[str] = mapped_column(String(20))  # approve, reject, assign
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)


class EliminationReferral(Base):
    """A household whose elimination criteria do not all hold, referred to the county with
    a reason (never marked eliminated by the bot)."""

    __tablename__ = "elimination_referrals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    referred_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    referred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # as checked
    reason: Mapped[str] = mapped_column(Text)


class Elimination(Base):
    """A household's risk marked eliminated (风险消除), and its reversal if risk returned."""

    __tablename__ = "eliminations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"), index=True)
    eliminated_by: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    eliminated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # as checked
    override_reason: Mapped[str | None] = mapped_column(Text)
    reinstated_by: Mapped[int | None] = mapped_column(ForeignKey("persons.id"))
    reinstated_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reinstate_reason: Mapped[str | None] = mapped_column(Text)
