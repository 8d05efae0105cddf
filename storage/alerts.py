"""Group bindings, red alerts, the outbox and help measures. Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import insert, or_, select, update
from sqlalchemy.orm import Session

from monitoring.i18n import N_
from monitoring.people import Role
from monitoring.risk import Assessment, Level
from monitoring.warnings import (
    Actor,
    WarningStep,
    after_checkin,
    may_act_on_warning,
    may_record_measure,
    may_see_household,
)
from storage.models import (
    Alert,
    CheckIn,
    GroupBinding,
    HelperAssignment,
    Household,
    Measure,
    MeasureDraft,
    OutboxMessage,
    Person,
    Township,
    Village,
)
from storage.repositories import Audit

ACTIVE, BROKEN, ENDED = "active", "broken", "ended"


# ----------------------------------------------------------------------------- bindings


class Bindings:
    def __init__(self, session: Session) -> None:
        self.session = session

    def active_for(self, township_id: int, village_id: int | None) -> GroupBinding | None:
        return self.session.scalar(
            select(GroupBinding).where(
                GroupBinding.township_id == township_id,
                GroupBinding.village_id.is_(None)
                if village_id is None
                else GroupBinding.village_id == village_id,
                GroupBinding.status == ACTIVE,
            )
        )

    def of_chat(self, chat_id: int) -> GroupBinding | None:
        """The chat's binding that is active (or broken: the bot was removed)."""
        return self.session.scalar(
            select(GroupBinding)
            .where(GroupBinding.chat_id == chat_id, GroupBinding.status.in_((ACTIVE, BROKEN)))
            .order_by(GroupBinding.id.desc())
        )

    def describe(self, binding: GroupBinding) -> str:
        township = self.session.get(Township, binding.township_id)
        village = self.session.get(Village, binding.village_id) if binding.village_id else None
        return (township.name if township else "?") + ("/" + village.name if village else "")

    def bind(
        self,
        *,
        chat_id: int,
        title: str | None,
        township_id: int,
        village_id: int | None,
        by: Person,
        now: datetime,
    ) -> GroupBinding:
        """Make the chat the group of the target; end what either was bound to before."""
        audit = Audit(self.session)
        actor = f"person:{by.id}"
        for old in (self.of_chat(chat_id), self.active_for(township_id, village_id)):
            if old is not None and old.status != ENDED:
                old.status, old.ended_at = ENDED, now
                audit.record(
                    now=now,
                    actor=actor,
                    action="unbind",
                    entity="group",
                    key=str(old.chat_id),
                    field="target",
                    old=self.describe(old),
                )
        self.session.flush()
        binding = GroupBinding(
            chat_id=chat_id,
            title=title,
            township_id=township_id,
            village_id=village_id,
            status=ACTIVE,
            bound_by=by.id,
            bound_at=now,
        )
        self.session.add(binding)
        self.session.flush()
        audit.record(
            now=now,
            actor=actor,
            action="bind",
            entity="group",
            key=str(chat_id),
            field="target",
            new=self.describe(binding),
        )
        return binding

    def end(self, binding: GroupBinding, *, status: str, now: datetime, actor: str) -> None:
        old = binding.status
        binding.status = status
        binding.ended_at = now
        Audit(self.session).record(
            now=now,
            actor=actor,
            action="unbind" if status == ENDED else "broken",
            entity="group",
            key=str(binding.chat_id),
            field="status",
            old=old,
            new=status,
        )

    def migrate(self, old_chat: int, new_chat: int, *, now: datetime) -> GroupBinding | None:
        """A group upgraded to a supergroup keeps its binding under the new id."""
        binding = self.of_chat(old_chat)
        if binding is None:
            return None
        Audit(self.session).update_fields(
            binding,
            {"chat_id": new_chat},
            now=now,
            actor="telegram",
            entity="group",
            key=str(old_chat),
        )
        self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.chat_id == old_chat, OutboxMessage.status.in_(("pending", "sending"))
            )
            .values(chat_id=new_chat)
        )
        return binding

    def township_staff(self, township_id: int) -> Sequence[Person]:
        return self.session.scalars(
            select(Person)
            .where(
                Person.township_id == township_id,
                Person.role == Role.TOWNSHIP_STAFF.value,
                Person.telegram_user_id.is_not(None),
            )
            .order_by(Person.id)
        ).all()


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
        assert alert is not None or decision.step is WarningStep.NONE
        if decision.step is WarningStep.WIDEN and alert is not None:
            audit.update_fields(
                alert,
                {"red_codes": list(decision.red_codes), "checkin_id": row.id},
                now=now,
                actor=actor,
                entity="alert",
                key=household.number,
            )
            return self._post(alert, household, "alert_update", f"c{row.id}", now)
        if decision.step is WarningStep.CLOSE and alert is not None:
            return self.close(alert, by=None, reason="green", now=now, actor=actor)
        return AlertChange(None, alert.id if alert else None)

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
            {"kind": m.kind, "responsible": m.responsible, "taken_on": m.taken_on, "note": m.note}
            for m in Measures(self.session).of_alert(alert.id)
        ]
        return AlertView(
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

    def open_unacknowledged_since(self, before: datetime) -> Sequence[Alert]:
        return self.session.scalars(
            select(Alert)
            .where(
                Alert.status == "open", Alert.acknowledged_by.is_(None), Alert.opened_at <= before
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


# ----------------------------------------------------------------------------- outbox


class Outbox:
    def __init__(self, session: Session) -> None:
        self.session = session

    def enqueue(
        self,
        *,
        key: str,
        kind: str,
        chat_id: int,
        now: datetime,
        alert_id: int | None = None,
        payload: dict[str, Any] | None = None,
    ) -> bool:
        """Queue a message unless one with this key exists. Returns whether it was added."""
        if self.session.scalar(select(OutboxMessage.id).where(OutboxMessage.key == key)):
            return False
        self.session.add(
            OutboxMessage(
                key=key,
                kind=kind,
                alert_id=alert_id,
                chat_id=chat_id,
                payload=payload or {},
                status="pending",
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        self.session.flush()
        return True

    def enqueue_many(self, messages: list[dict[str, Any]], *, now: datetime) -> int:
        """Queue many messages at once (a job's thousands): each a dict of key, kind,
        chat_id, payload; those whose key exists are skipped. Returns how many were added.
        One look-up per 500 keys and one bulk insert, not a query and a flush each."""
        keys = [m["key"] for m in messages]
        existing: set[str] = set()
        for start in range(0, len(keys), 500):
            existing.update(
                self.session.scalars(
                    select(OutboxMessage.key).where(
                        OutboxMessage.key.in_(keys[start : start + 500])
                    )
                )
            )
        new = [
            {
                "key": m["key"],
                "kind": m["kind"],
                "alert_id": None,
                "chat_id": m["chat_id"],
                "payload": m.get("payload") or {},
                "status": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            }
            for m in messages
            if m["key"] not in existing
        ]
        if new:
            self.session.execute(insert(OutboxMessage), new)
        return len(new)

    def due(
        self, now: datetime, *, stale_after: timedelta, limit: int = 50
    ) -> list[tuple[int, int]]:
        """(id, chat) of rows to send, oldest first: pending and due, or claimed by a worker
        that died. A row never tried is due at once (it may carry the time of another clock,
        such as a job's --at); retry times are set by the worker's own clock."""
        return [
            (int(row_id), int(chat_id))
            for row_id, chat_id in self.session.execute(
                select(OutboxMessage.id, OutboxMessage.chat_id)
                .where(
                    or_(
                        (OutboxMessage.status == "pending")
                        & ((OutboxMessage.attempts == 0) | (OutboxMessage.next_attempt_at <= now)),
                        (OutboxMessage.status == "sending")
                        & (OutboxMessage.claimed_at <= now - stale_after),
                    )
                )
                .order_by(OutboxMessage.id)
                .limit(limit)
            )
        ]

    def claim(self, row_id: int, now: datetime, *, stale_after: timedelta) -> bool:
        """Take the row for sending; False when another worker has it or it is done."""
        result = self.session.execute(
            update(OutboxMessage)
            .where(
                OutboxMessage.id == row_id,
                or_(
                    OutboxMessage.status == "pending",
                    (OutboxMessage.status == "sending")
                    & (OutboxMessage.claimed_at <= now - stale_after),
                ),
            )
            .values(status="sending", claimed_at=now, attempts=OutboxMessage.attempts + 1)
        )
        return int(getattr(result, "rowcount", 0) or 0) == 1

    def get(self, row_id: int) -> OutboxMessage | None:
        return self.session.get(OutboxMessage, row_id)

    def sent(self, row_id: int, *, message_id: int, now: datetime) -> None:
        self.session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row_id)
            .values(status="sent", message_id=message_id, sent_at=now, last_error=None)
        )

    def retry_at(self, row_id: int, at: datetime, error: str) -> None:
        row = self.session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.next_attempt_at, row.last_error = "pending", at, error[:500]

    def failed(self, row_id: int, error: str) -> None:
        row = self.session.get(OutboxMessage, row_id)
        assert row is not None
        row.status, row.last_error = "failed", error[:500]

    def sent_for_alert(self, alert_id: int) -> list[tuple[int, int, str]]:
        """(chat, message id, kind) of every message sent about the alert."""
        rows = self.session.execute(
            select(OutboxMessage.chat_id, OutboxMessage.message_id, OutboxMessage.kind)
            .where(
                OutboxMessage.alert_id == alert_id,
                OutboxMessage.status == "sent",
                OutboxMessage.message_id.is_not(None),
            )
            .order_by(OutboxMessage.id)
        ).all()
        return [(int(c), int(m or 0), str(k)) for c, m, k in rows]


# ----------------------------------------------------------------------------- measures


class Measures:
    def __init__(self, session: Session) -> None:
        self.session = session

    def add(
        self,
        *,
        alert: Alert,
        kind: str,
        responsible: str,
        note: str | None,
        taken_on: date,
        by: Person,
        now: datetime,
    ) -> Measure:
        measure = Measure(
            household_id=alert.household_id,
            alert_id=alert.id,
            kind=kind,
            responsible=responsible,
            note=note,
            taken_on=taken_on,
            recorded_by=by.id,
            recorded_at=now,
        )
        self.session.add(measure)
        self.session.flush()
        household = self.session.get(Household, alert.household_id)
        Audit(self.session).record(
            now=now,
            actor=f"person:{by.id}",
            action="measure",
            entity="household",
            key=household.number if household else str(alert.household_id),
            field="measure",
            new=f"#{measure.id} {kind} / {responsible} / {taken_on.isoformat()}",
        )
        return measure

    def of_alert(self, alert_id: int) -> Sequence[Measure]:
        return self.session.scalars(
            select(Measure).where(Measure.alert_id == alert_id).order_by(Measure.id)
        ).all()

    def of_household(self, household_id: int) -> Sequence[Measure]:
        return self.session.scalars(
            select(Measure).where(Measure.household_id == household_id).order_by(Measure.id)
        ).all()

    def draft(self, person_id: int) -> MeasureDraft | None:
        return self.session.get(MeasureDraft, person_id)

    def drop_draft(self, person_id: int) -> bool:
        """Forget the person's measure being recorded; False when there was none."""
        draft = self.draft(person_id)
        if draft is None:
            return False
        self.session.delete(draft)
        return True

    def start_draft(self, person_id: int, alert_id: int, *, now: datetime) -> MeasureDraft:
        existing = self.draft(person_id)
        if existing is not None:
            self.session.delete(existing)
            self.session.flush()
        draft = MeasureDraft(person_id=person_id, alert_id=alert_id, answers={}, started_at=now)
        self.session.add(draft)
        return draft


def actor_of(person: Person) -> Actor:
    return Actor(person.id, Role(person.role), person.township_id, person.village_id)


def tell_staff_group_lost(
    session: Session,
    township_id: int,
    binding_id: int,
    target: str,
    title: str | None,
    now: datetime,
) -> None:
    """Queue a private notice to each registered township staff member."""
    outbox = Outbox(session)
    for person in Bindings(session).township_staff(township_id):
        assert person.telegram_user_id is not None
        outbox.enqueue(
            key=f"lost:{binding_id}:{person.id}",
            kind="notice",
            chat_id=person.telegram_user_id,
            now=now,
            payload={
                "text": N_(
                    "The bot can no longer post in the group “{title}” ({target}): it "
                    "was removed, blocked or lost the right to send messages. Until the bot "
                    "is back with that right and someone sends /bind there, its red "
                    "warnings go to the township group (or to you privately)."
                ),
                "params": {"title": title or "?", "target": target},
            },
        )


@dataclass(frozen=True)
class HouseholdHistory:
    number: str
    head_name: str
    village_name: str
    checkins: list[tuple[str, str, datetime]]  # week, level, entered at
    alerts: list[tuple[int, datetime, str, datetime | None, datetime | None]]
    measures: list[tuple[str, str, date, str | None]]  # kind, responsible, taken on, note


def household_history(
    session: Session, number: str, viewer: Person, *, limit: int = 8
) -> HouseholdHistory | None:
    """The household's recent check-ins, alerts and measures, if `viewer` may see them:
    its helper, the village head of its village, or township staff of its township."""
    household = session.scalar(select(Household).where(Household.number == number))
    if household is None:
        return None
    village = session.get(Village, household.village_id)
    assert village is not None
    assignment = session.get(HelperAssignment, household.id)
    helper_id = assignment.helper_id if assignment else None
    if not may_see_household(actor_of(viewer), village.township_id, village.id, helper_id):
        return None
    checkins = session.execute(
        select(CheckIn.week, CheckIn.level, CheckIn.entered_at)
        .where(CheckIn.household_id == household.id, CheckIn.is_current)
        .order_by(CheckIn.week.desc())
        .limit(limit)
    ).all()
    alerts = session.scalars(
        select(Alert)
        .where(Alert.household_id == household.id)
        .order_by(Alert.id.desc())
        .limit(limit)
    ).all()
    measures = Measures(session).of_household(household.id)
    return HouseholdHistory(
        household.number,
        household.head_name,
        village.name,
        [(w, lv, at) for w, lv, at in checkins],
        [(a.id, a.opened_at, a.status, a.acknowledged_at, a.closed_at) for a in alerts],
        [(m.kind, m.responsible, m.taken_on, m.note) for m in measures[-limit:]],
    )
