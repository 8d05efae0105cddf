"""`fangfanpin db backup FILE`: a consistent copy of a live SQLite database that restores with
every check-in; database files readable by their owner only. `fangfanpin backup -o DIR` and
`fangfanpin restore FOLDER`: the database (SQLite or PostgreSQL), the policy file and the
settings, restored into an empty database."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from storage import backup as storage_backup
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Alert, CheckIn, GroupBinding, Household
from storage.roster import import_roster
from tests.conftest import ALL_YEARS, EXAMPLES
from tests.scratch_db import scratch_database
from tests.small_town import at, green_checkin


def private(path: Path) -> bool:
    return stat.S_IMODE(path.stat().st_mode) & 0o077 == 0


def test_backup_restores_every_checkin(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    live = tmp_path / "data" / "bot.db"
    url = f"sqlite:///{live}"
    engine = make_engine(url)
    upgrade(engine)
    factory = make_session_factory(engine)
    with factory() as s, s.begin():
        import_roster(s, sorted(EXAMPLES.glob("*.csv")), now=at("2026-10-01T08:00"), actor="t")
    with factory() as s:
        numbers = s.scalars(select(Household.number).order_by(Household.number)).all()
    for day, number in enumerate(numbers[:12]):
        green_checkin(factory, number, at(f"2026-11-{23 + day % 5}T10:00"), food=day % 3 != 0)
    assert private(live) and private(Path(f"{live}-wal"))

    monkeypatch.setenv("FANGFANPIN_DATABASE_URL", url)
    copy = tmp_path / "backup.db"
    with engine.connect():  # the bot is running: a connection is open during the backup
        assert main(["db", "backup", str(copy)]) == 0
    assert "backup.db" in capsys.readouterr().out
    assert private(copy) and not list(tmp_path.glob("*.partial"))
    engine.dispose()

    live.unlink()  # the disk died; restore from the copy
    restored = make_engine(f"sqlite:///{copy}")
    with make_session_factory(restored)() as s:
        kept = s.scalars(select(Household.number).join(CheckIn).order_by(Household.number)).all()
        assert kept == sorted(numbers[:12])
        assert (
            s.scalar(select(func.count()).select_from(CheckIn).where(CheckIn.level == "red")) == 4
        )
    restored.dispose()


def test_backup_of_postgresql_points_to_pg_dump(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("FANGFANPIN_DATABASE_URL", "postgresql+psycopg://u@127.0.0.1:1/x")
    assert main(["db", "backup", str(tmp_path / "x.db")]) == 2
    assert "pg_dump" in capsys.readouterr().err
    monkeypatch.setenv("FANGFANPIN_DATABASE_URL", f"sqlite:///{tmp_path / 'a.db'}")
    assert main(["db", "backup", str(tmp_path / "missing" / "x.db")]) == 2


def _backup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *more: str) -> Path:
    """`fangfanpin backup` of the test database with a policy file and two settings files."""
    etc = tmp_path / "etc"
    etc.mkdir(exist_ok=True)
    (etc / "common.env").write_text(f"FANGFANPIN_POLICY_FILE={ALL_YEARS}\n")
    (etc / "county-a.env").write_text("FANGFANPIN_TELEGRAM_TOKEN=123:secret\n")
    monkeypatch.setenv("FANGFANPIN_POLICY_FILE", str(ALL_YEARS))
    assert main(["backup", "-o", str(tmp_path / "backups"), "--settings", str(etc), *more]) == 0
    return max((tmp_path / "backups").iterdir())


def _facts(url: str) -> tuple[list[str], list[str], int, int]:
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as s:
            return (
                list(s.scalars(select(Household.number).order_by(Household.number))),
                list(s.scalars(select(CheckIn.level).order_by(CheckIn.id))),
                s.scalar(select(func.count()).select_from(Alert)) or 0,
                s.scalar(select(func.count()).select_from(GroupBinding)) or 0,
            )
    finally:
        engine.dispose()


def test_backup_restores_into_an_empty_database_with_the_policy_and_settings(
    env_database: str,
    town: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    green_checkin(town, "H1", at("2026-11-24T10:00"), food=False)  # a red warning, queued
    green_checkin(town, "H2", at("2026-11-24T11:00"))
    before = _facts(env_database)
    assert before[1:] == (["red", "green"], 1, 2)

    folder = _backup(tmp_path, monkeypatch)
    assert "fangfanpin-" in capsys.readouterr().out
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
    assert files == [
        "database.dump" if env_database.startswith("postgresql") else "database.sqlite",
        "manifest.json",
        "policy.toml",
        "settings/common.env",
        "settings/county-a.env",
    ]
    assert all(private(folder / f) for f in files)
    assert (
        folder / "settings/county-a.env"
    ).read_text() == "FANGFANPIN_TELEGRAM_TOKEN=123:secret\n"
    assert (folder / "policy.toml").read_bytes() == ALL_YEARS.read_bytes()

    with scratch_database(env_database, "restore", tmp_path) as target:
        monkeypatch.setenv("FANGFANPIN_DATABASE_URL", target)
        assert main(["restore", str(folder)]) == 0
        out = capsys.readouterr().out
        assert str(tmp_path / "etc" / "county-a.env") in out  # where the settings go back
        assert _facts(target) == before
        # A second restore into what is no longer empty changes nothing.
        assert main(["restore", str(folder)]) == 2
        assert "不是空库" in capsys.readouterr().err
        assert _facts(target) == before


def test_a_damaged_or_newer_backup_is_refused_and_changes_nothing(
    env_database: str,
    town: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    folder = _backup(tmp_path, monkeypatch)
    manifest = json.loads((folder / "manifest.json").read_text())
    with scratch_database(env_database, "restore", tmp_path) as target:
        monkeypatch.setenv("FANGFANPIN_DATABASE_URL", target)
        newer = dict(manifest, database=dict(manifest["database"], revision="9999"))
        (folder / "manifest.json").write_text(json.dumps(newer))
        assert main(["restore", str(folder)]) == 2
        assert "较新的版本" in capsys.readouterr().err
        (folder / "manifest.json").write_text(json.dumps(manifest))
        dump = folder / manifest["database"]["file"]
        data = bytearray(dump.read_bytes())
        data[len(data) // 2] ^= 0xFF
        dump.write_bytes(bytes(data))
        assert main(["restore", str(folder)]) == 1
        assert "damaged" in capsys.readouterr().err
        assert main(["restore", str(tmp_path)]) == 1  # not a backup at all
        assert "manifest.json" in capsys.readouterr().err
        assert storage_backup.tables(target) == []


def test_the_newest_backups_are_kept(
    env_database: str,
    town: sessionmaker[Session],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    killed = tmp_path / "backups" / "fangfanpin-20261101-023000.partial"  # a day-old leftover
    killed.mkdir(parents=True)
    os.utime(killed, (killed.stat().st_mtime - 25 * 3600,) * 2)
    made = [_backup(tmp_path, monkeypatch, "--keep", "2") for _ in range(3)]
    assert sorted((tmp_path / "backups").iterdir()) == made[1:]
    assert "已删除 1 份较早的备份" in capsys.readouterr().out
    assert main(["backup", "-o", str(tmp_path / "backups"), "--settings", "/nonexistent"]) == 1
    assert "/nonexistent" in capsys.readouterr().err
    assert sorted((tmp_path / "backups").iterdir()) == made[1:]
