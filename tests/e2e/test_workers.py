"""Worker processes (FANGFANPIN_WORKERS=2, PostgreSQL): the bot process polls and hands each
chat's updates to one worker. Helpers' check-ins all arrive once, each red warning is posted
once; a worker killed in the middle stops the bot with an error (the service manager restarts
it), and after the restart nothing is lost and nothing applied twice; SIGTERM stops the bot
and its workers cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.client import SandboxClient
from sandbox.scripts import helper_name
from sandbox.server import SandboxBotAPI
from storage.models import CheckIn, Draft, Household
from tests.conftest import bot_environment
from tests.crowd import TOWNSHIP_GROUP, VILLAGE_GROUP, crowd, quick_checkin_of
from tests.driver import BotProcess, until

HELPERS = 16


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (Linux's /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


@pytest.fixture
def workers_bot(
    sandbox: SandboxBotAPI,
    database_url: str,
    tmp_path: Path,
    db: Engine,
    session_factory: sessionmaker[Session],
) -> Iterator[BotProcess]:
    if database_url.startswith("sqlite"):
        pytest.skip("worker processes need PostgreSQL")
    crowd(session_factory, sandbox, tmp_path, HELPERS)
    env = bot_environment(sandbox, database_url, FANGFANPIN_WORKERS="2")
    process = BotProcess(env, tmp_path)
    yield process
    process.stop()


@pytest.mark.timeout(600)
async def test_two_workers_lose_nothing_when_one_is_killed(
    workers_bot: BotProcess,
    client: SandboxClient,
    session_factory: sessionmaker[Session],
) -> None:
    for i in range(HELPERS):
        await client.user(20000 + i, helper_name(i))
    seq = await client.last_seq()
    workers_bot.start()
    assert workers_bot.proc is not None
    await client.wait_event(after=seq, kinds="polled", timeout=60)
    pid = workers_bot.proc.pid

    async def two_workers() -> bool:
        return len(children(pid)) == 2

    await until(two_workers)
    first = sorted(children(pid))

    async def killer() -> None:
        await asyncio.sleep(4)  # in the middle of the check-ins
        assert workers_bot.proc is not None
        os.kill(first[0], signal.SIGKILL)
        # The bot notices, stops with an error (exit code 1), and is started again.
        code = await asyncio.to_thread(workers_bot.proc.wait, 60)
        assert code == 1
        workers_bot.start()

    await asyncio.gather(killer(), *(quick_checkin_of(client, i) for i in range(HELPERS)))

    with session_factory() as s:
        stored = dict(
            s.execute(
                select(Household.number, func.count(CheckIn.id))
                .join(CheckIn, CheckIn.household_id == Household.id)
                .group_by(Household.number)
            ).all()
        )
        assert s.scalar(select(func.count()).select_from(Draft)) == 0
    assert stored == {f"B{i:03d}": 1 for i in range(HELPERS)}  # none lost, none twice

    red = [f"B{i:03d}" for i in range(0, HELPERS, 10)]

    async def warnings(chat_id: int) -> list[str]:
        return [
            number
            for message in await client.bot_messages(chat_id)
            if "🔴 红色预警" in message.get("text", "")
            for number in red
            if f"户编号 {number}" in message["text"]
        ]

    for _ in range(60):
        if len(await warnings(TOWNSHIP_GROUP)) == len(red):
            break
        await asyncio.sleep(0.5)
    assert sorted(await warnings(TOWNSHIP_GROUP)) == red  # each red warning once
    assert sorted(await warnings(VILLAGE_GROUP)) == [n for n in red if int(n[1:]) < HELPERS // 2]

    log = workers_bot.cwd.joinpath("bot.log").read_text()
    assert "2 worker processes started" in log
    assert f"worker 0 ended (exit code -{int(signal.SIGKILL)})" in log or (
        f"worker 1 ended (exit code -{int(signal.SIGKILL)})" in log
    )
    assert "handler failed" not in log
    # The kill came in the middle: what the workers held came again after the restart.
    deliveries: dict[int, int] = {}
    for event in await client.events(after=0, kinds="delivered"):
        for update_id in event["update_ids"]:
            deliveries[update_id] = deliveries.get(update_id, 0) + 1
    assert any(count > 1 for count in deliveries.values())

    # SIGTERM (the service manager's stop, to the bot only): the workers end with it.
    second = children(workers_bot.proc.pid)
    assert len(second) == 2
    workers_bot.proc.terminate()
    assert await asyncio.to_thread(workers_bot.proc.wait, 60) == 0

    async def workers_gone() -> bool:
        return not any(alive(worker) for worker in second)

    await until(workers_gone)
