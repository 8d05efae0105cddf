"""`fangfanpin` as a real process: a fresh database, the stand-in, logs without the token."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sandbox.client import SandboxClient
from sandbox.server import SandboxBotAPI
from sandbox.thread import SandboxThread
from tests.conftest import EXAMPLES

TOKEN = "7012345678:AAHk3xQ9v_Zr2LmN8pT4sW6yB1cD5eF7gHj"
ID_NUMBER = "11010519491231002X"


@pytest.fixture
def real_token_sandbox() -> Iterator[SandboxBotAPI]:
    with SandboxThread(token=TOKEN) as api:
        yield api


def env_for(api: SandboxBotAPI, db: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(
        FANGFANPIN_TELEGRAM_TOKEN=TOKEN,
        FANGFANPIN_TELEGRAM_API_URL=api.url,
        FANGFANPIN_DATABASE_URL=f"sqlite:///{db}",
        FANGFANPIN_LOG_LEVEL="DEBUG",
        # python-telegram-bot's DEBUG records (whole updates) only when asked for by name:
        # even then the token, phones and ID numbers are masked
        FANGFANPIN_DEBUG_LOGGERS="telegram",
    )
    return env


async def test_run_migrates_a_fresh_database_answers_and_stops_cleanly(
    real_token_sandbox: SandboxBotAPI, tmp_path: Path
) -> None:
    db = tmp_path / "fresh" / "bot.db"  # the folder does not exist yet
    env = env_for(real_token_sandbox, db)
    imported = subprocess.run(
        [sys.executable, "-m", "bot", "roster", "import", *map(str, EXAMPLES.glob("*.csv"))],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert imported.returncode == 0, imported.stderr
    assert "新增 30 户" in imported.stdout

    log_path = tmp_path / "bot.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            env=env,
            cwd=tmp_path,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        async with SandboxClient(real_token_sandbox.root) as client:
            await client.user(501, "李建国")
            seq = await client.last_seq()
            await client.send_text(501, "/start")
            prompt = await client.reply(501, after=seq, timeout=30)
            assert prompt["reply_markup"]["keyboard"][0][0]["request_contact"]
            seq = await client.last_seq()
            await client.send_contact(501, "8613800138001", contact_user_id=501)
            greeting = await client.reply(501, after=seq)
            assert "李建国" in greeting["text"]
            # A typed text holding an ID number and a phone number (as a note would be).
            seq = await client.last_seq()
            await client.send_text(501, f"备注 {ID_NUMBER} 电话 13800138001")
            await client.reply(501, after=seq, timeout=30)
    finally:
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=30)
    output = log_path.read_text()
    assert code == 0, output
    assert TOKEN not in output and TOKEN.split(":")[1] not in output
    assert "getUpdates" in output or "get_updates" in output.lower()  # DEBUG logs were written
    assert "138****8001" in output  # the update was logged, masked
    assert "13800138001" not in output and ID_NUMBER not in output
    assert ID_NUMBER[-4:] in output
    assert db.exists()
    assert stat.S_IMODE(db.stat().st_mode) & 0o077 == 0  # readable by its owner only
