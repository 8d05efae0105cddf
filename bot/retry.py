"""Starting against a platform that can not be reached yet (no network, its name not
resolved, a connection refused, the platform blocked): try again with backoff, one log line
per attempt, until it answers or the process is told to stop. The DingTalk stream connects
again with the same pauses (`platforms/dingtalk/stream.py`); the Telegram bot's start waits
with them (`platforms/telegram/embedded.py`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, wait_chain, wait_fixed

T = TypeVar("T")

BACKOFF = (0.5, 1.0, 2.0, 5.0, 10.0)  # seconds before each new attempt, the last repeated


def brief(error: BaseException) -> str:
    """An error in one short line (its first line, at most 160 characters)."""
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0][:160]


async def until_reached(
    attempt: Callable[[], Awaitable[T]],
    *,
    retry_on: tuple[type[BaseException], ...],
    stop: asyncio.Event,
    log: logging.Logger,
    what: str,
    backoff: Sequence[float] = BACKOFF,
) -> T | None:
    """`attempt()` until it returns its result. A `retry_on` failure is one warning line
    (`what` could not be reached, why, attempt N, when the next one comes); anything else
    is raised. None when `stop` is set first: during an attempt (it is cancelled) or a
    pause."""

    async def pause(seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    def failed(state: RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        delay = state.next_action.sleep if state.next_action else 0.0
        log.warning(
            "%s can not be reached (%s); attempt %d failed, next in %.1f s",
            what,
            brief(error) if error else "?",
            state.attempt_number,
            delay,
        )

    retrying = AsyncRetrying(
        retry=retry_if_exception_type(retry_on),
        wait=wait_chain(*(wait_fixed(s) for s in backoff)),
        sleep=pause,
        before_sleep=failed,
        reraise=True,
    )
    async for trying in retrying:
        with trying:
            return await _unless_stopped(attempt(), stop)
    return None  # pragma: no cover - AsyncRetrying either returns or raises


async def _unless_stopped(work: Awaitable[T], stop: asyncio.Event) -> T | None:
    """`work`'s result, or None once `stop` is set (the work is cancelled)."""
    task = asyncio.ensure_future(work)
    if stop.is_set():
        task.cancel()
    waiter = asyncio.ensure_future(stop.wait())
    try:
        await asyncio.wait({task, waiter}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiter.cancel()
    if task.done() and not task.cancelled():
        return task.result()
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError, Exception):
        await task
    return None
