"""A red warning's buttons, the measure conversation and /resolve on the neutral engine."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.replies import Edit, Say, Toast
from conversations.engine.services import Services
from conversations.warnings.flow import resolve, warning_pressed
from storage.models import Alert, Draft, OutboxMessage
from storage.models_measures import Measure
from storage.outbox import Outbox
from tests.flows.conftest import Runner
from tests.small_town import HEAD, STAFF, TOWNSHIP_GROUP, VILLAGE_GROUP, A, B, at, green_checkin

TUESDAY = at("2026-11-24T10:00")


def delivered(factory: sessionmaker[Session]) -> dict[int, int]:
    """Mark the warning's queued copies sent, as the outbox worker would: chat -> message id."""
    with factory() as s, s.begin():
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "alert")).all()
        Outbox(s).sent([(row.id, 1000 + row.id) for row in rows], now=TUESDAY)
        return {row.chat_id: 1000 + row.id for row in rows}


async def test_acknowledge_record_a_measure_and_resolve(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    green_checkin(town, "H1", TUESDAY, food=False)  # red: food
    copies = delivered(town)
    assert set(copies) == {VILLAGE_GROUP, TOWNSHIP_GROUP}
    with town() as s:
        alert_id = s.scalars(select(Alert.id)).one()
    ack = f"al:ack:{alert_id}"
    on_warning = {"button": ack, "message_id": copies[VILLAGE_GROUP]}

    [elsewhere] = await run.event(warning_pressed, HEAD, VILLAGE_GROUP, button=ack, message_id=1)
    assert isinstance(elsewhere, Toast) and "已失效" in elsewhere.text
    [refused] = await run.event(warning_pressed, A, VILLAGE_GROUP, **on_warning)
    assert isinstance(refused, Toast) and "无权" in refused.text
    # Someone the bot does not know yet (a village head who never wrote to it) is told to
    # link first, not that they have no right; how depends on the platform.
    for stranger, how in ((999, "分享手机号"), (2**53 + 999, "钉钉手机号")):
        [unknown] = await run.event(warning_pressed, stranger, VILLAGE_GROUP, **on_warning)
        assert isinstance(unknown, Toast) and unknown.text.startswith("尚未关联您的账号")
        assert how in unknown.text and "无权" not in unknown.text
        measure_data = {**on_warning, "button": f"al:m:{alert_id}"}
        [unknown] = await run.event(warning_pressed, stranger, VILLAGE_GROUP, **measure_data)
        assert isinstance(unknown, Toast) and unknown.text.startswith("尚未关联您的账号")
    toast, *edits = await run.event(warning_pressed, HEAD, VILLAGE_GROUP, **on_warning)
    assert isinstance(toast, Toast) and toast.text == "已确认。"
    assert {(e.chat_id, e.message_id) for e in edits if isinstance(e, Edit)} == {
        (chat, message) for chat, message in copies.items()
    }
    assert all(isinstance(e, Edit) and e.best_effort and "村长甲" in e.text for e in edits)
    [again] = await run.event(warning_pressed, STAFF, VILLAGE_GROUP, **on_warning)
    assert isinstance(again, Toast) and again.text == "此前已确认。"

    # Record measure: the household's helper may; the conversation goes private.
    measure = {"button": f"al:m:{alert_id}", "message_id": copies[VILLAGE_GROUP]}
    [no] = await run.event(warning_pressed, B, VILLAGE_GROUP, **measure)
    assert isinstance(no, Toast) and "无权" in no.text
    ask, sent = await run.event(warning_pressed, A, VILLAGE_GROUP, **measure)
    assert isinstance(ask, Say) and ask.chat_id == A and ask.if_refused is not None
    assert ask.keyboard[0][0].data == "ms:k:relief"  # food fails: temporary relief first
    assert isinstance(sent, Toast)

    assert "请按下方按钮" in (await run.answer(A, text="发了米"))[0].text
    [units] = await run.answer(A, button="ms:k:relief")
    assert isinstance(units, Say) and "哪个单位" in units.text
    assert units.keyboard[0][0].label == "镇民政办"  # the seed's unit for temporary relief
    [unknown] = await run.answer(A, text="镇财政所")  # no such unit in the roster
    assert isinstance(unknown, Say) and "名册中没有" in unknown.text
    [note] = await run.answer(A, text="镇民政办")
    assert isinstance(note, Say) and "办理什么" in note.text
    [amount] = await run.answer(A, text="发放临时救助金")
    assert isinstance(amount, Say) and "金额" in amount.text
    [bad_amount] = await run.answer(A, text="很多")
    assert isinstance(bad_amount, Say) and "金额" in bad_amount.text
    [deadline] = await run.answer(A, text="2千")
    assert isinstance(deadline, Say) and "完成" in deadline.text
    [bad_day] = await run.answer(A, text="2026-11-01")  # the past is no deadline
    assert isinstance(bad_day, Say) and "日期" in bad_day.text
    done, *refresh = await run.answer(A, text="12-10")
    assert isinstance(done, Say) and "已交给 镇民政办" in done.text and "/tasks" in done.text
    assert refresh and all(isinstance(e, Edit) and "1 项帮扶措施" in e.text for e in refresh)
    [nothing] = await run.answer(A, text="你好")  # nothing open any more
    assert isinstance(nothing, Say) and "没看懂" in nothing.text
    with town() as s:
        [stored] = s.scalars(select(Measure)).all()
        assert (
            stored.kind,
            stored.responsible,
            stored.note,
            stored.amount,
            str(stored.deadline),
            stored.status,
            stored.taken_on,
        ) == ("relief", "镇民政办", "发放临时救助金", 2000, "2026-12-10", "pending", None)
        assert not s.scalars(select(Draft)).all()

    # /resolve closes it; every copy shows it closed, an all-clear is queued.
    [refused_resolve] = await run.text(resolve, HEAD, "/resolve H1")
    assert isinstance(refused_resolve, Say) and "只有乡镇干部" in refused_resolve.text
    *closed, said = await run.text(resolve, STAFF, "/resolve H1")
    assert isinstance(said, Say) and "已解除" in said.text
    assert closed and all(isinstance(e, Edit) and e.keyboard == () for e in closed)
    with town() as s:
        kinds = s.scalars(select(OutboxMessage.kind)).all()
    assert kinds.count("all_clear") == 2


async def test_a_warning_pressed_the_moment_it_arrives_waits_for_its_mark(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    """Marks are written in batches: a copy Telegram has shown may not be marked sent yet
    (status sending). A press on it then waits for the mark instead of calling it stale."""
    import asyncio

    services.clock = lambda: TUESDAY
    green_checkin(town, "H1", TUESDAY, food=False)  # red: food
    with town() as s, s.begin():
        alert_id = s.scalars(select(Alert.id)).one()
        row = s.scalars(
            select(OutboxMessage).where(
                OutboxMessage.kind == "alert", OutboxMessage.chat_id == VILLAGE_GROUP
            )
        ).one()
        row.status, row_id = "sending", row.id  # claimed and sent; not marked yet

    async def marked_later() -> None:
        await asyncio.sleep(0.3)
        with town() as s, s.begin():
            Outbox(s).sent([(row_id, 4242)], now=TUESDAY)

    pressed = run.event(
        warning_pressed, HEAD, VILLAGE_GROUP, button=f"al:ack:{alert_id}", message_id=4242
    )
    replies, _ = await asyncio.gather(pressed, marked_later())
    assert not any(isinstance(r, Toast) and "已失效" in r.text for r in replies), replies
    with town() as s:
        assert s.scalars(select(Alert.acknowledged_by)).one() is not None
