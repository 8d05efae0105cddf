"""The platforms `run` can serve, one line each: its name (FANGFANPIN_PLATFORM) and its package.
The package's `plugin` module has the `PLUGIN` that connects it; its `settings` module, when
it has one, reads the platform's own variables (FANGFANPIN_<NAME>_*). The core imports a
platform only through this table, so a third platform is its own package plus one line here
(docs/architecture.md)."""

from __future__ import annotations

import importlib
import importlib.util
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from bot.settings import Settings
    from bot.transport import Transport

PLATFORMS: dict[str, str] = {
    "telegram": "platforms.telegram",
    "dingtalk": "platforms.dingtalk",
}


class Plugin(Protocol):
    async def serve(self, settings: Settings, engine: Engine, **own: Any) -> int:
        """Run the bot on this platform until SIGTERM or SIGINT; the exit code. `own`: the
        platform's own settings, over its variables (the sandbox's stand-in)."""

    def transport(self, settings: Settings) -> AbstractAsyncContextManager[Transport | None]:
        """A transport for one drain of the outbox from the command line (None: this
        platform is not configured, the running bot will send)."""


class OwnSettings(Protocol):
    def secret(self) -> str | None:
        """What the log must never show."""


def plugin(name: str) -> Plugin:
    module = importlib.import_module(PLATFORMS[name] + ".plugin")
    found: Plugin = module.PLUGIN
    return found


def own_settings(name: str, *, complete: bool) -> OwnSettings | None:
    """The platform's own settings from the environment (None: it has none), checked; with
    `complete`, all that `run` needs must be there. SettingsError (one line) otherwise."""
    path = PLATFORMS[name] + ".settings"
    if importlib.util.find_spec(path) is None:
        return None
    found: OwnSettings = importlib.import_module(path).load(complete=complete)
    return found
