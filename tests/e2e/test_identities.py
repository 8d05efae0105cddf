"""Issue 32's done-when: two Telegram identities and one DingTalk identity on one PostgreSQL,
three townships, a kill of one, nothing crosses, nothing lost. Three real `fangfanpin run`
processes against their own stand-ins (two Bot API stand-ins: two Telegram bots; one
DingTalk stand-in), a fourth that claims a township already served and is refused, and at
the end one bot's token revoked (401): the others go on."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.schedule import WakeSender
from sandbox.client import SandboxClient
from sandbox.dingtalk.thread import DingTalkThread
from sandbox.server import SandboxBotAPI
from sandbox.thread import SandboxThread
from scheduler.jobs import missed_visits, reminders
from storage.bindings import Bindings
from storage.db import make_session_factory
from storage.identities import Serving
from storage.models import GroupBinding, OutboxMessage
from storage.platform_ids import Kind, PlatformIds
from storage.repositories import People
from storage.roster import import_roster
from tests.conftest import ALL_YEARS
from tests.driver import BotProcess
from tests.privacy import leaks
from tests.small_town import SHANGHAI, at

ROSTER = (
    "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话\n"
    "甲镇,一村,J1,王一,,3,脱贫不稳定户,7000,甲帮扶,13800000011\n"
    "乙镇,二村,Y1,李二,,3,脱贫不稳定户,7000,乙帮扶,13800000012\n"
    "丙镇,三村,B1,赵三,,3,脱贫不稳定户,7000,丙帮扶,13800000013\n"
)
A_HELPER, B_HELPER, C_HELPER = 9011, 9012, "ding-c1"  # Telegram ids, a DingTalk userid
A_GROUP, B_GROUP, C_GROUP = -9101, -9102, "cid-bing"
MONDAY = at("2026-11-30T09:00")  # last week's missed visits are told


@pytest.fixture
def two_telegrams() -> Iterator[tuple[SandboxBotAPI, SandboxBotAPI]]:
    with SandboxThread() as a, SandboxThread() as b:
        a.state.bot_user["username"] = "county_a_bot"
        b.state.bot_user["username"] = "county_b_bot"
        yield a, b
        for api in (a, b):
            found = leaks(api.state.calls)
            assert not found, "private data sent to a group chat:\n" + "\n".join(found)


@pytest.fixture
def dingtalk() -> Iterator[DingTalkThread]:
    thread = DingTalkThread()
    thread.start()
    yield thread
    thread.stop()


def env_of(database_url: str, identity: str, townships: str, **more: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(
        FANGFANPIN_DATABASE_URL=database_url,
        FANGFANPIN_POLICY_FILE=str(ALL_YEARS),
        FANGFANPIN_IDENTITY=identity,
        FANGFANPIN_TOWNSHIPS=townships,
        **more,
    )
    return env


def prepare(factory: sessionmaker[Session], db: Engine, tmp_path: Path) -> int:
    """The three townships; 甲镇's and 丙镇's helpers linked (on their bots), each township's
    group bound by its bot. Returns DingTalk's integer for 丙镇's helper."""
    (tmp_path / "households.csv").write_text(ROSTER, encoding="utf-8")
    now = datetime.now(UTC)
    with factory() as s, s.begin():
        import_roster(s, [tmp_path / "households.csv"], now=now, actor="test")
    bound: dict[str, int] = {}
    for identity, phone, user, group in (
        ("tg-a", "+8613800000011", A_HELPER, A_GROUP),
        ("tg-b", "+8613800000012", None, B_GROUP),
        ("ding-c", "+8613800000013", C_HELPER, C_GROUP),
    ):
        with make_session_factory(db, Serving(identity).info())() as s, s.begin():
            person = People(s).by_phone(phone)
            assert person is not None
            if isinstance(user, str):
                user = PlatformIds(s).number(Kind.USER, user, now=now)
                bound["user"] = user
            if isinstance(group, str):
                group = PlatformIds(s).number(Kind.GROUP, group, now=now)
            if user is not None:
                People(s).link_account(person, user, now=now, actor="test")
            Bindings(s).bind(
                chat_id=group,
                title=str(group),
                township_id=person.township_id,
                village_id=None,
                by=person,
                now=now,
            )
    return bound["user"]


async def wait_for(check: Any, what: str, timeout: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        found = await check()
        if found:
            return found
        await asyncio.sleep(0.2)
    raise AssertionError(f"waited {timeout} s for {what}")


@pytest.mark.timeout(120)
async def test_two_telegram_bots_and_a_dingtalk_bot_one_killed_nothing_crosses_nothing_lost(
    two_telegrams: tuple[SandboxBotAPI, SandboxBotAPI],
    dingtalk: DingTalkThread,
    database_url: str,
    db: Engine,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip(
            "several bots share one database server: a SQLite file has one writer, and a "
            "deployment of several counties is on PostgreSQL (README)"
        )
    tg_a, tg_b = two_telegrams
    standin = dingtalk.standin
    ding_helper = prepare(session_factory, db, tmp_path)
    tg_a.add_group(A_GROUP, "甲镇群")
    tg_b.add_group(B_GROUP, "乙镇群")
    standin.state.users[C_HELPER] = {"userid": C_HELPER, "name": "丙帮扶", "mobile": "13800000013"}
    standin.state.groups[C_GROUP] = {"id": C_GROUP, "title": "丙镇群", "members": [], "robot": True}

    def telegram(api: SandboxBotAPI) -> dict[str, str]:
        return dict(FANGFANPIN_TELEGRAM_TOKEN=api.state.token, FANGFANPIN_TELEGRAM_API_URL=api.url)

    envs = {
        "tg-a": env_of(database_url, "tg-a", "甲镇", **telegram(tg_a)),
        "tg-b": env_of(database_url, "tg-b", "乙镇", **telegram(tg_b)),
        "ding-c": env_of(
            database_url,
            "ding-c",
            "丙镇",
            FANGFANPIN_PLATFORM="dingtalk",
            FANGFANPIN_DINGTALK_CLIENT_ID=standin.state.client_id,
            FANGFANPIN_DINGTALK_CLIENT_SECRET=standin.state.client_secret,
            FANGFANPIN_DINGTALK_CARD_TEMPLATE="fangfanpin.buttons",
            FANGFANPIN_DINGTALK_API_URL=standin.url,
            FANGFANPIN_DINGTALK_OAPI_URL=standin.url,
        ),
    }
    bots: dict[str, BotProcess] = {}
    for name, env in envs.items():
        (tmp_path / name).mkdir()
        bots[name] = BotProcess(env, tmp_path / name)
        bots[name].start()
    try:
        async with SandboxClient(tg_a.root) as a, SandboxClient(tg_b.root) as b:
            await run_the_three(bots, a, b, tg_a, tg_b, standin, ding_helper, envs, db)
    finally:
        for process in bots.values():
            process.stop()
    for name in bots:
        log = (tmp_path / name / "bot.log").read_text()
        assert "chat not found" not in log.lower(), (name, log[-2000:])
        if name != "tg-b":  # stopped by its revoked token (telegram.error.InvalidToken)
            assert "Traceback" not in log, (name, log[-2000:])


async def run_the_three(
    bots: dict[str, BotProcess],
    a: SandboxClient,
    b: SandboxClient,
    tg_a: SandboxBotAPI,
    tg_b: SandboxBotAPI,
    standin: Any,
    ding_helper: int,
    envs: dict[str, dict[str, str]],
    db: Engine,
) -> None:
    for client in (a, b):
        await client.wait_event(after=0, kinds="polled", timeout=30)
    await wait_for(lambda: _true(standin.state.connections >= 1), "DingTalk's stream")

    # A fourth bot claiming a township already served is refused with one line.
    other = {**envs["tg-a"], "FANGFANPIN_IDENTITY": "tg-x", "FANGFANPIN_TOWNSHIPS": "乙镇"}
    refused = subprocess.run(
        [sys.executable, "-m", "bot", "run"], env=other, capture_output=True, timeout=60
    )
    assert refused.returncode == 2
    assert "tg-x" in refused.stderr.decode() and "tg-b" in refused.stderr.decode()

    await a.user(A_HELPER, "甲帮扶")
    # 乙镇's helper writes to county A's bot: told to use county B's, not linked there.
    await a.user(B_HELPER, "乙帮扶")
    await b.user(B_HELPER, "乙帮扶")
    for client in (a, b):
        seq = await client.last_seq()
        await client.send_text(B_HELPER, "/start")
        await client.wait_bot_messages(B_HELPER, after=seq, count=1)
        seq = await client.last_seq()
        await client.send_contact(B_HELPER, "13800000012", contact_user_id=B_HELPER)
        answer = await client.wait_bot_messages(B_HELPER, after=seq, count=1)
        if client is a:
            assert "@county_b_bot" in answer[0]["text"] and "乙帮扶" not in answer[0]["text"]
        else:
            assert "乙帮扶" in answer[0]["text"]  # linked at its own bot

    # County A's bot is killed; last week's missed visits are queued for all three counties
    # (as `fangfanpin jobs run missed-visits` with no identity does: every township).
    bots["tg-a"].kill()
    tx_factory = make_session_factory(db)

    async def tx(work: Any) -> Any:
        def run() -> Any:
            with tx_factory() as s, s.begin():
                return work(s)

        return await asyncio.to_thread(run)

    assert await missed_visits(MONDAY, tx, WakeSender(lambda: None), tz=SHANGHAI) == 6

    # County B's and C's bots deliver theirs (one down stops nothing for the others) ...
    async def got(client: SandboxClient, chat: int) -> list[dict[str, Any]]:
        return [m for m in await client.bot_messages(chat) if "未走访" in m.get("text", "")]

    def ding(to: str) -> list[dict[str, Any]]:
        return [m for m in standin.state.sent if m["to"] == to]

    await wait_for(lambda: got(b, B_HELPER), "county B's helper")
    await wait_for(lambda: got(b, B_GROUP), "county B's group")
    await wait_for(lambda: _true(ding(C_HELPER) and ding(C_GROUP)), "county C's two")
    # ... and county A's wait for county A's bot: not taken by another bot.
    with Session(db) as s:
        rows = {(r.identity, r.chat_id): r.status for r in s.scalars(select(OutboxMessage))}
    assert rows[("tg-a", A_HELPER)] == "pending" and rows[("tg-a", A_GROUP)] == "pending"
    assert set(rows) == {
        ("tg-a", A_HELPER),
        ("tg-a", A_GROUP),
        ("tg-b", B_HELPER),
        ("tg-b", B_GROUP),
        ("ding-c", ding_helper),
        ("ding-c", rows_group(db)),
    }

    # County A's bot back: its two arrive, once.
    bots["tg-a"].start()
    await wait_for(lambda: got(a, A_HELPER), "county A's helper", timeout=40)
    await wait_for(lambda: got(a, A_GROUP), "county A's group")
    await wait_for(lambda: _true(all_sent(db)), "every row sent")

    # Nothing crossed: each stand-in saw only its own bot's chats, each chat one message.
    for client, chats in ((a, (A_HELPER, A_GROUP)), (b, (B_HELPER, B_GROUP))):
        assert [len(await got(client, chat)) for chat in chats] == [1, 1]
    assert [len(ding(C_HELPER)), len(ding(C_GROUP))] == [1, 1]
    assert not await got(a, B_HELPER)  # the refused person got nothing more from A
    sent_to = {
        "a": {c.get("params", {}).get("chat_id") for c in tg_a.state.calls},
        "b": {c.get("params", {}).get("chat_id") for c in tg_b.state.calls},
    }
    assert str(B_GROUP) not in {str(x) for x in sent_to["a"] if x}  # 9012 got the refusal
    assert not {str(A_GROUP), str(A_HELPER)} & {str(x) for x in sent_to["b"] if x}
    with Session(db) as s:  # and no bot marked another's group broken
        assert set(s.scalars(select(GroupBinding.status))) == {"active"}

    # County B's token revoked (Telegram answers 401): the reminders of the other two arrive,
    # county B's wait for its bot (not sent by another, not given up).
    tg_b.state.token = tg_b.state.token.split(":")[0] + ":revoked"
    assert await reminders(MONDAY, tx, WakeSender(lambda: None), tz=SHANGHAI) == 3

    async def reminded(client: SandboxClient, chat: int) -> list[dict[str, Any]]:
        return [m for m in await client.bot_messages(chat) if "待走访" in m.get("text", "")]

    await wait_for(lambda: reminded(a, A_HELPER), "county A's reminder")
    await wait_for(lambda: _true(len(ding(C_HELPER)) == 2), "county C's reminder")
    await asyncio.sleep(1)
    with Session(db) as s:
        waiting = {
            r.identity: r.status
            for r in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        }
    # (county B's bot stops on the 401; a row it had claimed is taken back when it restarts)
    assert waiting["tg-a"] == waiting["ding-c"] == "sent"
    assert waiting["tg-b"] in ("pending", "sending")
    assert not await reminded(b, B_HELPER)


def rows_group(db: Engine) -> int:
    with Session(db) as s:
        return int(
            s.scalars(select(GroupBinding.chat_id).where(GroupBinding.identity == "ding-c")).one()
        )


def all_sent(db: Engine) -> bool:
    with Session(db) as s:
        return set(s.scalars(select(OutboxMessage.status))) == {"sent"}


async def _true(value: Any) -> Any:
    return value
