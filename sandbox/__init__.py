"""The local Bot API stand-in (for tests, the demo, and trying the bot without Telegram)."""

from sandbox.server import DEFAULT_TOKEN, SandboxBotAPI

__all__ = ["DEFAULT_TOKEN", "SandboxBotAPI"]
