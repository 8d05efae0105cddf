"""`fangfanpin --env-file FILE …`: the settings files the systemd units read (EnvironmentFile=,
e.g. /etc/fangfanpin/common.env) read the same way for a command typed by hand, so that
`roster import` or `db upgrade` reaches the same database as the running bots. A later file
wins over an earlier one (as systemd reads them); a variable already set in the environment
wins over the files (as it does over `.env`). Values are taken literally: no `${…}`."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from pathlib import Path

from dotenv import dotenv_values

from bot.settings import SettingsError


def apply(files: Sequence[Path], environ: MutableMapping[str, str]) -> None:
    merged: dict[str, str] = {}
    for file in files:
        if not file.is_file():
            raise SettingsError(f"--env-file {file}: no such file")
        try:
            values = dotenv_values(file, interpolate=False, encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"--env-file {file}: can not be read ({exc})") from None
        merged.update({name: value for name, value in values.items() if value is not None})
    for name, value in merged.items():
        environ.setdefault(name, value)
