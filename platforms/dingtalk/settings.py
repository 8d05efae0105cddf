"""DingTalk's own configuration: FANGFANPIN_DINGTALK_* variables (or the same names in `.env`),
read by this package, not by the core (`bot/plugins.py` finds it by the package's name). The
application's credentials and the interactive card template the township created
(docs/dingtalk.md)."""

from __future__ import annotations

from typing import Any

from pydantic import SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.settings import PREFIX, SettingsError, http_url, one_line

OWN_PREFIX = f"{PREFIX}DINGTALK_"
NEEDED = ("client_id", "client_secret", "card_template")


class DingTalkSettings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=OWN_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    client_id: str | None = None
    client_secret: SecretStr | None = None
    card_template: str | None = None
    api_url: str = "https://api.dingtalk.com"
    oapi_url: str = "https://oapi.dingtalk.com"

    @field_validator("api_url", "oapi_url")
    @classmethod
    def _urls(cls, value: str) -> str:
        return http_url(value, "a DingTalk API base URL", "https://api.dingtalk.com")

    @field_validator("client_id", "card_template", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, str):
            value = value.strip() or None
        if value is not None and any(c.isspace() for c in str(value)):
            raise ValueError("no spaces: copy it from DingTalk's developer console")
        return value

    @field_validator("client_secret", mode="before")
    @classmethod
    def _secret(cls, value: Any) -> Any:
        return (value.strip() or None) if isinstance(value, str) else value

    @property
    def configured(self) -> bool:
        """Whether the bot can send: the application and its card template are named."""
        return all(getattr(self, name) is not None for name in NEEDED)

    def secret(self) -> str | None:
        """What the log must never show."""
        return self.client_secret.get_secret_value() if self.client_secret else None


def load(*, complete: bool = True, **overrides: Any) -> DingTalkSettings:
    """DingTalk's settings from the environment (`overrides` win); with `complete`, the three
    that `run` needs must be there. SettingsError (one line naming the variable) otherwise."""
    try:
        settings = DingTalkSettings(**overrides)
    except ValidationError as exc:
        raise SettingsError(one_line(exc, OWN_PREFIX)) from None
    if complete:
        for name in NEEDED:
            if getattr(settings, name) is None:
                raise SettingsError(
                    f"{OWN_PREFIX}{name.upper()} is needed for {PREFIX}PLATFORM=dingtalk"
                )
    return settings
