"""Red warnings: opened, widened and closed as `monitoring.warnings` decides, acknowledged,
escalated; their pushes queued in the same transaction. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from monitoring.measures import Status
from monitoring.risk import Assessment, Level
from monitoring.warnings import (
    WarningStep,
    after_checkin,
    may_act_on_warning,
    may_record_measure,
    reads_the_details,
)
from storage.bindings import Bindings
from storage.identities import serving_of
from storage.measures import Measures
from storage.models import (
    Alert,
    CheckIn,
    HelperAssignment,
    Household,
    Person,
    Township,
    Village,
)
from storage.models_measures import Measure
from storage.outbox import Outbox
from storage.repositories import Audit, actor_of

# ----------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class AlertChange:
    """What a confirmed check-in did to the household's alert."""

    action: str | None  # opened, updated, closed or None
    alert_id: int | None = None
    chats: tuple[int, ...] = ()
    no_group: bool = False  # nowhere to post: neither the village nor the township is bound


NO_CHANGE = AlertChange(None)


@dataclass(frozen=True)
class AlertView:
    id: int
    status: str
    household_id: int
    household_number: str
    head_name: str
    village_id: int
    village_name: str
    township_id: int
    township_name: str
    helper_name: str | None
    reasons: list[dict[str, Any]]
    red_codes: list[str]
    opened_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    closed_at: datetime | None
    close_reason: str | None
    measures: list[dict[str, Any]] = field(default_factory=list)
    delivered: int = 0  # measures delivered for it, or for its household while it was open


