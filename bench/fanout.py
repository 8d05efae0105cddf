"""Fan-out: the weekly reminder job to 10,000 helpers, the stand-in enforcing a flood limit
(429 with retry_after above it, counted in a sliding second) and the bot configured with the
same limit (FANGFANPIN_SEND_RATE).

The job queues its messages in the outbox (as it does on Monday morning, timed here); the
bot, started as its own process, delivers them. Reported: the achieved rate over the limit
(first to last delivered message), messages lost, duplicates, and 429s received."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bench.common import bot_env, fresh_sqlite
from bench.generate import NOW, SHANGHAI, generate
from monitoring.weeks import week_of
from sandbox.server import SandboxBotAPI
from scheduler.jobs import reminders
from storage.db import make_engine, make_session_factory

T = TypeVar("T")
# The bot's own jobs never fire during a bench run (a fresh database owes none either).
HELPERS = 10_000
RATE = 500  # per second: a scaled limit, so that the run is short


class _NoSender:
    async def flush(self) -> None:
        return None


async def measure(directory: Path, *, helpers: int = HELPERS, rate: int = RATE) -> dict[str, Any]:
    url = fresh_sqlite(directory, "fanout.db")
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

    api = SandboxBotAPI()
    await api.start()
    for i in range(helpers):
        api.user(generated.helper_telegram_base + i + 1)
    api.state.rate_limit_per_second = float(rate)
    env = bot_env(api.state.token, api.url, url, send_rate=rate)
    log = (directory / "fanout.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    chats = {generated.helper_telegram_base + i + 1 for i in range(helpers)}
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
