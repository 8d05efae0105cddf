"""The OpenAPI client of the configured DingTalk application."""

from __future__ import annotations

from bot.settings import Settings
from platforms.dingtalk.openapi import OpenApi


def open_api(settings: Settings) -> OpenApi:
    assert settings.dingtalk_client_id and settings.dingtalk_client_secret
    return OpenApi(
        client_id=settings.dingtalk_client_id,
        client_secret=settings.dingtalk_client_secret.get_secret_value(),
        api_url=settings.dingtalk_api_url,
        oapi_url=settings.dingtalk_oapi_url,
    )
