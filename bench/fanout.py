"""Fan-out: the weekly reminder job to 10,000 helpers, the stand-in enforcing a flood limit
(429 with retry_after above it, counted in a sliding second) and the bot configured with the
same limit (FANGFANPIN_SEND_RATE).

The job queues its messages in the outbox (as it does on Monday morning, timed here); the
bot, started as its own process, delivers them. Reported: the achieved rate over the limit
(first to last delivered message), messages lost, duplicates, and 429s received.

Then the duplicate window: a job's messages are marked sent in batches
(`platforms/telegram/alerts.py`, MARK_BATCH), so a crash can leave messages that Telegram
has but the outbox does not know of; they are sent again once their claim is stale. The bot
is SIGKILLed at random moments of
a second fan-out, and after each kill the rows still marked "sending" whose chat already has
the message are counted: the messages that kill would send twice."""

from __future__ import annotations

import asyncio
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from bench.common import bot_env, fresh_sqlite
from bench.generate import NOW, SHANGHAI, generate
from monitoring.weeks import week_of
from sandbox.server import SandboxBotAPI
from scheduler.jobs import reminders
from storage.db import make_engine, make_session_factory
from storage.models import OutboxMessage

T = TypeVar("T")
# The bot's own jobs never fire during a bench run (a fresh database owes none either).
HELPERS = 10_000
RATE = 500  # per second: a scaled limit, so that the run is short


class _NoSender:
    async def flush(self) -> None:
        return None


async def _queue(directory: Path, name: str, helpers: int) -> tuple[str, int, int, float]:
    """A fresh database with `helpers` helpers due a reminder, queued by the job: (url,
    first helper's Telegram id - 1, rows queued, job seconds)."""
    url = fresh_sqlite(directory, name)
    engine = make_engine(url)
    # One household per helper, none visited yet this week: every helper is reminded.
    generated = generate(engine, helpers, households_per_helper=1, current_week_share=0.0)
    factory = make_session_factory(engine)

    async def tx(work: Callable[[Session], T]) -> T:
        with factory() as session, session.begin():
            return work(session)

    monday = week_of(NOW, SHANGHAI).starts_at(SHANGHAI) + timedelta(hours=9)
    started = time.perf_counter()
    queued = await reminders(monday, tx, _NoSender(), tz=SHANGHAI)
    job_seconds = time.perf_counter() - started
    engine.dispose()
    return url, generated.helper_telegram_base, queued, job_seconds


async def _stand_in(
    url: str, base: int, helpers: int, rate: int
) -> tuple[SandboxBotAPI, dict[str, str]]:
    """A started stand-in that knows the helpers and answers 429 above `rate`, and the
    environment of a bot process sending to it at that rate."""
    api = SandboxBotAPI()
    await api.start()
    for i in range(helpers):
        api.user(base + i + 1)
    api.state.rate_limit_per_second = float(rate)
    return api, bot_env(api.state.token, api.url, url, send_rate=rate)


async def measure(directory: Path, *, helpers: int = HELPERS, rate: int = RATE) -> dict[str, Any]:
    url, base, queued, job_seconds = await _queue(directory, "fanout.db", helpers)
    api, env = await _stand_in(url, base, helpers, rate)
    log = (directory / "fanout.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    chats = {base + i + 1 for i in range(helpers)}
    try:
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            delivered = {e["chat_id"] for e in api.state.events if e["kind"] == "message"}
            if chats <= delivered:
                break
            if process.poll() is not None:
                raise RuntimeError("the bot exited during the fan-out (see fanout.log)")
            await asyncio.sleep(0.5)
        await asyncio.sleep(3)  # anything sent twice shows now
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        await api.stop()

    sends = [
        c
        for c in api.state.calls
        if c["method"].lower() == "sendmessage" and int(c["params"].get("chat_id", 0)) in chats
    ]
    ok = [c for c in sends if c.get("status") == 200]
    limited = [c for c in sends if c.get("status") == 429]
    per_chat = Counter(int(c["params"]["chat_id"]) for c in ok)
    seconds = (max(c["at"] for c in ok) - min(c["at"] for c in ok)) if len(ok) > 1 else 0.0
    achieved = len(ok) / seconds if seconds else 0.0
    return {
        "helpers": helpers,
        "limit_per_s": rate,
        "queued": queued,
        "job_seconds": round(job_seconds, 2),
        "delivered": len(per_chat),
        "seconds": round(seconds, 2),
        "achieved_per_s": round(achieved, 1),
        "rate_ratio": round(achieved / rate, 3),
        "lost": len(chats - set(per_chat)),
        "duplicates": sum(n - 1 for n in per_chat.values() if n > 1),
        "responses_429": len(limited),
        "share_429": round(len(limited) / len(sends), 4) if sends else 0.0,
    }


async def duplicate_window(
    directory: Path, *, helpers: int = 4_000, rate: int = RATE, kills: int = 4, seed: int = 7
) -> dict[str, Any]:
    """SIGKILL the delivering bot `kills` times at random moments; after each, count the
    messages that kill would send twice (module docstring)."""
    url, base, _, _ = await _queue(directory, "window.db", helpers)
    api, env = await _stand_in(url, base, helpers, rate)
    engine = make_engine(url)
    chance = random.Random(seed)
    at_risk: list[int] = []
    counted: set[int] = set()
    log = (directory / "window.log").open("ab")
    try:
        for _ in range(kills):
            process = subprocess.Popen(
                [sys.executable, "-m", "bot", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
            )
            # Start-up takes about a second; then the bot sends at about the limit.
            await asyncio.sleep(1.5 + chance.uniform(0.5, 2.0))
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
            delivered = {e["chat_id"] for e in api.state.events if e["kind"] == "message"}
            with engine.connect() as conn:
                sending = conn.execute(
                    select(OutboxMessage.id, OutboxMessage.chat_id).where(
                        OutboxMessage.status == "sending"
                    )
                ).all()
            new = [(row_id, chat) for row_id, chat in sending if row_id not in counted]
            counted.update(row_id for row_id, _ in new)
            at_risk.append(sum(1 for _, chat in new if chat in delivered))
    finally:
        log.close()
        engine.dispose()
        await api.stop()
    return {"kills": kills, "at_risk": at_risk, "worst": max(at_risk, default=0)}
