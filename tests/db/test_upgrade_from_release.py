"""The upgrade procedure's migration step on the last landed release's database: a township
written by that release's own code (tests/fixtures/make_release_db.py: roster, accounts,
groups, two weeks of check-ins with red warnings, a Monday's jobs, a lead) brought to the
newest migration by `fangfanpin db upgrade`, with every row kept and the bot working on it."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import func, inspect, make_url, select, text
from sqlalchemy.orm import Session

from bot.cli import main
from storage.db import make_engine, make_session_factory
from storage.migrate import current_revision, head_revision
from storage.models import CheckIn, Household
from tests.scratch_db import scratch_database
from tests.small_town import at, green_checkin

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
RELEASE = "release-976d0bd"


def load_release(url: str) -> None:
    """The release's database as it dumped it (SQL text), into the empty database at `url`."""
    kind = make_url(url).get_backend_name()
    script = (FIXTURES / f"{RELEASE}.{kind}.sql").read_text(encoding="utf-8")
    if kind == "sqlite":
        # Tables in the order of their names: a row may come before the table it refers to,
        # so without our engine's foreign-key pragma.
        connection = sqlite3.connect(make_url(url).database or "")
        try:
            connection.executescript(script)
        finally:
            connection.close()
        return
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            conn.connection.driver_connection.execute(script)  # type: ignore[union-attr]
    finally:
        engine.dispose()


def rows(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return {
                t: conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()
                for t in inspect(conn).get_table_names()
            }
    finally:
        engine.dispose()


def test_db_upgrade_keeps_every_row_of_the_last_release(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    release = json.loads((FIXTURES / f"{RELEASE}.json").read_text())["rows"]
    with scratch_database(database_url, "release", tmp_path) as url:
        load_release(url)
        assert rows(url) == release  # what the release wrote, on this engine too
        monkeypatch.setenv("FANGFANPIN_DATABASE_URL", url)
        monkeypatch.chdir(tmp_path)
        assert main(["db", "upgrade"]) == 0
        assert head_revision() in capsys.readouterr().out
        after = rows(url)
        kept = {t: n for t, n in after.items() if t in release and t != "alembic_version"}
        assert kept == {t: n for t, n in release.items() if t != "alembic_version"}

        engine = make_engine(url)
        try:
            assert current_revision(engine) == head_revision()
            factory = make_session_factory(engine)
            # The new code goes on where the release stopped: a check-in of the next week.
            green_checkin(factory, "LX01001", at("2026-12-01T10:00"))
            with Session(engine) as s:
                assert (
                    s.scalar(select(func.count()).select_from(CheckIn)) == release["checkins"] + 1
                )
                assert s.scalar(select(func.count()).select_from(Household)) == 30
        finally:
            engine.dispose()
        ledger = tmp_path / "ledger.xlsx"
        assert main(["export", "-o", str(ledger), "--week", "2026-W48"]) == 0
        assert ledger.stat().st_size > 0
