"""Fixtures: one database per test session (SQLite file, or FANGFANPIN_TEST_DATABASE_URL),
emptied between tests; the Bot API stand-in; the real bot running against it."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, inspect, text
from sqlalchemy.orm import Session, sessionmaker

from bot.embedded import running_bot
from bot.sandbox.client import SandboxClient
from bot.sandbox.server import SandboxBotAPI
from bot.sandbox.thread import SandboxThread
from bot.settings import Settings, load_settings
from conversations.base import AppType
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Base
from tests.driver import BotProcess

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
TEST_DB_ENV = "FANGFANPIN_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get(TEST_DB_ENV)
    if url:
        return url
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def drop_everything(engine: Engine) -> None:
    """Drop every table (ours and alembic_version), whatever state an earlier run left."""
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            for table in meta.sorted_tables:
                conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
        else:
            meta.drop_all(conn)


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    engine = make_engine(database_url)
    drop_everything(engine)
    upgrade(engine)
    yield engine
    engine.dispose()


def empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        existing = set(inspect(conn).get_table_names())
        for table in reversed(Base.metadata.sorted_tables):
            if table.name in existing:
                conn.execute(table.delete())


@pytest.fixture
def db(engine: Engine) -> Iterator[Engine]:
    """The migrated database, empty at the start of the test."""
    empty_tables(engine)
    yield engine


@pytest.fixture
def session_factory(db: Engine) -> sessionmaker[Session]:
    return make_session_factory(db)


@pytest.fixture
def env_database(monkeypatch: pytest.MonkeyPatch, database_url: str, db: Engine) -> str:
    """Point FANGFANPIN_DATABASE_URL (what the CLI reads) at the test database."""
    monkeypatch.setenv("FANGFANPIN_DATABASE_URL", database_url)
    monkeypatch.chdir(ROOT)
    return database_url


@pytest.fixture
def sandbox() -> Iterator[SandboxBotAPI]:
    with SandboxThread() as api:
        yield api


@pytest.fixture
async def client(sandbox: SandboxBotAPI) -> AsyncIterator[SandboxClient]:
    async with SandboxClient(sandbox.root) as c:
        yield c


@pytest.fixture
def settings(sandbox: SandboxBotAPI, database_url: str) -> Settings:
    return load_settings(
        telegram_token=sandbox.state.token,
        telegram_api_url=sandbox.url,
        database_url=database_url,
        _env_file=None,
    )


@pytest.fixture
async def bot(settings: Settings, db: Engine) -> AsyncIterator[AppType]:
    async with running_bot(settings, engine=db, poll_timeout=1.0) as (app, _poller):
        yield app


def import_examples(session_factory: sessionmaker[Session]) -> None:
    from datetime import UTC, datetime

    from storage.roster import import_roster

    with session_factory() as session, session.begin():
        import_roster(session, sorted(EXAMPLES.glob("*.csv")), now=datetime.now(UTC), actor="test")


@pytest.fixture
def bot_process(
    sandbox: SandboxBotAPI, database_url: str, tmp_path: Path, db: Engine
) -> Iterator[BotProcess]:
    """`python -m bot run` as a real process against the stand-in and the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(
        FANGFANPIN_TELEGRAM_TOKEN=sandbox.state.token,
        FANGFANPIN_TELEGRAM_API_URL=sandbox.url,
        FANGFANPIN_DATABASE_URL=database_url,
    )
    process = BotProcess(env, tmp_path)
    process.start()
    yield process
    process.stop()
