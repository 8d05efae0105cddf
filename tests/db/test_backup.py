"""`fangfanpin db backup FILE`: a consistent copy of a live SQLite database that restores with
every check-in; database files readable by their owner only."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.cli import main
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import CheckIn, Household
from storage.roster import import_roster
from tests.conftest import EXAMPLES
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
