"""The measure-reminders job against the real database: an open measure's carriers are told
privately once when it is soon due (即将到期) and once more when overdue (已逾期), never for
one delivered or refused; a household just identified with no measure after `plan_days`
is reminded to its helper and village head once."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from conversations.proposals import steps
from conversations.reports.job_texts import render_job
from monitoring.measures import Status
from monitoring.proposals import Status as Step
from scheduler.measures import measure_reminders
from storage.measures import Measures
from storage.models import Household, OutboxMessage, Person, Proposal
from storage.payloads import parse
from tests.db.test_cadence import NOTHING_TO_WAKE, tx_of
from tests.flows.test_proposal_races import LATER, proposal_at
from tests.flows.test_tasks import CIVIL, SOCIAL, with_units
from tests.small_town import HEAD, SHANGHAI, STAFF, A, at

TUESDAY = at("2026-11-24T10:00")


def person(s: Session, user: int) -> Person:
    return s.scalars(select(Person).where(Person.platform_user_id == user)).one()


def told(factory: sessionmaker[Session], kind: str) -> set[tuple[int, int]]:
    """(measure or household id, chat) of the job's rows of `kind`."""
    with factory() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)).all()
        key = "measure" if kind == "measure_due" else "household"
        return {(int(r.payload[key]), r.chat_id) for r in rows}


def registered(s: Session, proposal_id: int) -> Household:
    """The household the county's approval registered (its number follows the proposal's id)."""
    proposal = s.get(Proposal, proposal_id)
    assert proposal is not None
    household = s.get(Household, proposal.household_id)
    assert household is not None
    return household


def stages(factory: sessionmaker[Session]) -> dict[tuple[int, int], list[str]]:
    with factory() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "measure_due")).all()
        out: dict[tuple[int, int], list[str]] = {}
        for r in sorted(rows, key=lambda r: r.id):
            out.setdefault((int(r.payload["measure"]), r.chat_id), []).append(r.payload["stage"])
        return out


async def test_deadline_reminders_before_after_once_and_not_for_closed_measures(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_units(town, tmp_path)
    tx = tx_of(town)
    with town() as s, s.begin():
        h1 = s.scalars(select(Household).where(Household.number == "H1")).one()
        head = person(s, HEAD)
        measures = Measures(s)

        def add(kind: str, unit: str, due: date | None, amount: int | None = None) -> int:
            return measures.add(
                household_id=h1.id,
                kind=kind,
                responsible=unit,
                note=None,
                by=head,
                now=TUESDAY,
                deadline=due,
                amount=Decimal(amount) if amount else None,
            ).id

        civil = add("relief", "镇民政办", date(2026, 11, 27), 2000)
        village = add("industry", "各村", date(2026, 11, 27))
        helper = add("other", "帮扶责任人", date(2026, 11, 30))
        delivered = add("relief", "镇民政办", date(2026, 11, 26))
        refused = add("protection", "镇民政办", date(2026, 11, 26))
        add("other", "各村", None)  # no deadline: never reminded
        staff = person(s, STAFF)
        for measure_id, to, reason in (
            (delivered, Status.DONE, None),
            (refused, Status.REFUSED, "x"),
        ):
            found = measures.get(measure_id)
            assert found is not None
            measures.set_status(found, to, reason, by=staff, now=TUESDAY, today=TUESDAY.date())

    async def run(day: str) -> int:
        return await measure_reminders(at(f"{day}T09:30"), tx, NOTHING_TO_WAKE, tz=SHANGHAI)

    assert await run("2026-11-24") == 0  # three days ahead: not yet
    assert await run("2026-11-25") == 2  # two days ahead: soon due, to each carrier
    assert stages(town) == {(civil, CIVIL): ["soon"], (village, HEAD): ["soon"]}
    assert await run("2026-11-25") == 0  # not twice
    assert await run("2026-11-26") == 0  # the same stage: not again
    assert await run("2026-11-28") == 3  # overdue: once more; the helper's now soon due
    assert stages(town) == {
        (civil, CIVIL): ["soon", "overdue"],
        (village, HEAD): ["soon", "overdue"],
        (helper, A): ["soon"],
    }
    assert await run("2026-12-05") == 1  # the helper's overdue; nothing else, ever again
    assert await run("2026-12-06") == 0
    assert SOCIAL not in {chat for _, chat in told(town, "measure_due")}
    assert {m for m, _ in told(town, "measure_due")} == {civil, village, helper}

    t = load_translations("zh_CN").get()
    with town() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == "measure_due", OutboxMessage.chat_id == CIVIL)
            .order_by(OutboxMessage.id)
        ).all()
        soon, overdue = (render_job(r.kind, parse(r.kind, r.payload), t) for r in rows)
    assert soon[0].startswith("⏰ 即将到期：H1 户（王大山）的帮扶措施")
    assert "临时救助" in soon[0] and "镇民政办" in soon[0] and "2026年11月27日" in soon[0]
    assert overdue[0].startswith("⚠️ 已逾期：") and "/tasks" in overdue[0]
    assert all("2000" not in text and "2,000" not in text for text, _ in (soon, overdue))


async def test_a_new_household_with_no_measure_is_reminded_once_after_plan_days(
    town: sessionmaker[Session],
) -> None:
    tx = tx_of(town)
    pid = proposal_at(town, Step.HELPER)  # registered on 2026-11-30
    with town() as s, s.begin():
        steps.assign(s, pid, person(s, STAFF), person(s, A).id, LATER)
        household = registered(s, pid)
        hid, number = household.id, household.number
    first = LATER.date()

    async def run(days: int, plan_days: int = 3) -> int:
        now = at(f"{(first + timedelta(days=days)).isoformat()}T09:30")
        return await measure_reminders(now, tx, NOTHING_TO_WAKE, tz=SHANGHAI, plan_days=plan_days)

    assert await run(2) == 0  # before plan_days
    assert await run(3) == 2  # the helper and the village head, privately
    assert told(town, "plan_reminder") == {(hid, A), (hid, HEAD)}
    assert await run(4) == 0  # once
    t = load_translations("zh_CN").get()
    with town() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "plan_reminder")).first()
        assert row is not None
        text, keyboard = render_job(row.kind, parse(row.kind, row.payload), t)
    assert f"{number} 户（刘大海）纳入监测已 3 天" in text
    assert keyboard[0][0].data == f"hm:s:{hid}"


async def test_no_plan_reminder_once_a_measure_is_recorded_or_with_a_longer_plan_days(
    town: sessionmaker[Session],
) -> None:
    tx = tx_of(town)
    pid = proposal_at(town, Step.HELPER)
    later = at("2026-12-03T09:30")  # three days after
    assert await measure_reminders(later, tx, NOTHING_TO_WAKE, tz=SHANGHAI, plan_days=5) == 0
    with town() as s, s.begin():
        household = registered(s, pid)
        Measures(s).add(
            household_id=household.id,
            kind="relief",
            responsible="镇民政办",
            note=None,
            by=person(s, HEAD),
            now=at("2026-12-01T10:00"),
            deadline=date(2026, 12, 31),
        )
    assert await measure_reminders(later, tx, NOTHING_TO_WAKE, tz=SHANGHAI, plan_days=3) == 0
    assert told(town, "plan_reminder") == set()
