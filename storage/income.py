"""A household's income by source: its statements (storage/models_income.py) read and
written, each change audited as the household's other fields are. Never commits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from monitoring.income import IncomeParts, Source, Statement, parts_on
from storage.models import CheckIn, Household
from storage.models_income import IncomeStatement
from storage.repositories import Audit


class Incomes:
    def __init__(self, session: Session) -> None:
        self.session = session

    def statements(self, household_ids: Iterable[int]) -> dict[int, list[Statement]]:
        """Each household's statements that count, oldest first: the roster's, and those of
        visits whose check-in is current (a corrected check-in's no longer count)."""
        ids = list(household_ids)
        found: dict[int, list[Statement]] = {i: [] for i in ids}
        if not ids:
            return found
        rows = self.session.execute(
            select(
                IncomeStatement.household_id,
                IncomeStatement.source,
                IncomeStatement.amount,
                IncomeStatement.valid_from,
            )
            .outerjoin(CheckIn, CheckIn.id == IncomeStatement.checkin_id)
            .where(
                IncomeStatement.household_id.in_(ids),
                or_(IncomeStatement.checkin_id.is_(None), CheckIn.is_current),
            )
            .order_by(IncomeStatement.valid_from, IncomeStatement.id)
        )
        for household_id, source, amount, valid_from in rows:
            found[household_id].append(Statement(Source(source), Decimal(amount), valid_from))
        return found

    def parts_on(self, household_id: int, day: date) -> IncomeParts | None:
        """The household's income by source on `day` (None: not known by source)."""
        return parts_on(self.statements([household_id])[household_id], day)

    def known(self, household_id: int) -> bool:
        """Whether the household's income by source has been stated (roster or visit)."""
        return bool(self.statements([household_id])[household_id])

    def record(
        self,
        household: Household,
        changes: Mapping[Source, Decimal],
        *,
        valid_from: date,
        now: datetime,
        actor: str,
        checkin_id: int | None = None,
    ) -> list[Source]:
        """State the sources in `changes` from `valid_from` on, where they differ from what
        stands then (all of them when nothing is known by source yet); an audit row per
        change (entity household, field `income_<source>`, old -> new). The sources stated."""
        before = self.parts_on(household.id, valid_from)
        stated: list[Source] = []
        audit = Audit(self.session)
        for source, amount in changes.items():
            old = None if before is None else before.of(source)
            if old is not None and old == amount:
                continue
            self.session.add(
                IncomeStatement(
                    household_id=household.id,
                    source=source.value,
                    amount=amount,
                    valid_from=valid_from,
                    checkin_id=checkin_id,
                    recorded_by=actor,
                    recorded_at=now,
                )
            )
            audit.record(
                now=now,
                actor=actor,
                action="update",
                entity="household",
                key=household.number,
                field=f"income_{source.value}",
                old=old,
                new=amount,
            )
            stated.append(source)
        if stated:
            self.session.flush()
        return stated
