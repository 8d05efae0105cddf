"""Conversation throughput: N helpers do complete weekly check-ins at the same time, through
the stand-in Bot API over HTTP, against the real bot (`python -m bot run`, its own process);
then the same number of people talk to a bare python-telegram-bot echo bot.

Helpers act as fast as the answers come (no reading time): this is the bot at saturation.
With `pace`, each waits about that many seconds after each answer instead (a person reading
and pressing). With `limit`, the stand-in answers 429 past `limit` sends a second, as
Telegram does, and both bots send under the bot's own flood limiter set to it.

Times are the stand-in's: from the moment an update is offered (it can be fetched by
getUpdates) to the moment the bot's next message reaches that chat."""

from __future__ import annotations

import asyncio
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from bench.common import QUIET_SCHEDULE, fresh_sqlite
from sandbox.client import SandboxClient
from sandbox.scripts import helper_name
from sandbox.scripts import quick_checkin as checkin_script
from sandbox.server import SandboxBotAPI
from storage.bindings import Bindings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import CheckIn, Draft, Village
from storage.repositories import People
from storage.roster import import_roster

# What Telegram's flood limit (about 30 a second per bot) counts.
FLOOD_LIMITED = frozenset(
    {"sendMessage", "editMessageText", "editMessageReplyMarkup", "sendPhoto", "sendDocument"}
)
USER_BASE = 30_000
VILLAGE_GROUP, TOWNSHIP_GROUP = -810001, -810002
STEP_TIMEOUT = 120.0


def cpu_seconds(pid: int) -> float | None:
    """The CPU time so far (user and system) of a process and of its running children (a
    bot's workers). Linux's /proc; None elsewhere."""
    stats: dict[int, list[str]] = {}
    for entry in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats[int(entry.parent.name)] = entry.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
    if pid not in stats:
        return None
    tree, grew = {pid}, True
    while grew:
        more = {p for p, fields in stats.items() if int(fields[1]) in tree} - tree
        tree |= more
        grew = bool(more)
    ticks = sum(int(stats[p][11]) + int(stats[p][12]) for p in tree)
    return ticks / os.sysconf("SC_CLK_TCK")


def echo_script(index: int) -> list[tuple[str, str, str]]:
    """The same mix of updates (3 messages, 12 button presses) for the echo bot."""
    return [
        (action, "好" if action == "press" else value, "echo")
        for action, value, _ in checkin_script(index)
    ]


@dataclass
class Run:
    bot: str
    helpers: int
    database: str
    updates: int = 0
    seconds: float = 0.0
    latencies_ms: list[float] = field(default_factory=list)
    completed: int = 0
    cpu_ms_per_update: float | None = None  # the bot process's CPU time (user + system)

    def summary(self) -> dict[str, Any]:
        lat = sorted(self.latencies_ms)

        def pct(p: float) -> float:
            return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("nan")

        return {
            "bot": self.bot,
            "helpers": self.helpers,
            "database": self.database,
            "updates": self.updates,
            "seconds": round(self.seconds, 2),
            "updates_per_s": round(self.updates / self.seconds, 1) if self.seconds else 0,
            "checkins_per_s": round(self.completed / self.seconds, 2) if self.seconds else 0,
            "cpu_ms_per_update": self.cpu_ms_per_update,
            "completed": self.completed,
            "p50_ms": round(pct(0.50), 1),
            "p95_ms": round(pct(0.95), 1),
            "p99_ms": round(pct(0.99), 1),
        }


