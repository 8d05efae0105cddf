"""Exports do not stall everyone: a helper's /help answered while five township staff export
the ledger of a 10,000-household township at the same time, against the real bot
(`python -m bot run`, SQLite) through the stand-in.

Latency is the time from the moment the /help update is offered (it can be fetched) to the
moment the bot's answer reaches the helper's chat, measured in the stand-in's process. The same
/help is measured first with nothing else going on (the baseline of the same run)."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import select

from bench.common import bot_env, fresh_sqlite
from bench.generate import generate
from monitoring.people import Role
from sandbox.server import SandboxBotAPI
from storage.db import make_engine, make_session_factory
from storage.models import Person

HOUSEHOLDS = 10_000
EXPORTERS = 5
HELPS = 60  # /help asked during the exports (one every HELP_EVERY seconds, or until done)
HELP_EVERY = 0.25
STAFF_BASE = 70_000
WEEK = "2026-W48"


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(p * len(ordered)))] if ordered else float("nan")


def _more_staff(url: str, township_id: int) -> list[int]:
    """Five township staff of the first township, linked to Telegram."""
    engine = make_engine(url)
    factory = make_session_factory(engine)
    ids = [STAFF_BASE + i for i in range(EXPORTERS)]
    with factory() as s, s.begin():
        now = s.scalars(select(Person.created_at)).first()
        for i, user_id in enumerate(ids):
            s.add(
                Person(
                    name=f"导出{i + 1}",
                    phone=f"+86187{user_id:08d}",
                    role=Role.TOWNSHIP_STAFF.value,
                    township_id=township_id,
                    platform_user_id=user_id,
                    linked_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
    engine.dispose()
    return ids


async def _ask(api: SandboxBotAPI, user_id: int, text: str, timeout: float = 60) -> float:
    """Send `text` as `user_id`; seconds until the bot's next message in that chat."""
    before = len(api.state.messages.get(user_id, []))
    started = time.perf_counter()
    await api.send({"user_id": user_id, "text": text})
    deadline = started + timeout
    while time.perf_counter() < deadline:
        messages = api.state.messages.get(user_id, [])
        if any(m.get("from", {}).get("is_bot") for m in messages[before:]):
            return time.perf_counter() - started
        await asyncio.sleep(0.002)
    raise RuntimeError(f"no answer to {text!r} within {timeout} s")


def _documents(api: SandboxBotAPI, user_id: int) -> int:
    return sum(1 for m in api.state.messages.get(user_id, []) if "document" in m)


async def measure(directory: Path) -> dict[str, Any]:
    url = fresh_sqlite(directory, "exports.db")
    engine = make_engine(url)
    generated = generate(engine, HOUSEHOLDS)
    engine.dispose()
    staff = _more_staff(url, generated.township_ids[0])
    helper = generated.helper_telegram_base + 1

    api = SandboxBotAPI()
    await api.start()
    for user_id in (helper, *staff):
        api.user(user_id)
    env = bot_env(api.state.token, api.url, url, send_rate=1000)
    log = (directory / "exports.log").open("ab")
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run"], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        await _ask(api, helper, "/help", timeout=120)  # the bot is up
        # Warm up the export process once (spawned on first use), then the baseline.
        await _ask(api, staff[0], f"/export {WEEK}")
        while _documents(api, staff[0]) < 1:
            await asyncio.sleep(0.1)
        idle = [await _ask(api, helper, "/help") for _ in range(20)]

        started = time.perf_counter()
        await asyncio.gather(*(_ask(api, s, f"/export {WEEK}") for s in staff))
        during: list[float] = []
        while any(_documents(api, s) < (2 if s == staff[0] else 1) for s in staff):
            during.append(await _ask(api, helper, "/help"))
            await asyncio.sleep(HELP_EVERY)
            if time.perf_counter() - started > 600:
                raise RuntimeError("the five exports took over 10 minutes")
        exports_seconds = time.perf_counter() - started
        told = [
            next(
                (
                    m.get("text", "")
                    for m in api.state.messages.get(s, [])
                    if m.get("from", {}).get("is_bot") and "正在生成" in m.get("text", "")
                ),
                "",
            )
            for s in staff
        ]
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()
        await api.stop()
    return {
        "households": HOUSEHOLDS,
        "exporters": EXPORTERS,
        "exports_seconds": round(exports_seconds, 1),
        "helps_during": len(during),
        "help_idle_p95_ms": round(_pct(idle, 0.95) * 1000, 1),
        "help_during_p50_ms": round(_pct(during, 0.50) * 1000, 1),
        "help_during_p95_ms": round(_pct(during, 0.95) * 1000, 1),
        "help_during_max_ms": round(max(during) * 1000, 1) if during else None,
        "all_told_preparing": all(told),
    }
