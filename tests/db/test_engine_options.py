"""The engine's settings on a PostgreSQL server: no JIT compilation for the bot's queries (it
cost 0.4-0.5 s of a county's /summary), unless the URL sets its own options."""

from __future__ import annotations

import pytest
from sqlalchemy import make_url, text

from storage.db import make_engine


def _show(url: str, setting: str) -> str:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return str(conn.execute(text(f"SHOW {setting}")).scalar())
    finally:
        engine.dispose()


def test_the_bots_connections_to_postgresql_compile_nothing(database_url: str) -> None:
    if make_url(database_url).get_backend_name() != "postgresql":
        pytest.skip("PostgreSQL only (set FANGFANPIN_TEST_DATABASE_URL)")
    assert _show(database_url, "jit") == "off"
    own = make_url(database_url).update_query_dict({"options": "-c jit=on -c work_mem=8MB"})
    url = own.render_as_string(hide_password=False)
    assert (_show(url, "jit"), _show(url, "work_mem")) == ("on", "8MB")
