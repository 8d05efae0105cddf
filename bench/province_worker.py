"""The province run's worker: a process that imports the whole bot (its memory is the bot's),
runs each operation as its handler or job runs it on a generated province, and prints JSON:
the timings, its peak resident memory, and the query plans (EXPLAIN (ANALYZE, BUFFERS)) of
each operation's slowest statements.

    python -m bench.province_worker DATABASE_URL

Order matters: the county's /summary runs first, so that its first run finds the county's
pages outside PostgreSQL's buffer cache (the generator wrote them first; at 1,000,000
households its last townships are what the cache holds). The operating system's file cache
is not emptied (a shared machine): "cold" is PostgreSQL's cold, not the disk's."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from sqlalchemy import Engine, event
from sqlalchemy.orm import Session

from bench.scale import _rss_mb, _timed

T = TypeVar("T")
COUNTY_TOWNSHIPS = 10  # a county: the first ten townships (100,000 households)
PLANS_PER_OPERATION = 3  # the slowest SELECTs of each operation are explained
PLAN_FROM_MS = 20.0  # statements faster than this are not explained


class Statements:
    """The statements each operation sends, with their times (the last run's)."""

    def __init__(self, engine: Engine) -> None:
        self.current: str | None = None
        self.seen: dict[str, list[tuple[float, str, Any]]] = {}
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def start(self, operation: str) -> None:
        self.current = operation
        self.seen[operation] = []

    def _before(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def _after(self, conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if self.current is None or statement.startswith("EXPLAIN"):
            return
        elapsed = (time.perf_counter() - conn.info.pop("bench_started")) * 1000
        self.seen[self.current].append((elapsed, statement, params))

    def slowest(self, operation: str) -> list[tuple[float, str, Any]]:
        chosen: dict[str, tuple[float, str, Any]] = {}
        for elapsed, statement, params in self.seen.get(operation, []):
            if not statement.lstrip().upper().startswith("SELECT") or elapsed < PLAN_FROM_MS:
                continue
            if statement not in chosen or chosen[statement][0] < elapsed:
                chosen[statement] = (elapsed, statement, params)
        return sorted(chosen.values(), key=lambda item: -item[0])[:PLANS_PER_OPERATION]


def explain(engine: Engine, statement: str, params: Any) -> str:
    """EXPLAIN (ANALYZE, BUFFERS) of one statement, in a transaction rolled back."""
    with engine.connect() as conn:
        rows = conn.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
        plan = "\n".join(str(row[0]) for row in rows)
        conn.rollback()
    return plan


def worker(url: str) -> dict[str, Any]:
    import platforms.telegram.app  # noqa: F401  (the bot's modules: its baseline memory)
    from bench.generate import NOW, SHANGHAI
    from bot.i18n import load_translations
    from conversations.reports import ledger
    from conversations.reports.summary import summary_text
    from monitoring.weeks import week_of
    from scheduler.jobs import missed_visits
    from storage.db import make_engine, make_session_factory
    from storage.ledger_lines import Scope
    from storage.summary import week_summary

    engine = make_engine(url)
    factory = make_session_factory(engine)
    statements = Statements(engine)
    t = load_translations("zh_CN").get()
    week = week_of(NOW, SHANGHAI)
    results: dict[str, Any] = {"baseline_mb": _rss_mb()}

    def read(work: Callable[[Session], T]) -> T:
        with factory() as session, session.begin():
            return work(session)

    def summary(title: str, **scope: Any) -> Callable[[], str]:
        def run() -> str:
            found = read(lambda s: week_summary(s, week, now=NOW, tz=SHANGHAI, **scope))
            return summary_text(
                found, title, t, in_group=False, now_date=NOW.date(), tz=SHANGHAI, village=False
            )

        return run

    county = list(range(1, COUNTY_TOWNSHIPS + 1))
    statements.start("summary_county")
    results["summary_county"] = _timed(summary("第一县", townships=county))
    statements.start("summary_township")
    results["summary_township"] = _timed(summary("第01镇", township_id=1))

    def export() -> int:
        rows = read(lambda s: ledger.collect(s, week, Scope(1, None), SHANGHAI))
        return len(ledger.to_bytes(ledger.build(rows, t, SHANGHAI)))

    statements.start("export_township")
    results["export_township"] = _timed(export, repeat=2)

    class NoSender:
        async def flush(self) -> None:
            return None

    def job(commit: bool) -> Callable[[], int]:
        async def tx(work: Callable[[Session], T]) -> T:
            if commit:
                return read(work)
            with factory() as session:  # the same work, undone: the next run finds it to do
                session.begin()
                try:
                    found = work(session)
                    session.flush()
                    return found
                finally:
                    session.rollback()

        return lambda: asyncio.run(missed_visits(monday, tx, NoSender(), tz=SHANGHAI))

    statements.start("missed_visits")
    monday = week.starts_at(SHANGHAI) + timedelta(minutes=30)  # when the job runs
    # Three runs of the same work, as the other operations have five: two rolled back, the
    # last committed as the scheduler's run is (one timed run was a noisy figure).
    runs = [job(commit=False), job(commit=False), job(commit=True)]
    times, queued, peaks = [], 0, []
    for run in runs:
        started = time.perf_counter()
        queued = run()
        times.append((time.perf_counter() - started) * 1000)
        peaks.append(_rss_mb())
    # The bot runs the job once a week: its memory is the peak up to the first run. Repeats
    # in the same process peaked higher in one run (not looked into): kept beside it.
    results["missed_visits"] = {
        "first_ms": times[0],
        "median_ms": statistics.median(times),
        "peak_mb": peaks[0],
    }
    results["missed_visits_queued"] = queued
    statements.current = None
    results["peak_rss_mb"] = peaks[0]
    results["peak_rss_after_repeats_mb"] = peaks[-1]
    results["statements"] = {op: len(seen) for op, seen in statements.seen.items()}
    results["plans"] = {
        op: [
            {"ms": round(ms, 1), "statement": statement, "plan": explain(engine, statement, params)}
            for ms, statement, params in statements.slowest(op)
        ]
        for op in statements.seen
    }
    engine.dispose()
    return results


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m bench.province_worker DATABASE_URL")
    print(json.dumps(worker(sys.argv[1])))
