"""Fixtures: one database per test session (SQLite file, or FANGFANPIN_TEST_DATABASE_URL),
emptied between tests; the Bot API stand-in; the real bot running against it."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, inspect, make_url, select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.settings import Settings, load_settings
from platforms.telegram.context import AppType
from platforms.telegram.embedded import running_bot
from sandbox.client import SandboxClient
from sandbox.server import SandboxBotAPI
from sandbox.thread import SandboxThread
from storage.bindings import Bindings
from storage.db import make_engine, make_session_factory
from storage.migrate import upgrade
from storage.models import Base, Household
from storage.repositories import People
from storage.roster import import_roster
from tests.driver import BotProcess
from tests.privacy import leaks
from tests.small_town import (
    HEAD,
    PHONES,
    STAFF,
    TOWNSHIP_GROUP,
    VILLAGE_GROUP,
    A,
    B,
    C,
    at,
)

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
# Lines for every year: no test but those about it sees a year without a line.
ALL_YEARS = ROOT / "tests" / "policy_all_years.toml"
TEST_DB_ENV = "FANGFANPIN_TEST_DATABASE_URL"


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """SQLite in the session's temporary directory, or FANGFANPIN_TEST_DATABASE_URL; with
    `pytest -n` (xdist) each worker gets its own database beside the given one."""
    url = os.environ.get(TEST_DB_ENV)
    if url:
        return own_database(url, os.environ.get("PYTEST_XDIST_WORKER"))
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


def own_database(url: str, worker: str | None) -> str:
    """`url` for the only test process; else a database of the worker's own on the same
    server (`test_gw0`...), created when missing."""
    if not worker:
        return url
    given = make_url(url)
    name = f"{given.database}_{worker}"
    server = make_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with server.connect() as conn:
            exists = conn.execute(
                text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}
            ).first()
            if exists is None:
                conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        server.dispose()
    return given.set(database=name).render_as_string(hide_password=False)


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


@pytest.fixture(autouse=True)
def root_log_handlers() -> Iterator[None]:
    """A test that runs the CLI in-process installs the CLI's log handler on that test's
    captured stderr; later tests must not log to it once it is closed."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


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
        # Every end-to-end test is also a privacy test: nothing private ever reached a group.
        found = leaks(api.state.calls)
        assert not found, "private data sent to a group chat:\n" + "\n".join(found)


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
        policy_file=str(ALL_YEARS),
        _env_file=None,
    )


@pytest.fixture
async def bot(settings: Settings, db: Engine) -> AsyncIterator[AppType]:
    async with running_bot(settings, engine=db, poll_timeout=1.0) as (app, _poller):
        yield app


def import_examples(session_factory: sessionmaker[Session]) -> None:
    with session_factory() as session, session.begin():
        import_roster(session, sorted(EXAMPLES.glob("*.csv")), now=datetime.now(UTC), actor="test")


@pytest.fixture
def bot_process(
    sandbox: SandboxBotAPI, database_url: str, tmp_path: Path, db: Engine
) -> Iterator[BotProcess]:
    """`python -m bot run` as a real process against the stand-in and the test database."""
    process = BotProcess(bot_environment(sandbox, database_url), tmp_path)
    process.start()
    yield process
    process.stop()


