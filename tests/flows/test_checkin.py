"""The check-in on the neutral engine: started by a command or a household button, answered
through the router (typed, photo, buttons), one transaction per answer, handled once."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.start import checkin, household_pressed
from conversations.engine.events import ChatKind, Event
from conversations.engine.replies import Edit, Say, Toast
from conversations.engine.services import Services
from conversations.interrupt import cancel, command_during
from conversations.registry import ROUTER
from conversations.warnings.flow import warning_pressed
from storage.models import Alert, CheckIn, Draft, Household
from storage.models_runs import HandledUpdate
from tests.flows.conftest import Runner
from tests.flows.test_warnings_and_measures import delivered
from tests.small_town import VILLAGE_GROUP, A, at, green_checkin

TUESDAY = at("2026-11-24T10:00")


def household_id(town: sessionmaker[Session], number: str) -> int:
    with town() as s:
        return s.scalars(select(Household.id).where(Household.number == number)).one()


def draft_of(town: sessionmaker[Session], person: int = A) -> Draft | None:
    with town() as s:
        return s.scalars(select(Draft)).first()


def counting(services: Services) -> list[int]:
    """Count the transactions the services run from now on (one entry per transaction)."""
    count: list[int] = []
    original = services.tx

    async def tx(work: Callable[[Session], Any]) -> Any:
        count.append(1)
        return await original(work)

    services.tx = tx  # type: ignore[method-assign]
    return count


async def start_h1(run: Runner, town: sessionmaker[Session]) -> Edit:
    [listing] = await run.text(checkin, A, "/checkin")
    assert isinstance(listing, Say)
    assert any("H1 王大山" in row[0].label for row in listing.keyboard)
    # The list becomes the first question (one message; its other buttons go).
    [first] = await run.event(
        household_pressed,
        A,
        A,
        button=f"ci:hh:{household_id(town, 'H1')}",
        message_text=listing.text,
    )
    assert isinstance(first, Edit) and first.message_id is None and first.keyboard
    return first


async def test_a_whole_check_in_one_transaction_per_answer(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    first = await start_h1(run, town)
    assert "【H1 王大山】" in first.text and "本次走访方式" in first.text
    transactions = counting(services)

    # A button answer: its question message becomes the next question, under a line saying
    # what was answered (one message per answer: the flood limit counts them).
    [members] = await run.answer(A, button="ci:a:visit_method:home", message_text=first.text)
    assert isinstance(members, Edit) and members.message_id is None  # the pressed message
    assert members.text.startswith("✓ 走访方式：入户") and "共同生活" in members.text
    assert "3" in members.keyboard[0][0].label
    assert len(transactions) == 1  # who, the draft, the answer and the update id: together

    [wrong] = await run.answer(A, text="三十五")  # not a number: asked again, nothing stored
    assert isinstance(wrong, Say) and "【H1 王大山】" in wrong.text
    [income] = await run.answer(A, text="3")
    assert isinstance(income, Say) and "收入" in income.text
    # income unchanged, no expenditure, food, clothing, no school child, insurance,
    # treatment, housing, water
    for text in ("否", "否", "是", "是", "否", "是", "是", "是", "是"):
        await run.answer(A, text=text)
    [note] = await run.answer(A, button="ci:a:note:skip")
    assert isinstance(note, Say) and "照片" in note.text
    [summary] = await run.answer(A, photo="photo-file-1")
    assert isinstance(summary, Say) and "请核对" in summary.text
    # one phone screen: answers that belong together share a line, the guarantees one line,
    # the income figure with how it was counted (two)
    assert len(summary.text.splitlines()) == 8
    assert "• 近12个月人均纯收入：7,000 元" in summary.text
    assert "• 吃、穿、义务教育、医疗、住房、饮水：都有保障" in summary.text
    assert [b.data for b in summary.keyboard[0]] == ["ci:ok", "ci:edit"]
    assert len(transactions) == 14

    saved, closed = await run.answer(A, button="ci:ok", message_text=summary.text)
    assert isinstance(saved, Say) and "已保存" in saved.text and "绿色" in saved.text
    # The summary stays as answered, without Confirm / Edit: its screen is used.
    assert isinstance(closed, Edit) and closed.message_id is None  # the pressed message
    assert closed.text == summary.text and closed.keyboard == ()
    with town() as s:
        [row] = s.scalars(select(CheckIn)).all()
        assert (row.visit_method, row.members, row.photo_file_id) == ("home", 3, "photo-file-1")
        assert s.scalars(select(Draft)).first() is None
    # Confirm delivered again after a restart (its answer may have died with the process):
    # it says again that the check-in is saved, and stores nothing twice.
    confirm = Event(run.update_id, A, ChatKind.PRIVATE, A, button="ci:ok", message_text="…")
    again, unbuttoned = await ROUTER.answer(confirm, services)
    assert isinstance(again, Say) and "已保存：H1" in again.text and "风险等级" in again.text
    assert isinstance(unbuttoned, Edit) and unbuttoned.keyboard == ()
    with town() as s:
        assert len(s.scalars(select(CheckIn)).all()) == 1
    # Confirm pressed again (a second tap, an old copy): a toast under the button, no
    # message; the summary it was on loses its buttons.
    stale, gone = await run.answer(A, button="ci:ok", message_text=summary.text)
    assert isinstance(stale, Toast) and "没有进行中的走访记录" in stale.text
    assert isinstance(gone, Edit) and gone.text == summary.text and gone.keyboard == ()
    with town() as s:
        assert len(s.scalars(select(CheckIn)).all()) == 1


async def test_an_answer_delivered_again_is_applied_once(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    first = await start_h1(run, town)
    event = Event(
        500, A, ChatKind.PRIVATE, A, button="ci:a:visit_method:phone", message_text=first.text
    )
    await ROUTER.answer(event, services)
    again = await ROUTER.answer(event, services)  # after a crash, before it was confirmed
    # where we are: the pressed message shows the current question (no second copy)
    assert [type(r) for r in again] == [Edit] and "共同生活" in again[0].text
    draft = draft_of(town)
    # (a household without income by source: the first figures by source, on a change)
    assert draft is not None
    assert draft.answers == {
        "income_basis": "first",
        "school_basis": "ask",
        "visit_method": "phone",
    }
    with town() as s:
        assert s.get(HandledUpdate, ("default", 500)) is not None
    # A button of a question already answered (pressed again: its answer was taken but the
    # message not changed, e.g. the process stopped in between, and DingTalk does not
    # deliver a press again): the pressed message shows where we are; nothing changes.
    toast, here = await run.answer(A, button="ci:a:visit_method:home", message_text=first.text)
    assert isinstance(toast, Toast) and toast.text == ""
    assert isinstance(here, Edit) and here.message_id is None and here.keyboard
    assert here.text.startswith("该问题已回答过；当前进行到这里：\n\n") and "共同生活" in here.text
    unchanged = {"income_basis": "first", "school_basis": "ask", "visit_method": "phone"}
    assert draft_of(town).answers == unchanged  # type: ignore[union-attr]


async def test_cancel_asks_then_discards_and_commands_wait(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    services.clock = lambda: TUESDAY
    await start_h1(run, town)
    # Another command in the middle: the question again, saying why; /checkin continues.
    [held] = await run.text(command_during, A, "/mine")  # type: ignore[arg-type]
    assert isinstance(held, Say) and "您正在填写 H1 王大山 的走访记录" in held.text
    assert await run.text(command_during, A, "/cancel") is None  # type: ignore[arg-type]
    [again] = await run.text(checkin, A, "/checkin")
    assert isinstance(again, Say) and "继续" in again.text

    [ask] = await run.text(cancel, A, "/cancel")
    assert isinstance(ask, Say) and [b.data for b in ask.keyboard[0]] == ["ci:cx:1", "ci:cx:0"]
    [keep] = await run.answer(A, button="ci:cx:0")
    assert isinstance(keep, Say) and "本次走访方式" in keep.text and draft_of(town) is not None
    said, close = await run.answer(A, button="ci:cx:1", message_text=ask.text)
    assert isinstance(said, Say) and "已放弃" in said.text and isinstance(close, Edit)
    assert draft_of(town) is None
    [nothing] = await run.text(cancel, A, "/cancel")
    assert isinstance(nothing, Say) and "没有可取消" in nothing.text


async def test_one_conversation_at_a_time_and_the_measure_trap(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    """Press Record measure and walk away: /cancel ends it, later texts are understood as
    texts again; and a check-in open keeps a measure from starting over it."""
    services.clock = lambda: TUESDAY
    green_checkin(town, "H1", TUESDAY, food=False)  # red: a warning in the village group
    with town() as s:
        alert_id = s.scalars(select(Alert.id)).one()
    copies = delivered(town)
    press = {"button": f"al:m:{alert_id}", "message_id": copies[VILLAGE_GROUP]}
    ask, _ = await run.event(warning_pressed, A, VILLAGE_GROUP, **press)
    assert isinstance(ask, Say) and ask.chat_id == A
    [press_please] = await run.answer(A, text="你好")
    assert isinstance(press_please, Say) and "请按下方按钮" in press_please.text
    [dropped] = await run.text(cancel, A, "/cancel")
    assert isinstance(dropped, Say) and "已放弃正在填写的内容" in dropped.text
    [understood] = await run.answer(A, text="你好")
    assert isinstance(understood, Say) and "没看懂" in understood.text

    # A check-in open: Record measure is refused (in the group, a toast only: nothing of
    # the check-in is shown there), and /checkin says what is open when a measure is.
    await start_h1(run, town)
    [busy] = await run.event(warning_pressed, A, VILLAGE_GROUP, **press)
    assert isinstance(busy, Toast) and "未完成" in busy.text
    assert draft_of(town).flow == "checkin"  # type: ignore[union-attr]


async def test_a_used_screen_loses_its_buttons(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    """The message that shows a question keeps its buttons only while it shows it: a number
    typed for the members question (or 是/否 typed) takes them off (the next question comes
    as a new message, which shows it from then on); Keep going takes them off the Discard?
    question; a press of a button left on an old screen is a toast."""
    services.clock = lambda: TUESDAY
    [listing] = await run.text(checkin, A, "/checkin")
    [first] = await run.event(
        household_pressed,
        A,
        A,
        button=f"ci:hh:{household_id(town, 'H1')}",
        message_id=10,
        message_text=listing.text,
    )
    assert isinstance(first, Edit) and first.keyboard  # message 10 shows the check-in
    [members] = await run.answer(
        A, button="ci:a:visit_method:home", message_id=10, message_text=first.text
    )
    assert isinstance(members, Edit) and "仍为 3 人" in members.keyboard[0][0].label

    # The number typed instead of pressing 仍为 3 人: message 10 shows the members question
    # as asked, without its button; the income question is a new message.
    unbuttoned, income = await run.answer(A, text="3")
    assert isinstance(unbuttoned, Edit) and unbuttoned.message_id == 10
    assert unbuttoned.keyboard == () and "共同生活" in unbuttoned.text
    assert isinstance(income, Say) and "收入" in income.text and income.keyboard
    # The platform tells which message that is (the adapter calls `shown` once it is sent).
    assert income.shown is not None
    await income.shown(11)
    # An old screen pressed: it shows where the check-in stands (the income question), and
    # the screen that showed it until now loses its buttons; nothing is stored.
    toast, older, here = await run.answer(
        A, button="ci:a:members:3", message_id=10, message_text="…"
    )
    assert isinstance(older, Edit) and older.message_id == 11 and not older.keyboard
    assert isinstance(here, Edit) and here.message_id is None and "收入" in here.text
    assert here.keyboard and isinstance(toast, Toast) and not toast.text
    answers = draft_of(town).answers  # type: ignore[union-attr]
    assert answers == {
        "income_basis": "first",
        "school_basis": "ask",
        "visit_method": "home",
        "members": 3,
    }

    # Pressed on message 10 (it shows the question now), then typed "否" for the next one.
    [expense] = await run.answer(
        A, button="ci:a:income_changed:0", message_id=10, message_text=here.text
    )
    assert isinstance(expense, Edit) and expense.keyboard
    unbuttoned, food = await run.answer(A, text="否")
    assert isinstance(unbuttoned, Edit) and unbuttoned.message_id == 10
    assert unbuttoned.keyboard == () and isinstance(food, Say) and food.keyboard
    assert food.shown is not None
    await food.shown(12)

    # /cancel, Keep going: the Discard? question loses its buttons.
    [ask] = await run.text(cancel, A, "/cancel")
    assert isinstance(ask, Say)
    again, closed = await run.answer(A, button="ci:cx:0", message_id=13, message_text=ask.text)
    assert isinstance(closed, Edit) and closed.text == ask.text and closed.keyboard == ()
    assert isinstance(again, Say) and again.keyboard and draft_of(town) is not None
    assert again.shown is not None
    await again.shown(14)
    unbuttoned, _clothing = await run.answer(A, text="是")
    assert isinstance(unbuttoned, Edit) and unbuttoned.message_id == 14
    assert unbuttoned.keyboard == ()
