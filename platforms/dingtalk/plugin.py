"""DingTalk as the core sees it (`bot/plugins.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine

from bot.settings import Settings
from bot.transport import Transport
from platforms.dingtalk.api import open_api
from platforms.dingtalk.run import serve_dingtalk
from platforms.dingtalk.settings import load
from platforms.dingtalk.transport import DingTalkTransport


class DingTalkPlugin:
    async def serve(self, settings: Settings, engine: Engine, **own: Any) -> int:
        return await serve_dingtalk(settings, load(**own), engine)

    @asynccontextmanager
    async def transport(self, settings: Settings) -> AsyncIterator[Transport | None]:
        own = load(complete=False)
        if not own.configured:
            yield None
            return
        assert own.card_template is not None
        api = open_api(own)
        try:
            yield DingTalkTransport(api, own.card_template)
        finally:
            await api.close()


PLUGIN = DingTalkPlugin()
