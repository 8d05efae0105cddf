"""The local stand-ins for the platforms (Telegram's Bot API here, DingTalk's in `dingtalk/`)
and the page with three chats: for tests, the demo, and trying the bot without either."""

from sandbox.server import SandboxBotAPI

__all__ = ["SandboxBotAPI"]
