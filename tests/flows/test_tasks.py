"""Help measures as tasks: recorded from a red warning for a unit, listed by that unit's staff
with /tasks, moved to 办理中 and 已落实 (or refused with a reason), the household's helper and
village head told privately."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Edit, Say, SetMenu, Toast
from conversations.engine.services import Services
from conversations.people.registration import contact
from conversations.tasks.flow import task_pressed, tasks
from conversations.warnings.flow import warning_pressed
from conversations.warnings.texts import notice_text
from storage.measures import Measures
from storage.models import Alert, AuditEntry, OutboxMessage, Person
from storage.models_measures import Measure
from storage.payloads import Notice
from storage.repositories import People
from storage.roster import import_roster
from tests.flows.conftest import Runner
from tests.flows.test_warnings_and_measures import TUESDAY, delivered
from tests.small_town import HEAD, TOWNSHIP_GROUP, VILLAGE_GROUP, A, B, at, green_checkin

CIVIL, SOCIAL = 606, 607  # 镇民政办's and 镇社保所's staff


def with_units(town: sessionmaker[Session], tmp_path: Path) -> None:
    staff = tmp_path / "units.csv"
    staff.write_text(
        "姓名,电话,角色,乡镇,村,单位\n钱民政,13600000001,部门干部,龙溪镇,,镇民政办\n"
        "孙社保,13600000002,部门干部,龙溪镇,,镇社保所\n",
        encoding="utf-8",
    )
    now = at("2026-11-01T08:00")
    with town() as s, s.begin():
        import_roster(s, [staff], now=now, actor="test")
        people = People(s)
        for user_id, phone in ((CIVIL, "+8613600000001"), (SOCIAL, "+8613600000002")):
            person = people.by_phone(phone)
            assert person is not None
            people.link_account(person, user_id, now=now, actor="test")


def notices(town: sessionmaker[Session], services: Services, what: str = "") -> dict[int, str]:
    """The queued private notices about measures (`what`: given, done, refused; "": the
    changes of status): chat -> text (zh_CN)."""
    with town() as s:
        rows = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "notice", OutboxMessage.key.like("measure:%")
            )
        ).all()
        rows = [r for r in rows if (f":{what}:" in r.key if what else ":given:" not in r.key)]
        return {
            r.chat_id: notice_text(Notice.model_validate(r.payload), services.translations.get())
            for r in rows
        }


async def test_unit_staff_register_like_everyone_and_get_tasks_in_their_menu(
    run: Runner, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_units(town, tmp_path)
    hello, _, menu = await run.contact(contact, 608, "+8613600000002", owner=608)
    assert isinstance(hello, Say) and "孙社保" in hello.text
    assert isinstance(menu, SetMenu) and "tasks" in [c for c, _ in menu.commands]


async def test_a_measure_travels_from_the_village_head_to_the_unit_and_back(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_units(town, tmp_path)
    services.clock = lambda: TUESDAY
    green_checkin(town, "H1", TUESDAY, food=False)  # red: food
    copies = delivered(town)
    with town() as s:
        alert_id = s.scalars(select(Alert.id)).one()

    # The village head records a temporary-relief measure for 镇民政办 from the warning.
    pressed = {"button": f"al:m:{alert_id}", "message_id": copies[VILLAGE_GROUP]}
    ask, _ = await run.event(warning_pressed, HEAD, VILLAGE_GROUP, **pressed)
    assert isinstance(ask, Say) and ask.chat_id == HEAD
    [units] = await run.answer(HEAD, button="ms:k:relief")
    assert isinstance(units, Say)
    labels = [b.label for row in units.keyboard for b in row]
    assert labels[0] == "镇民政办" and "镇社保所" in labels
    civil = next(b.data for row in units.keyboard for b in row if b.label == "镇民政办")
    await run.answer(HEAD, button=civil)
    await run.answer(HEAD, text="发放临时救助金")
    [deadline] = await run.answer(HEAD, text="2000")
    assert isinstance(deadline, Say) and deadline.keyboard[0][0].label == "7 天内"
    saved, *_ = await run.answer(HEAD, button=deadline.keyboard[0][0].data)
    assert isinstance(saved, Say) and "已交给 镇民政办" in saved.text
    given = notices(town, services, "given")
    assert set(given) == {CIVIL}  # the unit's staff, privately; not 镇社保所, not the head
    assert "H1" in given[CIVIL] and "临时救助" in given[CIVIL] and "/tasks" in given[CIVIL]
    assert "2000" not in given[CIVIL]

    # 镇社保所 has nothing to do; 镇民政办 lists it, with the amount (its own private chat).
    [none] = await run.text(tasks, SOCIAL, "/tasks")
    assert isinstance(none, Say) and "没有需要落实" in none.text
    head, task = await run.text(tasks, CIVIL, "/tasks")
    assert isinstance(head, Say) and "1 项" in head.text
    assert isinstance(task, Say)
    assert "H1" in task.text and "临时救助" in task.text and "2,000" in task.text
    assert "2026年12月1日" in task.text and "待办理" in task.text
    with town() as s:
        measure_id = s.scalars(select(Measure.id)).one()
    buttons = [b.data for row in task.keyboard for b in row]
    assert buttons == [
        f"tk:s:{measure_id}:in_progress",
        f"tk:s:{measure_id}:done",
        f"tk:x:{measure_id}",
    ]

    # Someone else's press (another unit, forged data) changes nothing.
    [no] = await run.event(task_pressed, SOCIAL, SOCIAL, button=f"tk:s:{measure_id}:done")
    assert isinstance(no, Toast) and "不由您落实" in no.text

    # In progress, then delivered: the message follows; the helper and the head are told.
    toast, edit = await run.event(
        task_pressed, CIVIL, CIVIL, button=f"tk:s:{measure_id}:in_progress"
    )
    assert isinstance(toast, Toast) and isinstance(edit, Edit) and "办理中" in edit.text
    assert notices(town, services) == {}  # nobody is told of "in progress"
    toast, edit = await run.event(task_pressed, CIVIL, CIVIL, button=f"tk:s:{measure_id}:done")
    assert isinstance(edit, Edit) and "已落实" in edit.text and edit.keyboard == ()
    [late] = await run.event(task_pressed, CIVIL, CIVIL, button=f"tk:s:{measure_id}:done")
    assert isinstance(late, Toast) and "/tasks" in late.text

    told = notices(town, services)
    assert set(told) == {A, HEAD}  # privately: no group, and not the one who acted
    for text in told.values():
        assert text == "✅ H1 户（王大山）的帮扶措施已落实：临时救助，由 镇民政办 落实。"
        assert "2000" not in text and "2,000" not in text
    with town() as s:
        measure = s.get(Measure, measure_id)
        assert measure is not None
        civil_staff = s.scalars(select(Person).where(Person.name == "钱民政")).one()
        assert (measure.status, str(measure.taken_on), measure.status_by) == (
            "done",
            "2026-11-24",
            civil_staff.id,
        )
        changes = s.scalars(
            select(AuditEntry.new_value)
            .where(AuditEntry.action == "measure_status")
            .order_by(AuditEntry.id)
        ).all()
        assert changes == ["in_progress", "done"]
        groups = s.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id.in_([VILLAGE_GROUP, TOWNSHIP_GROUP]))
        ).all()
        assert all("2000" not in str(row.payload) for row in groups)
    [nothing] = await run.text(tasks, CIVIL, "/tasks")
    assert "没有需要落实" in nothing.text  # type: ignore[union-attr]


async def test_a_refusal_takes_a_reason_and_the_village_and_helper_tasks_are_theirs(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_units(town, tmp_path)
    services.clock = lambda: TUESDAY
    green_checkin(town, "H1", TUESDAY, food=False)
    with town() as s, s.begin():
        alert = s.scalars(select(Alert)).one()
        head = s.scalars(select(Person).where(Person.name == "村长甲")).one()
        measures = Measures(s)
        ids = [
            measures.add(
                alert=alert, kind=kind, responsible=unit, note=None, by=head, now=TUESDAY
            ).id
            for kind, unit in (
                ("protection", "镇民政办"),
                ("industry", "各村"),
                ("other", "帮扶责任人"),
            )
        ]
    # The village head carries out 各村's, the household's helper 帮扶责任人's; not another.
    _, village_task = await run.text(tasks, HEAD, "/tasks")
    assert f"措施 {ids[1]}" in village_task.text  # type: ignore[union-attr]
    _, helper_task = await run.text(tasks, A, "/tasks")
    assert f"措施 {ids[2]}" in helper_task.text  # type: ignore[union-attr]
    [none] = await run.text(tasks, B, "/tasks")
    assert "没有需要落实" in none.text  # type: ignore[union-attr]

    # 镇民政办 refuses its measure: the reason is asked for, and must be words.
    _, ask = await run.event(task_pressed, CIVIL, CIVIL, button=f"tk:x:{ids[0]}")
    assert isinstance(ask, Say) and "原因" in ask.text
    [short] = await run.answer(CIVIL, text="否")
    assert isinstance(short, Say) and "理由" in short.text
    [done] = await run.answer(CIVIL, text="家庭收入超过低保标准")
    assert isinstance(done, Say) and "未通过" in done.text
    with town() as s:
        measure = s.get(Measure, ids[0])
        assert measure is not None
        assert (measure.status, measure.reason) == ("refused", "家庭收入超过低保标准")
    told = notices(town, services)
    assert set(told) == {A, HEAD}
    assert "未通过" in told[A] and "家庭收入超过低保标准" in told[A] and "综合保障" in told[A]