class Alerts:
    def __init__(self, session: Session) -> None:
        self.session = session

    def open_for(self, household_id: int) -> Alert | None:
        return self.session.scalar(
            select(Alert).where(Alert.household_id == household_id, Alert.status == "open")
        )

    def get(self, alert_id: int) -> Alert | None:
        return self.session.get(Alert, alert_id)

    def targets(self, household: Household) -> tuple[list[tuple[int, dict[str, Any]]], bool]:
        """(chat, payload) for the village group and the township group; and whether the
        village has no group (the township's message then says so)."""
        village = self.session.get(Village, household.village_id)
        assert village is not None
        bindings = Bindings(self.session)
        village_group = bindings.active_for(village.township_id, village.id)
        township_group = bindings.active_for(village.township_id, None)
        chats: list[tuple[int, dict[str, Any]]] = []
        if village_group is not None:
            chats.append((village_group.chat_id, {}))
        if township_group is not None:
            chats.append((township_group.chat_id, {"no_village_group": village_group is None}))
        return chats, village_group is None

    def detail_readers(self, household: Household) -> list[Person]:
        """Who is told the warning's reasons in full, privately (`reads_the_details`):
        linked people only."""
        village = self.session.get(Village, household.village_id)
        assert village is not None
        bindings = Bindings(self.session)
        candidates = [
            *bindings.village_heads(village.id),
            *bindings.township_staff(village.township_id),
        ]
        return [
            p for p in candidates if reads_the_details(actor_of(p), village.township_id, village.id)
        ]

    def _post(
        self, alert: Alert, household: Household, kind: str, tag: str, now: datetime
    ) -> AlertChange:
        chats, _ = self.targets(household)
        outbox = Outbox(self.session)
        for chat_id, payload in chats:
            outbox.enqueue(
                key=f"alert:{alert.id}:{tag}:{chat_id}",
                kind=kind,
                chat_id=chat_id,
                alert_id=alert.id,
                payload=payload,
                now=now,
            )
        if kind in ("alert", "alert_update"):  # the reasons in full, privately
            for person in self.detail_readers(household):
                assert person.platform_user_id is not None
                outbox.enqueue(
                    key=f"alert:{alert.id}:{tag}:p{person.id}",
                    kind="alert_detail",
                    chat_id=person.platform_user_id,
                    alert_id=alert.id,
                    payload={"update": kind == "alert_update"},
                    now=now,
                )
        action = {"alert": "opened", "alert_update": "updated", "all_clear": "closed"}[kind]
        return AlertChange(action, alert.id, tuple(c for c, _ in chats), not chats)

    def on_checkin(
        self,
        household: Household,
        row: CheckIn,
        assessment: Assessment,
        *,
        now: datetime,
        close_after_green: int,
    ) -> AlertChange:
        """Open, widen or close the household's alert as `monitoring.warnings` decides; queue
        the pushes in this transaction."""
        alert = self.open_for(household.id)
        recent: Sequence[str] = []
        if alert is not None and assessment.level is Level.GREEN:  # only then can it close
            recent = self.session.scalars(
                select(CheckIn.level)
                .where(CheckIn.household_id == household.id, CheckIn.is_current)
                .order_by(CheckIn.week.desc())
                .limit(close_after_green)
            ).all()
        decision = after_checkin(
            assessment.level,
            list(assessment.red_codes()),
            list(alert.red_codes or []) if alert is not None else None,
            list(recent),
            close_after_green=close_after_green,
        )
        audit = Audit(self.session)
        actor = f"person:{row.entered_by}"
        if decision.step is WarningStep.OPEN:
            alert = Alert(
                household_id=household.id,
                checkin_id=row.id,
                opened_at=now,
                red_codes=list(decision.red_codes),
                status="open",
            )
            self.session.add(alert)
            self.session.flush()
            audit.record(
                now=now,
                actor=actor,
                action="open",
                entity="alert",
                key=household.number,
                field="alert",
                new=f"#{alert.id}",
            )
            return self._post(alert, household, "alert", "open", now)
        if alert is None:  # nothing open, nothing opened
            return NO_CHANGE
        if decision.step is WarningStep.WIDEN:
            audit.update_fields(
                alert,
                {"red_codes": list(decision.red_codes), "checkin_id": row.id},
                now=now,
                actor=actor,
                entity="alert",
                key=household.number,
            )
            return self._post(alert, household, "alert_update", f"c{row.id}", now)
        if decision.step is WarningStep.CLOSE:
            return self.close(alert, by=None, reason="green", now=now, actor=actor)
        return AlertChange(None, alert.id)

    def close(
        self, alert: Alert, *, by: Person | None, reason: str, now: datetime, actor: str
    ) -> AlertChange:
        Audit(self.session).update_fields(
            alert,
            {
                "status": "closed",
                "closed_at": now,
                "close_reason": reason,
                "closed_by": by.id if by else None,
            },
            now=now,
            actor=actor,
            entity="alert",
            key=str(alert.id),
        )
        household = self.session.get(Household, alert.household_id)
        assert household is not None
        return self._post(alert, household, "all_clear", "closed", now)

    def acknowledge(self, alert: Alert, person: Person, *, now: datetime) -> bool:
        """Record the first acknowledgement; False when it was acknowledged before."""
        if alert.acknowledged_by is not None:
            return False
        Audit(self.session).update_fields(
            alert,
            {"acknowledged_by": person.id, "acknowledged_at": now},
            now=now,
            actor=f"person:{person.id}",
            entity="alert",
            key=str(alert.id),
        )
        return True

    def _place(self, alert: Alert) -> tuple[int, int, int | None]:
        """(township, village, helper) of the alert's household."""
        household = self.session.get(Household, alert.household_id)
        assert household is not None
        village = self.session.get(Village, household.village_id)
        assert village is not None
        assignment = self.session.get(HelperAssignment, alert.household_id)
        return village.township_id, village.id, assignment.helper_id if assignment else None

    def may_act(self, alert: Alert, person: Person) -> bool:
        township_id, village_id, _ = self._place(alert)
        return may_act_on_warning(actor_of(person), township_id, village_id)

    def may_record_measure(self, alert: Alert, person: Person) -> bool:
        return may_record_measure(actor_of(person), *self._place(alert))

    def view(self, alert_id: int) -> AlertView | None:
        alert = self.session.get(Alert, alert_id)
        if alert is None:
            return None
        household = self.session.get(Household, alert.household_id)
        checkin = self.session.get(CheckIn, alert.checkin_id)
        assert household is not None and checkin is not None
        village = self.session.get(Village, household.village_id)
        assert village is not None
        township = self.session.get(Township, village.township_id)
        assert township is not None
        assignment = self.session.get(HelperAssignment, household.id)
        helper = self.session.get(Person, assignment.helper_id) if assignment else None
        ack = self.session.get(Person, alert.acknowledged_by) if alert.acknowledged_by else None
        measures = [
            {
                "kind": m.kind,
                "responsible": m.responsible,
                "taken_on": m.taken_on,
                "note": m.note,
                "status": m.status,
            }
            for m in Measures(self.session).of_alert(alert.id)
        ]
        return AlertView(
            delivered=self._delivered(alert),
            id=alert.id,
            status=alert.status,
            household_id=household.id,
            household_number=household.number,
            head_name=household.head_name,
            village_id=village.id,
            village_name=village.name,
            township_id=township.id,
            township_name=township.name,
            helper_name=helper.name if helper else None,
            reasons=list(checkin.reasons or []),
            red_codes=list(alert.red_codes or []),
            opened_at=alert.opened_at,
            acknowledged_by=ack.name if ack else None,
            acknowledged_at=alert.acknowledged_at,
            closed_at=alert.closed_at,
            close_reason=alert.close_reason,
            measures=measures,
        )

    def _delivered(self, alert: Alert) -> int:
        """Delivered measures (已落实) recorded for the warning, or for its household without
        a warning and delivered while the warning was open (by the UTC dates: a day's slack)."""
        during = and_(
            Measure.alert_id.is_(None),
            Measure.taken_on >= alert.opened_at.date(),
            *([Measure.taken_on <= alert.closed_at.date()] if alert.closed_at else []),
        )
        return int(
            self.session.scalar(
                select(func.count(Measure.id)).where(
                    Measure.household_id == alert.household_id,
                    Measure.status == Status.DONE.value,
                    or_(Measure.alert_id == alert.id, during),
                )
            )
            or 0
        )

    def open_unacknowledged_since(self, before: datetime) -> Sequence[Alert]:
        return self.session.scalars(
            select(Alert)
            .join(Household, Household.id == Alert.household_id)
            .join(Village, Village.id == Household.village_id)
            .where(
                Alert.status == "open",
                Alert.acknowledged_by.is_(None),
                Alert.opened_at <= before,
                serving_of(self.session).where(Village.township_id),  # this bot's townships
            )
            .order_by(Alert.id)
        ).all()

    def escalate(self, *, now: datetime, after: timedelta, day: date) -> int:
        """Queue a reminder to the township group for each open alert not acknowledged within
        `after`; once per alert and day (the key says so). Returns how many were queued."""
        queued = 0
        bindings = Bindings(self.session)
        for alert in self.open_unacknowledged_since(now - after):
            household = self.session.get(Household, alert.household_id)
            assert household is not None
            village = self.session.get(Village, household.village_id)
            assert village is not None
            group = bindings.active_for(village.township_id, None)
            if group is None:
                continue
            if Outbox(self.session).enqueue(
                key=f"alert:{alert.id}:esc:{day.isoformat()}:{group.chat_id}",
                kind="escalation",
                chat_id=group.chat_id,
                alert_id=alert.id,
                now=now,
            ):
                queued += 1
        return queued

    def open_for_number(self, number: str) -> tuple[Household | None, Alert | None]:
        household = self.session.scalar(select(Household).where(Household.number == number))
        return household, (self.open_for(household.id) if household else None)
