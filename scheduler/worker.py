"""A background worker's life: started, woken, stopped; between wakes it runs `drain()` every
`interval` seconds, and outlives a failing round (both platforms' outboxes are one)."""

from __future__ import annotations

import asyncio
import contextlib
import logging

log = logging.getLogger(__name__)


class Worker:
    interval: float = 5.0
    task_name = "worker"

    def __init__(self) -> None:
        self._wake = asyncio.Event()
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.run(), name=self.task_name)

    async def stop(self) -> None:
        self._stopping.set()
        self._wake.set()
        if self._task is not None:
            with contextlib.suppress(Exception):
                await self._task
            self._task = None

    def wake(self) -> None:
        self._wake.set()

    async def before(self) -> None:
        """Once, before the first round."""

    async def drain(self) -> int:
        raise NotImplementedError

    async def run(self) -> None:
        await self.before()
        while not self._stopping.is_set():
            try:
                await self.drain()
            except Exception:  # the worker must outlive a bad row or a database hiccup
                log.exception("%s: a round failed", self.task_name)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self.interval)
            self._wake.clear()
