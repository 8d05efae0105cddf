"""Telegram goes away: connections refused, then requests hanging, then 502 (20 s, 12 s and
8 s in `make test`; 60 s, 30 s and 20 s with FANGFANPIN_TEST_LONG=1). The bot (a real
process) neither exits nor spins, logs one line per change of state, recovers by itself and
delivers what waited: a reply to a message sent during the outage and an outbox message
queued during it."""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from sandbox.client import SandboxClient
from sandbox.server import SandboxBotAPI
from sandbox.thread import SandboxThread
from storage.outbox import Outbox
from tests.driver import BotProcess
from tests.long import sized

USER = 901
REFUSE, HANG, BAD_GATEWAY = sized((20.0, 12.0, 8.0), (60.0, 30.0, 20.0))

pytestmark = pytest.mark.timeout(400)


@pytest.fixture
def thread() -> Iterator[SandboxThread]:
    sandbox = SandboxThread()
    sandbox.start()
    yield sandbox
    sandbox.stop()


@pytest.fixture
def running(
    thread: SandboxThread, database_url: str, tmp_path: Path, db: Engine
) -> Iterator[BotProcess]:
    if not database_url.startswith("sqlite"):
        pytest.skip("the outage is Telegram's, not the database's: run once, on SQLite")
    api = thread.api
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(
        FANGFANPIN_TELEGRAM_TOKEN=api.state.token,
        FANGFANPIN_TELEGRAM_API_URL=api.url,
        FANGFANPIN_DATABASE_URL=database_url,
    )
    process = BotProcess(env, tmp_path)
    process.start()
    yield process
    process.stop()


def get_updates_between(api: SandboxBotAPI, start: float, end: float) -> int:
    return sum(1 for c in api.state.calls if c["method"] == "getUpdates" and start <= c["at"] < end)


async def test_the_bot_rides_out_an_outage(
    thread: SandboxThread,
    running: BotProcess,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
) -> None:
    api = thread.api
    async with SandboxClient(api.root) as client:
        await client.user(USER, "路人")
        seq = await client.last_seq()
        await client.send_text(USER, "/help")
        await client.reply(USER, after=seq, timeout=30)  # up and answering

        # 1. Connections refused; meanwhile a message is queued in the outbox.
        thread.run(api.stop_listening())
        refused_at = time.time()
        with session_factory() as s, s.begin():
            Outbox(s).enqueue(
                key="outage-notice",
                kind="notice",
                chat_id=USER,
                now=datetime.now(UTC),
                payload={"text": "Please register first: send /start.", "params": {}},
            )
        await asyncio.sleep(REFUSE)

        # 2. Listening again, but every Bot API call hangs.
        api.outage("hang", HANG)
        thread.run(api.start_listening())
        hang_at = time.time()
        await asyncio.sleep(HANG)

        # 3. 502 Bad Gateway for a while; a user writes meanwhile.
        api.outage("502", BAD_GATEWAY)
        seq = await client.last_seq()
        await client.send_text(USER, "/help")
        await asyncio.sleep(BAD_GATEWAY)
        healthy_at = time.time()

        # 4. Back: the reply and the queued message arrive by themselves.
        replies = await client.wait_bot_messages(USER, after=seq, count=2, timeout=90)
        texts = [m["text"] for m in replies]
        assert sorted("请先登记" in t for t in texts) == [False, True], texts  # the outbox's
        assert any("您还未登记" in t for t in texts), texts  # the reply to /help

    assert running.proc is not None and running.proc.poll() is None, "the bot exited"
    # Not spinning: a handful of attempts while requests hung or failed, not hundreds.
    attempts = get_updates_between(api, hang_at, healthy_at)
    assert 1 <= attempts <= 15, attempts
    assert refused_at < hang_at
    log = (tmp_path / "bot.log").read_text(encoding="utf-8", errors="replace")
    for part in ("polling", "outbox"):
        lines = [line for line in log.splitlines() if f"{part}: Telegram" in line]
        assert 2 <= len(lines) <= 5, (part, lines)  # down, what changed, back
        assert "unreachable" in lines[0] and "reachable again" in lines[-1], lines
    assert "Traceback" not in log
