"""The local Bot API stand-in (for tests, the demo, and trying the bot without Telegram)."""

from sandbox.server import SandboxBotAPI
from sandbox.state import DEFAULT_TOKEN

__all__ = ["DEFAULT_TOKEN", "SandboxBotAPI"]
