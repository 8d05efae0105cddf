"""Groups on the neutral engine: /bind with its buttons, /unbind, the bot added and removed,
a supergroup upgrade."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.engine.events import ChatKind
from conversations.engine.replies import Edit, Say, Toast
from conversations.people.groups import bind, bind_pressed, membership, migrated, unbind
from storage.models import GroupBinding, OutboxMessage
from tests.flows.conftest import Runner
from tests.small_town import HEAD, STAFF

GROUP = -700001


def bindings(factory: sessionmaker[Session]) -> list[tuple[int, str, int | None]]:
    with factory() as s:
        return [
            (b.chat_id, b.status, b.village_id)
            for b in s.scalars(select(GroupBinding).order_by(GroupBinding.id))
        ]


async def test_bind_press_unbind_and_the_bot_removed(
    run: Runner, town: sessionmaker[Session]
) -> None:
    before = bindings(town)
    joined = await run.event(membership, STAFF, GROUP, bot_joined=True, chat_title="新群")
    assert [r.chat_id for r in joined if isinstance(r, Say)] == [STAFF, None]
    private = joined[0]
    assert isinstance(private, Say) and private.best_effort and "新群" in private.text

    [refused] = await run.text(bind, HEAD, "/bind", chat_id=GROUP, kind=ChatKind.GROUP)
    assert isinstance(refused, Say) and "只有乡镇干部" in refused.text
    [ask] = await run.text(bind, STAFF, "/bind", chat_id=GROUP, kind=ChatKind.GROUP)
    assert isinstance(ask, Say) and "哪个单位的群" in ask.text
    labels = {b.label: b.data for row in ask.keyboard for b in row}
    assert labels["石桥村"].startswith("gb:v:") and "乡镇工作群（龙溪镇）" in labels

    [forged] = await run.event(bind_pressed, STAFF, GROUP, button="gb:v:999999")
    assert isinstance(forged, Toast) and "已失效" in forged.text
    [done] = await run.event(
        bind_pressed, STAFF, GROUP, button=labels["石桥村"], chat_title="新群", message_id=5
    )
    assert isinstance(done, Edit) and "石桥村" in done.text
    assert bindings(town)[len(before) :] == [(GROUP, "active", bindings(town)[-1][2])]

    await run.event(migrated, None, GROUP, migrated_to=GROUP - 1)
    assert bindings(town)[-1][:2] == (GROUP - 1, "active")

    await run.event(membership, STAFF, GROUP - 1, bot_left=True, chat_title="新群")
    assert bindings(town)[-1][:2] == (GROUP - 1, "broken")
    with town() as s:
        notices = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all()
    assert [n.chat_id for n in notices] == [STAFF]

    [gone] = await run.text(unbind, STAFF, "/unbind", chat_id=GROUP - 5, kind=ChatKind.GROUP)
    assert isinstance(gone, Say) and "尚未绑定" in gone.text


async def test_a_group_named_with_a_mobile_number_is_named_masked(
    run: Runner, town: sessionmaker[Session]
) -> None:
    title = "青山村 13700137000"
    joined = await run.event(membership, STAFF, GROUP, bot_joined=True, chat_title=title)
    private = joined[0]
    assert isinstance(private, Say) and "青山村 137****7000" in private.text
    assert "13700137000" not in private.text
    [ask] = await run.text(bind, STAFF, "/bind", chat_id=GROUP, kind=ChatKind.GROUP)
    assert isinstance(ask, Say)
    village = next(b.data for row in ask.keyboard for b in row if b.label == "石桥村")
    await run.event(bind_pressed, STAFF, GROUP, button=village, chat_title=title, message_id=5)
    await run.event(membership, STAFF, GROUP, bot_left=True, chat_title=title)
    with town() as s:
        [notice] = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "notice")).all()
    assert notice.payload["params"]["title"] == "青山村 137****7000"
