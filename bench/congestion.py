"""Congestion: 100 helpers do a check-in at once under Telegram's real flood limit (the
stand-in answers 429 past 30 sends a second; the bot keeps its default
FANGFANPIN_SEND_RATE), behaving as people do: a button pressed or a message sent again when
nothing has happened for 5 seconds. The bot is killed (SIGKILL) and restarted 5 times
meanwhile.

Reported: the time to finish against the floor (the messages the run needs at least, one per
answer and one per warning, ÷ the limit), the calls made, the repeats, every check-in stored
once, every red warning in its groups once."""

from __future__ import annotations

import asyncio
import contextlib
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from bench.common import bot_env, fresh_sqlite
from bench.throughput import FLOOD_LIMITED, TOWNSHIP_GROUP, USER_BASE, VILLAGE_GROUP
from bench.throughput import prepare_database as prepare
from sandbox.client import SandboxClient
from sandbox.scripts import helper_name
from sandbox.scripts import quick_checkin as script
from sandbox.server import SandboxBotAPI
from storage.db import make_engine, make_session_factory
from storage.models import CheckIn, OutboxMessage

LIMIT = 30  # Telegram's documented limit, and the bot's default FANGFANPIN_SEND_RATE
PATIENCE = 5.0  # seconds a person waits before pressing or sending again
KILLS = 5


class People:
    """The helpers, acting inside the stand-in's process (as the throughput bench does)."""

    def __init__(self, api: SandboxBotAPI) -> None:
        self.api = api
        self.changed: dict[int, asyncio.Event] = {}
        self.repeats = 0
        api.listeners.append(self._event)

    def _event(self, event: dict[str, Any]) -> None:
        if event["kind"] in ("message", "edit") and event["chat_id"] in self.changed:
            self.changed[event["chat_id"]].set()

    def _newest_with(self, user_id: int, fragment: str) -> dict[str, Any] | None:
        for message in reversed(self.api.state.messages.get(user_id, [])):
            if message.get("from", {}).get("is_bot") and fragment in message.get("text", ""):
                return message
        return None

    def _button(self, user_id: int, value: str) -> tuple[int, str] | None:
        """The newest bot message with a button saying `value`, as a person looks for it."""
        for message in reversed(self.api.state.messages.get(user_id, [])):
            rows = (message.get("reply_markup") or {}).get("inline_keyboard") or []
            for label in (b["text"] for row in rows for b in row):
                if value in label:
                    return message["message_id"], label
        return None

    async def helper(self, user_id: int, steps: list[tuple[str, str, str]]) -> None:
        changed = self.changed.setdefault(user_id, asyncio.Event())
        for action, value, expected in steps:
            while True:  # act; when nothing shows the expected answer within PATIENCE, again
                changed.clear()
                if action == "send":
                    await self.api.send({"user_id": user_id, "text": value})
                else:
                    button = self._button(user_id, value)
                    if button is not None:
                        await self.api.press(
                            {"user_id": user_id, "message_id": button[0], "text": button[1]}
                        )
                deadline = time.monotonic() + PATIENCE
                while self._newest_with(user_id, expected) is None:
                    left = deadline - time.monotonic()
                    if left <= 0:
                        break
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(changed.wait(), left)
                    changed.clear()
                if self._newest_with(user_id, expected) is not None:
                    break
                self.repeats += 1


async def run(directory: Path, helpers: int = 100) -> dict[str, Any]:
    api = SandboxBotAPI()
    await api.start()
    api.state.rate_limit_per_second = LIMIT
    for chat_id in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        api.add_group(chat_id, str(chat_id))
    url = fresh_sqlite(directory, "congestion.db")
    engine = make_engine(url)
    prepare(engine, directory, helpers)
    env = bot_env(api.state.token, api.url, url, send_rate=LIMIT)
    log = (directory / "congestion.log").open("ab")
    command = [sys.executable, "-m", "bot", "run"]
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    client = SandboxClient(api.root, timeout=60)
    rng = random.Random(17)
    people = People(api)
    try:
        await client.wait_event(after=0, kinds="polled", timeout=60)
        for i in range(helpers):
            await client.user(USER_BASE + i, helper_name(i, 4))
        started = time.monotonic()

        async def killer() -> None:
            nonlocal process
            for _ in range(KILLS):
                await asyncio.sleep(rng.uniform(4, 12))
                process.kill()
                process.wait(timeout=30)
                process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)

        work = asyncio.gather(*(people.helper(USER_BASE + i, script(i)) for i in range(helpers)))
        await asyncio.gather(killer(), asyncio.wait_for(work, 600))
        seconds = time.monotonic() - started
        # the red warnings: wait until the outbox has none left
        factory = make_session_factory(engine)
        for _ in range(120):
            with factory() as s:
                left = s.scalar(
                    select(func.count())
                    .select_from(OutboxMessage)
                    .where(OutboxMessage.status.in_(["pending", "sending"]))
                )
            if not left:
                break
            await asyncio.sleep(0.5)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        await client.aclose()
        await api.stop()
    spent = [c for c in api.state.calls if c["method"] in FLOOD_LIMITED]
    with factory() as s:
        stored = s.execute(
            select(CheckIn.household_id, func.count()).group_by(CheckIn.household_id)
        )
        counts = [n for _, n in stored]
        warnings = s.execute(
            select(OutboxMessage.chat_id, OutboxMessage.alert_id, func.count())
            .where(OutboxMessage.kind == "alert")
            .group_by(OutboxMessage.chat_id, OutboxMessage.alert_id)
        ).all()
    engine.dispose()
    # Each warning row is one message to one group: as many group posts as rows, or some
    # warning went out twice.
    group_posts = sum(
        1 for c in spent if c["method"] == "sendMessage" and int(c["params"].get("chat_id", 0)) < 0
    )
    # The messages the run needs at least: one per answer (an update of the script) and
    # one per warning row.
    needed = helpers * len(script(0)) + len(warnings)
    floor = needed / LIMIT
    return {
        "helpers": helpers,
        "seconds": round(seconds, 1),
        "flood_limited_calls": len(spent),
        "needed_calls": needed,
        "floor_seconds": round(floor, 1),
        "ratio_to_floor": round(seconds / floor, 2) if floor else None,
        "repeats": people.repeats,
        "stored_once": len(counts) == helpers and all(n == 1 for n in counts),
        "warning_rows": len(warnings),
        "group_posts": group_posts,
        "warnings_once": group_posts == len(warnings),
        "rate_limited": sum(1 for e in api.state.events if e["kind"] == "rate_limited"),
    }
