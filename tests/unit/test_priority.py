"""The flood limiter's order: a reply or a warning waiting for the limit goes before bulk
sends already queued (reminders), and bulk sends still all go, at the limit's pace."""

from __future__ import annotations

import asyncio
import contextlib
import time

from platforms.telegram.priority import PriorityRateLimiter, bulk


async def test_a_reply_overtakes_queued_bulk_sends() -> None:
    limiter = PriorityRateLimiter(rate=20, burst=1)  # one send every 50 ms
    order: list[str] = []

    async def call(name: str) -> bool:
        order.append(name)
        return True

    async def send(name: str, is_bulk: bool, chat_id: int) -> None:
        with bulk() if is_bulk else contextlib.nullcontext():
            await limiter.process_request(
                call, (name,), {}, "sendMessage", {"chat_id": chat_id}, None
            )

    started = time.monotonic()
    reminders = [asyncio.create_task(send(f"reminder {i}", True, 100 + i)) for i in range(10)]
    await asyncio.sleep(0.02)  # the reminders are queued
    await send("reply", False, 7)
    await send("warning", False, -500)  # a group: its own limit too
    await asyncio.gather(*reminders)
    assert order.index("reply") <= 2 and order.index("warning") <= 3, order
    assert sorted(order) == sorted([f"reminder {i}" for i in range(10)] + ["reply", "warning"])
    assert time.monotonic() - started >= 11 * 0.05 * 0.9  # the limit still holds for all


async def test_without_a_chat_nothing_waits() -> None:
    """Answering a button press (no chat id) is not a message: no slot is taken."""
    limiter = PriorityRateLimiter(rate=1, burst=1)

    async def call() -> bool:
        return True

    started = time.monotonic()
    for _ in range(5):
        await limiter.process_request(call, (), {}, "answerCallbackQuery", {}, None)
    assert time.monotonic() - started < 0.5
