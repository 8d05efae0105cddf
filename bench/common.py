"""What the bench's runs share: a fresh SQLite file, and the environment of a bot process."""

from __future__ import annotations

import os
from pathlib import Path

# Scheduled jobs never fire during a run (29 February at midnight: not in these years).
QUIET_SCHEDULE = {
    f"FANGFANPIN_SCHEDULE_{job}": "0 0 29 2 *"
    for job in ("REMINDERS", "MISSED_VISITS", "ESCALATIONS", "WEEKLY_SUMMARY")
}


def fresh_sqlite(directory: Path, name: str) -> str:
    """The URL of an empty SQLite database `directory/name` (an earlier run's removed)."""
    path = directory / name
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def bot_env(token: str, api_url: str, database_url: str, *, send_rate: int) -> dict[str, str]:
    """The environment of `python -m bot run` against the stand-in: this one's, without any
    FANGFANPIN_ setting of the machine, and with the jobs kept quiet."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(
        FANGFANPIN_TELEGRAM_TOKEN=token,
        FANGFANPIN_TELEGRAM_API_URL=api_url,
        FANGFANPIN_DATABASE_URL=database_url,
        FANGFANPIN_LOG_LEVEL="WARNING",
        FANGFANPIN_SEND_RATE=str(send_rate),
        **QUIET_SCHEDULE,
    )
    return env