class Driver:
    """Acts as the helpers, in the stand-in's process: a person's message or button press is
    injected as the control API would (the bot still fetches it, and answers, over HTTP),
    and answers are timed from the stand-in's event log as it is written. (Driving over
    the control API's HTTP instead made this process, not the bots, the bottleneck.)"""

    def __init__(self, api: SandboxBotAPI) -> None:
        self.api = api
        self.offered: dict[int, float] = {}  # update id -> when it was offered
        self.queues: dict[int, asyncio.Queue[dict[str, Any]]] = {}
        api.listeners.append(self._event)

    def _event(self, event: dict[str, Any]) -> None:
        if event["kind"] == "update":
            self.offered[int(event["update_id"])] = float(event["at"])
        elif event["kind"] in ("message", "edit") and event["chat_id"] in self.queues:
            self.queues[event["chat_id"]].put_nowait(event)

    def close(self) -> None:
        self.api.listeners.remove(self._event)

    def _message(self, chat_id: int, message_id: int) -> dict[str, Any]:
        for message in reversed(self.api.state.messages.get(chat_id, [])):
            if message["message_id"] == message_id:
                return message
        raise RuntimeError(f"no message {message_id} in chat {chat_id}")

    async def helper(
        self,
        user_id: int,
        script: list[tuple[str, str, str]],
        run: Run,
        pace: float | None = None,
    ) -> None:
        queue = self.queues.setdefault(user_id, asyncio.Queue())
        newest: dict[str, Any] | None = None
        chance = random.Random(user_id)
        if pace:  # people do not start in the same instant
            await asyncio.sleep(chance.uniform(0, pace))
        for step, (action, value, expected) in enumerate(script):
            if pace and step:  # reading the question, finding the answer
                await asyncio.sleep(chance.uniform(0.5 * pace, 1.5 * pace))
            if action == "send":
                sent = await self.api.send({"user_id": user_id, "text": value})
            else:
                assert newest is not None, "a press needs a message with buttons"
                labels = [
                    b["text"]
                    for row in (newest.get("reply_markup") or {}).get("inline_keyboard", [])
                    for b in row
                ]
                label = next((lb for lb in labels if lb == value), None) or next(
                    (lb for lb in labels if value in lb), None
                )
                if label is None:
                    raise RuntimeError(f"{user_id}: no button {value!r} in {labels}")
                sent = await self.api.press(
                    {"user_id": user_id, "message_id": newest["message_id"], "text": label}
                )
            update_id, seq = int(sent["update_id"]), int(sent["seq"])
            run.updates += 1
            deadline = time.monotonic() + STEP_TIMEOUT
            while True:
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RuntimeError(f"{user_id}: no answer {expected!r} within {STEP_TIMEOUT} s")
                event = await asyncio.wait_for(queue.get(), left)
                if int(event["seq"]) <= seq:
                    continue  # an answer to an earlier update
                message = self._message(user_id, int(event["message_id"]))
                if expected in message.get("text", ""):
                    newest = message
                    break
            run.latencies_ms.append((float(event["at"]) - self.offered[update_id]) * 1000)
        run.completed += 1


def _roster(directory: Path, helpers: int) -> list[Path]:
    rows = [
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话"
    ]
    for i in range(helpers):
        village = "甲村" if i < helpers // 2 or helpers == 1 else "乙村"
        rows.append(
            f"压测镇,{village},T{i:04d},户主{i:04d},,3,脱贫不稳定户,9000,"
            f"{helper_name(i, 4)},1390001{i:04d}"
        )
    households = directory / "households.csv"
    households.write_text("\n".join(rows) + "\n", encoding="utf-8")
    staff = directory / "staff.csv"
    staff.write_text(
        "姓名,电话,角色,乡镇,村\n镇干部,18700000001,镇街干部,压测镇,\n", encoding="utf-8"
    )
    return [households, staff]


def prepare_database(engine: Engine, directory: Path, helpers: int) -> None:
    """The migrations, a roster of `helpers` helpers with a household each (already linked to
    Telegram), and bound village and township groups."""
    upgrade(engine)
    now = datetime.now(UTC)
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        import_roster(s, _roster(directory, helpers), now=now, actor="bench")
        people = People(s)
        for i in range(helpers):
            person = people.by_phone(f"+861390001{i:04d}")
            assert person is not None
            people.link_account(person, USER_BASE + i, now=now, actor="bench")
        staff = people.by_phone("+8618700000001")
        assert staff is not None
        village = s.scalars(select(Village).where(Village.name == "甲村")).one()
        for chat_id, village_id in ((VILLAGE_GROUP, village.id), (TOWNSHIP_GROUP, None)):
            Bindings(s).bind(
                chat_id=chat_id,
                title=str(chat_id),
                township_id=staff.township_id,
                village_id=village_id,
                by=staff,
                now=now,
            )


def completed_checkins(engine: Engine) -> tuple[int, int]:
    factory = make_session_factory(engine)
    with factory() as s:
        rows = len(list(s.scalars(select(CheckIn.id))))
        drafts = len(list(s.scalars(select(Draft.person_id))))
    return rows, drafts


