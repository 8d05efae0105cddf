"""`fangfanpin --env-file FILE`: a command typed by hand reads the settings files the systemd
unit reads, reaching the same database; the environment wins over them; a missing file is a
configuration error that changes nothing."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.cli import main


def test_a_command_reads_the_units_settings_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("FANGFANPIN_DATABASE_URL", "FANGFANPIN_LOCALE", "FANGFANPIN_SCHEDULE_REMINDERS"):
        monkeypatch.setenv(name, "")  # restored after the test, whatever main() sets
        monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    common = tmp_path / "common.env"
    common.write_text(
        "# the database\n"
        f"FANGFANPIN_DATABASE_URL=sqlite:///{tmp_path}/wrong.db\n"
        'FANGFANPIN_SCHEDULE_REMINDERS="0 9 * * mon; 0 9 * * thu"\n'
        "FANGFANPIN_LOCALE=zh_CN\n",
        encoding="utf-8",
    )
    county = tmp_path / "county-a.env"
    county.write_text(f"FANGFANPIN_DATABASE_URL=sqlite:///{tmp_path}/bot.db\n")
    monkeypatch.setenv("FANGFANPIN_LOCALE", "en")  # the environment wins over the files
    argv = ["--env-file", str(common), "--env-file", str(county), "db", "upgrade"]
    assert main(argv) == 0
    assert "database at revision" in capsys.readouterr().out  # English: the environment's
    assert (tmp_path / "bot.db").is_file() and not (tmp_path / "wrong.db").exists()
    assert os.environ["FANGFANPIN_SCHEDULE_REMINDERS"] == "0 9 * * mon; 0 9 * * thu"

    assert main(["--env-file", str(tmp_path / "missing.env"), "db", "current"]) == 2
    assert "missing.env" in capsys.readouterr().err
