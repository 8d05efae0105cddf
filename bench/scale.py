"""Data scale: the queries behind /summary, the trend, the missed-visits job and the export,
timed on a generated year of 10,000 and 100,000 households.

The parent generates each database and starts a worker process (`python -m bench.scale
worker URL`) that imports the whole bot (so its memory is the bot's, not a bare script's),
runs each operation as the handler or job runs it, and prints JSON: the timings and its peak
resident memory."""

from __future__ import annotations

import asyncio
import json
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")
REPEAT = 5


def _rss_mb() -> float:
    """This process's peak resident memory. VmHWM, not ru_maxrss: Linux carries ru_maxrss
    over an exec from the parent (the bench, which is large after the fan-out)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(run: Callable[[], Any], repeat: int = REPEAT) -> dict[str, float]:
    """First (cold) and median time in ms, and the peak memory after it."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append((time.perf_counter() - started) * 1000)
    return {"first_ms": times[0], "median_ms": statistics.median(times), "peak_mb": _rss_mb()}


def worker(url: str) -> dict[str, Any]:
    import platforms.telegram.app  # noqa: F401  (the bot's modules: its baseline memory)
    from bench.generate import NOW, SHANGHAI
    from bot.i18n import load_translations
    from conversations.reports import ledger
    from conversations.reports.charts import week_chart
    from conversations.reports.summary import summary_text, trend_text
    from monitoring.weeks import week_of
    from scheduler.jobs import missed_visits
    from storage.db import make_engine, make_session_factory
    from storage.ledger_lines import Scope
    from storage.schedule import Schedule
    from storage.summary import trend, week_summary

    engine = make_engine(url)
    factory = make_session_factory(engine)
    t = load_translations("zh_CN").get()
    week = week_of(NOW, SHANGHAI)
    results: dict[str, Any] = {"baseline_mb": _rss_mb()}

    def read(work: Callable[[Session], T]) -> T:
        with factory() as session, session.begin():
            return work(session)

    def summary(township_id: int | None) -> Callable[[], str]:
        def run() -> str:
            found = read(
                lambda s: week_summary(s, week, now=NOW, tz=SHANGHAI, township_id=township_id)
            )
            return summary_text(
                found, "第01镇", t, in_group=False, now_date=NOW.date(), tz=SHANGHAI, village=False
            )

        return run

    results["summary_township"] = _timed(summary(1))
    results["summary_district"] = _timed(summary(None))
    results["trend_township"] = _timed(
        lambda: trend_text(
            read(lambda s: trend(s, week, now=NOW, tz=SHANGHAI, township_id=1)), "第01镇", t
        )
    )
    one = read(lambda s: week_summary(s, week, now=NOW, tz=SHANGHAI, township_id=1))
    results["summary_chart"] = _timed(lambda: week_chart(one, "第01镇", t), repeat=3)

    def export() -> int:
        rows = read(lambda s: ledger.collect(s, week, Scope(1, None), SHANGHAI))
        data = ledger.to_bytes(ledger.build(rows, t, SHANGHAI))
        return len(data)

    results["export_township"] = _timed(export, repeat=2)
    results["export_bytes"] = export()

    class NoSender:
        async def flush(self) -> None:
            return None

    async def tx(work: Callable[[Session], T]) -> T:
        return read(work)

    monday = week.starts_at(SHANGHAI) + timedelta(minutes=30)  # when the job runs
    # The job writes, so it runs once. Read its households first, as the summaries read
    # theirs: otherwise at 100k it alone pays for reading nine townships' pages from disk
    # cache (the 10k database is all warm by now), and the growth measured is the cache's.
    read(lambda s: Schedule(s).due(week.previous()))
    started = time.perf_counter()
    queued = asyncio.run(missed_visits(monday, tx, NoSender(), tz=SHANGHAI))
    results["missed_visits"] = {"first_ms": (time.perf_counter() - started) * 1000}
    results["missed_visits"]["median_ms"] = results["missed_visits"]["first_ms"]
    results["missed_visits"]["peak_mb"] = _rss_mb()
    results["missed_visits_queued"] = queued
    results["peak_rss_mb"] = _rss_mb()
    engine.dispose()
    return results


def measure(
    households: int,
    directory: Path,
    log: Callable[[str], None],
    *,
    database_url: str | None = None,
    reset: Callable[[str], None] | None = None,
) -> dict[str, Any]:
    """Generate a database of `households` (a fresh SQLite file, or the server database
    `database_url`, emptied by `reset` first) and time everything on it."""
    from bench.common import fresh_sqlite
    from bench.generate import generate
    from storage.db import make_engine

    path = directory / f"scale-{households}.db"
    url = database_url or fresh_sqlite(directory, path.name)
    if database_url is not None and reset is not None:
        reset(database_url)
    engine = make_engine(url)
    generated = generate(engine, households)
    engine.dispose()
    log(
        f"  generated {households:,} households in {generated.seconds:.0f} s: "
        + ", ".join(f"{k} {v:,}" for k, v in generated.rows.items() if v > 1000)
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.scale", "worker", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"scale worker failed:\n{done.stderr[-3000:]}")
    results: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    results["generated"] = {"seconds": generated.seconds, "rows": generated.rows}
    results["database_mb"] = path.stat().st_size / 2**20 if database_url is None else None
    return results


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "worker":
        print(json.dumps(worker(sys.argv[2])))
    else:
        sys.exit("usage: python -m bench.scale worker DATABASE_URL")
