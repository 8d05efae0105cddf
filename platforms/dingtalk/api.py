"""The OpenAPI client of the configured DingTalk application."""

from __future__ import annotations

from platforms.dingtalk.openapi import OpenApi
from platforms.dingtalk.settings import DingTalkSettings


def open_api(own: DingTalkSettings) -> OpenApi:
    assert own.client_id and own.client_secret
    return OpenApi(
        client_id=own.client_id,
        client_secret=own.client_secret.get_secret_value(),
        api_url=own.api_url,
        oapi_url=own.oapi_url,
    )