async def measure(
    bot: str,
    helpers: int,
    directory: Path,
    *,
    database_url: str | None = None,
    reset: Any = None,
    limit: int | None = None,
    pace: float | None = None,
    workers: int = 1,
) -> dict[str, Any]:
    """One run: a fresh stand-in, a fresh database (for fangfanpin), the bot as a process.
    `limit`: the flood limit (sends a second) of the stand-in and of both bots' limiters;
    None keeps it out of the way. `pace`: seconds a person takes per answer (None: none).
    `workers`: fangfanpin's FANGFANPIN_WORKERS (its CPU time is then the sum of them all)."""
    api = SandboxBotAPI()
    await api.start()
    if limit is not None:
        api.state.rate_limit_per_second = float(limit)
    for chat_id in (VILLAGE_GROUP, TOWNSHIP_GROUP):
        api.add_group(chat_id, str(chat_id))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    engine: Engine | None = None
    database = "-"
    if bot == "fangfanpin":
        if database_url is None:
            database_url = fresh_sqlite(directory, f"throughput-{helpers}.db")
        elif reset is not None:
            reset(database_url)
        engine = make_engine(database_url)
        database = engine.dialect.name
        prepare_database(engine, directory, helpers)
        env.update(
            FANGFANPIN_TELEGRAM_TOKEN=api.state.token,
            FANGFANPIN_TELEGRAM_API_URL=api.url,
            FANGFANPIN_DATABASE_URL=database_url,
            FANGFANPIN_LOG_LEVEL="WARNING",
            # Without a limit it is out of the way, as it is for the echo bot, so the bot's
            # own ceiling shows.
            FANGFANPIN_SEND_RATE=str(limit or 100_000),
            FANGFANPIN_WORKERS=str(workers),
            **QUIET_SCHEDULE,
        )
        command = [sys.executable, "-m", "bot", "run"]
        script = checkin_script
    else:
        command = [sys.executable, "-m", "bench.echo", api.url, api.state.token]
        if limit is not None:
            command.append(str(limit))
        if bot == "echo-strict":  # one message per update, nothing else
            command.append("--strict")
        script = echo_script
    log = (directory / f"{bot}-{helpers}-{limit}-{pace}.log").open("ab")
    client = SandboxClient(api.root, timeout=60)
    seq = await client.last_seq()
    process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    run = Run(bot, helpers, database)
    try:
        await client.wait_event(after=seq, kinds="polled", timeout=60)
        for i in range(helpers):
            await client.user(USER_BASE + i, helper_name(i, 4))
        driver = Driver(api)
        started, cpu_before = time.monotonic(), cpu_seconds(process.pid)
        try:
            await asyncio.gather(
                *(driver.helper(USER_BASE + i, script(i), run, pace) for i in range(helpers))
            )
        finally:
            driver.close()
        run.seconds = time.monotonic() - started
        cpu_after = cpu_seconds(process.pid)
        if cpu_before is not None and cpu_after is not None and run.updates:
            run.cpu_ms_per_update = round(1000 * (cpu_after - cpu_before) / run.updates, 3)
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        await client.aclose()
        await api.stop()
    result = run.summary()
    # Message economy: Bot API calls that count against Telegram's flood limit, per update
    # the people sent (answering a button press, polling and menus do not count).
    # The people's own chats count per update; the groups' warnings (two per red check-in)
    # are reported beside.
    spent = [c for c in api.state.calls if c["method"] in FLOOD_LIMITED]
    to_groups = sum(1 for c in spent if int(c["params"].get("chat_id", 0)) < 0)
    private = len(spent) - to_groups
    result["sends_per_update"] = round(private / run.updates, 3) if run.updates else None
    result["group_sends"] = to_groups
    result["limit"], result["pace"] = limit, pace
    # Polling economy: getUpdates calls and the updates they returned, per update sent.
    polls = [c for c in api.state.calls if c["method"] == "getUpdates"]
    if run.updates:
        result["polls_per_update"] = round(len(polls) / run.updates, 3)
        result["fetched_per_update"] = round(
            sum(c.get("returned", 0) for c in polls) / run.updates, 3
        )
    result["responses_429"] = sum(1 for c in api.state.calls if c.get("status") == 429)
    if engine is not None:
        rows, drafts = completed_checkins(engine)
        engine.dispose()
        result["stored_checkins"], result["open_drafts"] = rows, drafts
    return result
