"""The DingTalk stand-in on its own event loop in a background thread (the sandbox)."""

from __future__ import annotations

import asyncio
import threading

from sandbox.dingtalk.server import DingTalkStandIn


class DingTalkThread:
    def __init__(self, *, port: int = 0) -> None:
        self.standin = DingTalkStandIn(port=port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="sandbox-dingtalk", daemon=True
        )

    def start(self) -> str:
        self._thread.start()
        return asyncio.run_coroutine_threadsafe(self.standin.start(), self._loop).result(10)

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.standin.stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
