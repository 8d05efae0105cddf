"""Database faults while a helper answers: SQLite busy (another process holds the write lock
for 10 s) and PostgreSQL dropping every connection (as a restart does). Nothing is half
written, nothing is lost, and the helper is told what is happening."""

from __future__ import annotations

import sqlite3
import threading
import time

import psycopg
import pytest
from sqlalchemy import make_url, select
from sqlalchemy.orm import Session, sessionmaker

from sandbox.client import SandboxClient
from storage.models import Draft
from storage.models_runs import HandledUpdate
from tests.driver import Chat
from tests.e2e.test_checkin import choose, draft_answers, helper, roster  # noqa: F401

LOCK_FOR = 10.0


def hold_write_lock(path: str, seconds: float, held: threading.Event) -> None:
    """Another process's writer: BEGIN IMMEDIATE, then nothing for `seconds`."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("BEGIN IMMEDIATE")
        held.set()
        time.sleep(seconds)
        connection.execute("COMMIT")
    finally:
        connection.close()


async def test_sqlite_busy_the_helper_waits_and_the_answer_is_kept_once(
    helper: Chat,  # noqa: F811
    client: SandboxClient,
    roster: sessionmaker[Session],  # noqa: F811
    database_url: str,
) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("SQLite's write lock; PostgreSQL has its own test below")
    await choose(helper, "LX01001")
    asked = await helper.press("入户")
    assert "共同生活" in asked["text"]
    before = draft_answers(roster)

    held = threading.Event()
    locker = threading.Thread(
        target=hold_write_lock, args=(make_url(database_url).database, LOCK_FOR, held)
    )
    locker.start()
    assert held.wait(5)
    locked_at = time.monotonic()
    seq = await client.last_seq()
    await client.send_text(helper.user_id, "4")
    first, second = await client.wait_bot_messages(helper.user_id, after=seq, count=2, timeout=60)
    released_at = time.monotonic()
    locker.join()
    assert "数据库正忙" in first["text"] and "无需重发" in first["text"]
    assert "上次走访以来，家庭收入有明显变化" in second["text"]  # taken once the lock went
    assert released_at - locked_at >= LOCK_FOR - 0.5
    answers = draft_answers(roster)
    assert answers is not None and before is not None
    assert answers == {**before, "members": 4}
    with roster() as s:  # the update was recorded once, with its answer
        assert len(s.scalars(select(HandledUpdate.update_id)).all()) >= 1
        assert s.scalars(select(Draft)).one().answers["members"] == 4


async def test_postgresql_dropping_every_connection_the_bot_carries_on(
    helper: Chat,  # noqa: F811
    client: SandboxClient,
    roster: sessionmaker[Session],  # noqa: F811
    database_url: str,
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("needs the PostgreSQL server (FANGFANPIN_TEST_DATABASE_URL)")
    await choose(helper, "LX01001")
    await helper.press("入户")
    url = make_url(database_url)
    with psycopg.connect(
        host=url.host,
        port=url.port or 5432,
        user=url.username,
        dbname=url.database,
        autocommit=True,
    ) as admin:
        killed = admin.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ).fetchone()
    assert killed is not None and killed[0] >= 1  # the bot's pooled connections
    asked = await helper.send("4")
    assert "上次走访以来，家庭收入有明显变化" in asked["text"]
    asked = await helper.press("没有变化")
    assert "大额刚性支出" in asked["text"]
    answers = draft_answers(roster)
    assert answers is not None and answers["members"] == 4 and answers["income_changed"] is False
