"""Telegram's flood limit, with an order: what people wait for goes first.

About 30 messages a second for the bot as a whole, 20 a minute to one group (Telegram's
documented limits; `FANGFANPIN_SEND_RATE`). Within them, conversation replies and red
warnings go before bulk sends (reminders, missed-visit lists, weekly summaries): a bulk send
waits while any other send waits for the limit, and at most one bulk send waits in the limit
at a time, so a reply is never queued behind a Monday's reminders. A bulk send is one made
inside `with bulk():` (the outbox worker marks them). A 429 that still comes is waited out
and retried, holding every send back meanwhile, as python-telegram-bot's AIORateLimiter
does; this is a `BaseRateLimiter`, the library's documented extension point."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Coroutine, Iterator
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from aiolimiter import AsyncLimiter
from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

log = logging.getLogger(__name__)

_BULK: ContextVar[bool] = ContextVar("fangfanpin_bulk_send", default=False)


@contextlib.contextmanager
def bulk() -> Iterator[None]:
    """Sends made inside go after every reply and warning waiting for the limit."""
    token = _BULK.set(True)
    try:
        yield
    finally:
        _BULK.reset(token)


class PriorityRateLimiter(BaseRateLimiter[int]):
    def __init__(
        self,
        *,
        rate: float,
        burst: float,
        group_rate: float = 20,
        group_period: float = 60,
        max_retries: int = 3,
    ) -> None:
        self._overall = AsyncLimiter(burst, burst / rate)
        self._group_rate, self._group_period = group_rate, group_period
        self._groups: dict[int | str, AsyncLimiter] = {}
        self._max_retries = max_retries
        self._urgent_waiting = 0  # replies and warnings waiting for the limit
        self._none_urgent = asyncio.Event()
        self._none_urgent.set()
        self._bulk_turn = asyncio.Lock()  # one bulk send waits in the limit at a time
        self._no_retry_after = asyncio.Event()
        self._no_retry_after.set()

    async def initialize(self) -> None:
        """Nothing to start."""

    async def shutdown(self) -> None:
        """Nothing to stop."""

    def _group(self, chat_id: int | str) -> AsyncLimiter:
        if chat_id not in self._groups:
            if len(self._groups) > 512:  # forget groups whose whole minute is unused
                for key, limiter in list(self._groups.items()):
                    if limiter.has_capacity(limiter.max_rate):
                        del self._groups[key]
            self._groups[chat_id] = AsyncLimiter(self._group_rate, self._group_period)
        return self._groups[chat_id]

    async def _slot(self, chat_id: Any) -> None:
        with contextlib.suppress(ValueError, TypeError):
            chat_id = int(chat_id)
        if (isinstance(chat_id, int) and chat_id < 0) or isinstance(chat_id, str):
            await self._group(chat_id).acquire()  # a group (or a channel)
        if _BULK.get():
            async with self._bulk_turn:
                while self._urgent_waiting:
                    await self._none_urgent.wait()
                await self._overall.acquire()
            return
        self._urgent_waiting += 1
        self._none_urgent.clear()
        try:
            await self._overall.acquire()
        finally:
            self._urgent_waiting -= 1
            if not self._urgent_waiting:
                self._none_urgent.set()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Any]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Any:
        """`rate_limit_args`: how many times a 429 is retried (default 3)."""
        retries = rate_limit_args if rate_limit_args is not None else self._max_retries
        chat_id = data.get("chat_id")
        for attempt in range(retries + 1):
            await self._no_retry_after.wait()
            if chat_id is not None:  # calls without a chat (answers to presses) are free
                await self._slot(chat_id)
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == retries:
                    raise
                wait = exc.retry_after
                seconds = wait.total_seconds() if isinstance(wait, timedelta) else float(wait)
                log.info("%s: flood limit, every send waits %.1f s", endpoint, seconds + 0.1)
                self._no_retry_after.clear()
                try:
                    await asyncio.sleep(seconds + 0.1)
                finally:
                    self._no_retry_after.set()
        raise AssertionError("unreachable")
