"""Many helpers at once: a roster of `count` helpers (already linked to Telegram, user ids from
`base`), one household each, in two villages of 百户镇 whose groups (and the township's) are
bound; and a helper's quick check-in through the stand-in."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.client import SandboxClient
from sandbox.scripts import helper_name, quick_checkin
from sandbox.server import SandboxBotAPI
from storage.bindings import Bindings
from storage.models import Village
from storage.repositories import People
from storage.roster import import_roster
from tests.driver import Chat

VILLAGE_GROUP, TOWNSHIP_GROUP = -700111, -700222  # 甲村's group, the township's


def crowd(
    session_factory: sessionmaker[Session],
    sandbox: SandboxBotAPI,
    folder: Path,
    count: int,
    base: int = 20000,
) -> None:
    households = [
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话"
    ]
    for i in range(count):
        village = "甲村" if i < count // 2 else "乙村"
        households.append(
            f"百户镇,{village},B{i:03d},户主{i:03d},,3,脱贫不稳定户,9000,{helper_name(i)},1390000{i:04d}"
        )
    (folder / "households.csv").write_text("\n".join(households) + "\n", encoding="utf-8")
    (folder / "staff.csv").write_text(
        "姓名,电话,角色,乡镇,村\n镇干部,18700000001,乡镇干部,百户镇,\n", encoding="utf-8"
    )
    now = datetime.now(UTC)
    with session_factory() as s, s.begin():
        import_roster(s, [folder / "households.csv", folder / "staff.csv"], now=now, actor="t")
        people = People(s)
        for i in range(count):
            person = people.by_phone(f"+861390000{i:04d}")
            assert person is not None
            people.link_account(person, base + i, now=now, actor="test")
        staff = people.by_phone("+8618700000001")
        assert staff is not None
        village = s.scalars(select(Village).where(Village.name == "甲村")).one()
        bindings = Bindings(s)
        for chat_id, village_id in ((VILLAGE_GROUP, village.id), (TOWNSHIP_GROUP, None)):
            bindings.bind(
                chat_id=chat_id,
                title=str(chat_id),
                township_id=staff.township_id,
                village_id=village_id,
                by=staff,
                now=now,
            )
    for chat_id in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        sandbox.add_group(chat_id, str(chat_id))


async def quick_checkin_of(client: SandboxClient, i: int, base: int = 20000) -> None:
    """Helper `i` does `sandbox.scripts.quick_checkin` (every 10th ends red), each answer on
    the message the bot showed last."""
    chat = Chat(client, base + i)
    shown: int | None = None
    for action, value, expected in quick_checkin(i):
        seq = await client.last_seq()
        if action == "send":
            await chat.send(value, wait=False)
        else:
            await chat.press(value, wait=False, on=shown)
        shown = (await chat.wait_last(expected, timeout=240, since=seq))["message_id"]