def bot_environment(sandbox: SandboxBotAPI, database_url: str, **more: str) -> dict[str, str]:
    """The environment of a bot process against the stand-in and the test database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env.update(
        FANGFANPIN_TELEGRAM_TOKEN=sandbox.state.token,
        FANGFANPIN_TELEGRAM_API_URL=sandbox.url,
        FANGFANPIN_DATABASE_URL=database_url,
        FANGFANPIN_POLICY_FILE=str(ALL_YEARS),
        **more,
    )
    return env


@pytest.fixture
def town(session_factory: sessionmaker[Session], tmp_path: Path) -> sessionmaker[Session]:
    households = tmp_path / "households.csv"
    households.write_text(
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话\n"
        "龙溪镇,青山村,H1,王大山,,3,脱贫不稳定户,7000,甲,13800000001\n"
        "龙溪镇,青山村,H2,李春花,,2,边缘易致贫户,7000,甲,13800000001\n"
        "龙溪镇,青山村,H3,赵长生,,4,脱贫不稳定户,7000,乙,13800000002\n"
        "龙溪镇,石桥村,H4,刘桂芳,,1,边缘易致贫户,7000,丙,13800000003\n",
        encoding="utf-8",
    )
    staff = tmp_path / "staff.csv"
    staff.write_text(
        "姓名,电话,角色,乡镇,村\n杨镇长,18700000001,乡镇干部,龙溪镇,\n"
        "村长甲,13700000009,村干部,龙溪镇,青山村\n",
        encoding="utf-8",
    )
    now = at("2026-11-01T08:00")
    with session_factory() as s, s.begin():
        import_roster(s, [households, staff], now=now, actor="test")
        people = People(s)
        for user_id, phone in PHONES.items():
            person = people.by_phone("+86" + phone)
            assert person is not None
            people.link_account(person, user_id, now=now, actor="test")
        staff_person = people.by_phone("+8618700000001")
        assert staff_person is not None
        township_id = staff_person.township_id
        village = s.scalar(select(Household.village_id).where(Household.number == "H1"))
        bindings = Bindings(s)
        bindings.bind(
            chat_id=VILLAGE_GROUP,
            title="青山村工作群",
            township_id=township_id,
            village_id=village,
            by=staff_person,
            now=now,
        )
        bindings.bind(
            chat_id=TOWNSHIP_GROUP,
            title="龙溪镇群",
            township_id=township_id,
            village_id=None,
            by=staff_person,
            now=now,
        )
    return session_factory


@pytest.fixture
async def chats(client: SandboxClient) -> None:
    for user_id, name in ((A, "甲"), (B, "乙"), (C, "丙"), (STAFF, "杨镇长"), (HEAD, "村长甲")):
        await client.user(user_id, name)
    for chat_id, title in ((VILLAGE_GROUP, "青山村工作群"), (TOWNSHIP_GROUP, "龙溪镇群")):
        await client.create_group(chat_id, title)
        await client.bot_membership(chat_id, by_user_id=STAFF)


# The longest tests, longest first. `make test` runs several workers (pytest-xdist's
# worksteal: each worker is first given an equal, contiguous share of the list, and idle
# workers steal from the end of others' shares); each share starts with its own long tests,
# dealt round-robin, so that they run side by side from the start instead of one after
# another in the first share (with the longest two in one share the suite took 3.6 minutes).
LONGEST_FIRST = (
    "test_killed_after_every_answer_the_checkin_completes_with_all_answers",
    "test_the_bot_rides_out_an_outage",
    "test_many_helpers_and_kills_lose_nothing_and_post_each_warning_once",
    "test_a_red_checkin_through_the_page",
    "test_two_telegram_bots_and_a_dingtalk_bot_one_killed_nothing_crosses_nothing_lost",
    "test_a_built_wheel_in_a_fresh_virtualenv_answers_in_chinese",
    "test_killed_before_delivery_delivers_once_after_restart_and_escalates",
    "test_429_then_502_still_delivers_exactly_once",
    "test_every_command_for_every_role_in_every_chat",
    "test_every_button_prefix_in_every_chat_kind_as_every_role",
    "test_run_migrates_a_fresh_database_answers_and_stops_cleanly",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {name: i for i, name in enumerate(LONGEST_FIRST)}
    long = sorted((i for i in items if i.name in rank), key=lambda item: rank[item.name])
    rest = [i for i in items if i.name not in rank]
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    # The shares worksteal cuts: the n-th of w gets what is left divided by those left.
    sizes, left = [], len(items)
    for n in range(workers):
        sizes.append(left // (workers - n))
        left -= sizes[-1]
    shares: list[list[pytest.Item]] = [[] for _ in range(workers)]
    for index, item in enumerate(long):
        shares[index % workers].append(item)
    for share, size in zip(shares, sizes, strict=True):
        while len(share) < size and rest:
            share.append(rest.pop(0))
    items[:] = [item for share in shares for item in share] + rest
