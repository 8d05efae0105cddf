"""The platforms `run` can serve, one line each: its name (FANGFANPIN_PLATFORM) and the module
whose `PLUGIN` connects it. The core imports a platform only through this table, so a third
platform is its own package plus one line here (docs/architecture.md)."""

from __future__ import annotations

import importlib
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.settings import Settings
    from bot.transport import Transport

PLATFORMS: dict[str, str] = {
    "telegram": "platforms.telegram.plugin",
    "dingtalk": "platforms.dingtalk.plugin",
}


class Plugin(Protocol):
    async def serve(self, settings: Settings, engine: Engine) -> int:
        """Run the bot on this platform until SIGTERM or SIGINT; the exit code."""

    def transport(self, settings: Settings) -> AbstractAsyncContextManager[Transport | None]:
        """A transport for one drain of the outbox from the command line (None: this
        platform is not configured, the running bot will send)."""


def plugin(name: str) -> Plugin:
    module = importlib.import_module(PLATFORMS[name])
    found: Plugin = module.PLUGIN
    return found
