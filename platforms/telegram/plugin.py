"""Telegram as the core sees it (`bot/plugins.py`)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import Engine
from telegram import Bot

from bot.settings import Settings
from bot.transport import Transport
from platforms.telegram.embedded import serve
from platforms.telegram.request import AiohttpRequest
from platforms.telegram.transport import TelegramTransport


class TelegramPlugin:
    async def serve(self, settings: Settings, engine: Engine, **own: Any) -> int:
        return await serve(settings, engine=engine)

    @asynccontextmanager
    async def transport(self, settings: Settings) -> AsyncIterator[Transport | None]:
        if settings.telegram_token is None:
            yield None
            return
        bot = Bot(
            settings.telegram_token.get_secret_value(),
            base_url=settings.telegram_api_url,
            base_file_url=settings.file_url,
            request=AiohttpRequest(proxy=settings.telegram_proxy),
        )
        async with bot:
            yield TelegramTransport(bot)


PLUGIN = TelegramPlugin()
