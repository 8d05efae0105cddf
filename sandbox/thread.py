"""Run the stand-in on its own event loop in a background thread (tests, benchmarks)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, TypeVar

from sandbox.server import SandboxBotAPI

T = TypeVar("T")


class SandboxThread:
    def __init__(self, *, token: str | None = None, port: int = 0) -> None:
        self.api = SandboxBotAPI(token=token, port=port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sandbox-bot-api", daemon=True
        )

    def start(self) -> SandboxBotAPI:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self.api.start(), self._loop).result(10)
        return self.api

    def run(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine (e.g. `api.stop_listening()`) on the stand-in's loop."""
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(30)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def __enter__(self) -> SandboxBotAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
