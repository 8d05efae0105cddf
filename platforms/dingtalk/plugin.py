"""DingTalk as the core sees it (`bot/plugins.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import Engine

from bot.settings import Settings
from bot.transport import Transport
from platforms.dingtalk.api import open_api
from platforms.dingtalk.run import serve_dingtalk
from platforms.dingtalk.transport import DingTalkTransport


class DingTalkPlugin:
    async def serve(self, settings: Settings, engine: Engine) -> int:
        return await serve_dingtalk(settings, engine)

    @asynccontextmanager
    async def transport(self, settings: Settings) -> AsyncIterator[Transport | None]:
        if not (settings.dingtalk_client_id and settings.dingtalk_card_template):
            yield None
            return
        api = open_api(settings)
        try:
            yield DingTalkTransport(api, settings.dingtalk_card_template)
        finally:
            await api.close()


PLUGIN = DingTalkPlugin()
