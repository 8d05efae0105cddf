"""The local Bot API stand-in (for tests, the demo, and trying the bot without Telegram)."""

from sandbox.server import SandboxBotAPI

__all__ = ["SandboxBotAPI"]
