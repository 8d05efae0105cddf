"""The query plans of the summary queries, as the database will run them:

    python -m bench.plans DATABASE_URL [TOWNSHIP_ID]

Runs /summary's and the trend's queries for one township (and the district) once, prints
each statement's time and its plan (SQLite: EXPLAIN QUERY PLAN; PostgreSQL: EXPLAIN)."""

from __future__ import annotations

import sys
import time
from typing import Any

from sqlalchemy import event

from bench.generate import NOW, SHANGHAI
from monitoring.weeks import week_of
from storage.db import make_engine, make_session_factory
from storage.summary import trend, week_summary


def main(url: str, township_id: int | None) -> None:
    engine = make_engine(url)
    seen: list[tuple[float, str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def before(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        conn.info["started"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def after(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if not statement.startswith("EXPLAIN"):
            seen.append((time.perf_counter() - conn.info["started"], statement, params))

    week = week_of(NOW, SHANGHAI)
    with make_session_factory(engine)() as session:
        week_summary(session, week, now=NOW, tz=SHANGHAI, township_id=township_id)
        trend(session, week, now=NOW, tz=SHANGHAI, township_id=township_id)
    explain = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    for seconds, statement, params in seen:
        print(f"-- {seconds * 1000:.0f} ms")
        print(statement.strip())
        with engine.connect() as conn:
            for row in conn.exec_driver_sql(explain + statement, params):
                print("   ", " ".join(str(v) for v in row))
        print()
    engine.dispose()


if __name__ == "__main__":
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: python -m bench.plans DATABASE_URL [TOWNSHIP_ID]")
    main(sys.argv[1], int(sys.argv[2]) if len(sys.argv) == 3 else None)
