"""`make bench`: conversation throughput, fan-out and data scale, and DingTalk's metered calls;
prints a table and writes bench/results.json. Targets are the issue's; a miss is printed as
MISS, never hidden.

    python -m bench [--only throughput,answer,limited,fanout,scale,exports,congestion,dingtalk,
                            province] [--out bench/results.json] [--keep-province]"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import MetaData, text

from bench import (
    answer_path,
    congestion,
    dingtalk_calls,
    exports,
    fanout,
    province,
    scale,
    throughput,
)
from bot.outbox import MARK_BATCH
from storage.db import make_engine

HERE = Path(__file__).resolve().parent
TEST_DB_ENV = "FANGFANPIN_TEST_DATABASE_URL"


def _log(line: str) -> None:
    print(line, flush=True)


def machine() -> dict[str, Any]:
    cpu = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = "?"
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kib / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory": memory,
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "system": platform.platform(),
    }


def reset_database(url: str) -> None:
    """Drop every table of a server database (the bench's own, as the tests' is)."""
    engine = make_engine(url)
    meta = MetaData()
    meta.reflect(engine)
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            conn.execute(text(f'DROP TABLE IF EXISTS "{table.name}" CASCADE'))
    engine.dispose()


def check(value: float, target: float, *, below: bool) -> str:
    ok = value < target if below else value >= target
    return "ok" if ok else "MISS"


async def run_throughput(directory: Path, results: dict[str, Any]) -> None:
    runs: list[dict[str, Any]] = []
    databases: list[str | None] = [None]
    if os.environ.get(TEST_DB_ENV):
        databases.append(os.environ[TEST_DB_ENV])
    echo: dict[int, dict[str, Any]] = {}
    for helpers in (1, 50, 200):
        _log(f"  echo bot, {helpers} people")
        echo[helpers] = await throughput.measure("echo", helpers, directory)
        runs.append(echo[helpers])
    for url in databases:
        for helpers in (1, 50, 200):
            _log(f"  fangfanpin, {helpers} helpers, {'PostgreSQL' if url else 'SQLite'}")
            run = await throughput.measure(
                "fangfanpin", helpers, directory, database_url=url, reset=reset_database
            )
            base = echo[helpers]["updates_per_s"]
            run["ratio_to_echo"] = round(run["updates_per_s"] / base, 3) if base else None
            runs.append(run)
    results["throughput"] = runs


LIMIT = 30  # Telegram's flood limit for a bot, messages a second
PACE = 5.0  # seconds a person takes per answer


async def run_limited(directory: Path, results: dict[str, Any]) -> None:
    """Under Telegram's limit: saturation at 200 (ratio to echo) and 100 people at a human
    pace (p95), both bots under fangfanpin's flood limiter. SQLite only: at 30 sends a
    second the database is not what limits."""
    runs: list[dict[str, Any]] = []
    for helpers, pace in ((200, None), (100, PACE)):
        echo: dict[str, Any] | None = None
        for bot in ("echo", "fangfanpin"):
            how = f"one answer every ~{pace:.0f} s each" if pace else "at once"
            _log(f"  {bot}, {helpers} people {how}, limit {LIMIT}/s")
            run = await throughput.measure(bot, helpers, directory, limit=LIMIT, pace=pace)
            if echo is None:
                echo = run
            else:
                base = echo["updates_per_s"]
                run["ratio_to_echo"] = round(run["updates_per_s"] / base, 3) if base else None
            runs.append(run)
    results["throughput_limited"] = runs


def limited_rows(runs: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| bot | helpers | pace | updates/s | p50 ms | p95 ms | p99 ms | ratio to echo "
        "| sends per update | 429s | targets |",
        "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        notes = []
        if r["bot"] == "fangfanpin" and not r["pace"]:
            notes.append(f"ratio ≥ 0.9: {check(r.get('ratio_to_echo') or 0, 0.9, below=False)}")
        if r["bot"] == "fangfanpin" and r["pace"]:
            notes.append(f"p95 < 300 ms: {check(r['p95_ms'], 300, below=True)}")
        if r["bot"] == "fangfanpin" and r.get("stored_checkins") != r["helpers"]:
            notes.append(f"STORED {r.get('stored_checkins')} of {r['helpers']}")
        pace = f"~{r['pace']:.0f} s per answer" if r["pace"] else "at once"
        rows.append(
            f"| {r['bot']} | {r['helpers']} | {pace} | {r['updates_per_s']} | {r['p50_ms']} "
            f"| {r['p95_ms']} | {r['p99_ms']} | {r.get('ratio_to_echo', '—')} "
            f"| {r.get('sends_per_update', '—')}"
            f"{' (+' + str(r['group_sends']) + ' to groups)' if r.get('group_sends') else ''} "
            f"| {r['responses_429']} | {'; '.join(notes)} |"
        )
    return rows


def throughput_rows(runs: list[dict[str, Any]]) -> list[str]:
    rows = [
        "| bot | database | helpers | updates/s | check-ins/s | p50 ms | p95 ms | p99 ms "
        "| ratio to echo | sends per update | targets |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in runs:
        notes = []
        if r["bot"] == "fangfanpin" and r["helpers"] == 200:
            notes.append(f"ratio ≥ 0.5: {check(r['ratio_to_echo'] or 0, 0.5, below=False)}")
        if r["bot"] == "fangfanpin" and r["helpers"] == 1:
            notes.append(f"ratio ≥ 0.3: {check(r['ratio_to_echo'] or 0, 0.3, below=False)}")
        if r["bot"] == "fangfanpin" and r.get("sends_per_update") is not None:
            notes.append(f"sends ≤ 1: {check(r['sends_per_update'], 1.0001, below=True)}")
        if r["bot"] == "fangfanpin" and r.get("stored_checkins") != r["helpers"]:
            notes.append(f"STORED {r.get('stored_checkins')} of {r['helpers']}")
        rows.append(
            f"| {r['bot']} | {r['database']} | {r['helpers']} | {r['updates_per_s']} "
            f"| {r['checkins_per_s']} | {r['p50_ms']} | {r['p95_ms']} | {r['p99_ms']} "
            f"| {r.get('ratio_to_echo', '—')} | {r.get('sends_per_update', '—')}"
            f"{' (+' + str(r['group_sends']) + ' to groups)' if r.get('group_sends') else ''} "
            f"| {'; '.join(notes)} |"
        )
    return rows


def fanout_rows(r: dict[str, Any]) -> list[str]:
    return [
        "| helpers | limit/s | job s | achieved/s | achieved ÷ limit | lost | duplicates "
        "| 429s | targets |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---|",
        f"| {r['helpers']} | {r['limit_per_s']} | {r['job_seconds']} | {r['achieved_per_s']} "
        f"| {r['rate_ratio']} | {r['lost']} | {r['duplicates']} "
        f"| {r['responses_429']} ({r['share_429']:.2%}) "
        f"| ratio ≥ 0.9: {check(r['rate_ratio'], 0.9, below=False)}; "
        f"lost 0: {check(r['lost'], 1, below=True)}; "
        f"duplicates 0: {check(r['duplicates'], 1, below=True)}; "
        f"429s < 1 %: {check(r['share_429'], 0.01, below=True)} |",
    ]


def window_rows(r: dict[str, Any]) -> list[str]:
    worst = r["worst"]
    return [
        f"Duplicate window: {r['kills']} SIGKILLs during a fan-out of 4,000 reminders; "
        f"messages each kill would send twice: {', '.join(str(n) for n in r['at_risk'])} "
        f"(worst {worst}; target: under one batch of marks, {MARK_BATCH}: "
        f"{check(worst, MARK_BATCH, below=True)}).",
    ]


SCALE_TARGETS: dict[str, float | None] = {
    "summary_township": 200,
    "summary_district": 1000,
    "trend_township": None,
    "summary_chart": None,
    "missed_visits": 10_000,
    "export_township": 15_000,
}
SCALE_NAMES = {
    "summary_township": "/summary, one township (10,000 households)",
    "summary_district": "/summary, whole district",
    "trend_township": "8-week trend, one township",
    "summary_chart": "summary chart (drawing only)",
    "missed_visits": "missed-visits job, one week",
    "export_township": "XLSX export, one township",
}


def scale_rows(small: dict[str, Any], large: dict[str, Any]) -> list[str]:
    rows = [
        "| operation | 10k: median (first) ms | 100k: median (first) ms | growth "
        "| target at 100k |",
        "|---|---:|---:|---:|---|",
    ]
    for key, name in SCALE_NAMES.items():
        a, b = small[key], large[key]
        growth = b["median_ms"] / a["median_ms"] if a["median_ms"] else float("nan")
        target = SCALE_TARGETS[key]
        verdict = (
            f"< {target:,.0f} ms: {check(b['median_ms'], target, below=True)}" if target else "—"
        )
        # Linear: ×10 from 10k to 100k (per-township work should hardly grow at all).
        verdict += f"; growth ≤ linear: {check(growth, 10.0 + 1e-9, below=True)}"
        rows.append(
            f"| {name} | {a['median_ms']:.0f} ({a['first_ms']:.0f}) "
            f"| {b['median_ms']:.0f} ({b['first_ms']:.0f}) | ×{growth:.1f} | {verdict} |"
        )
    rows.append(
        f"| peak memory (bot code, all of the above) | {small['peak_rss_mb']:.0f} MB "
        f"| {large['peak_rss_mb']:.0f} MB | | < 300 MB: "
        f"{check(large['peak_rss_mb'], 300, below=True)} |"
    )
    return rows


def export_rows(r: dict[str, Any]) -> list[str]:
    p95 = r["help_during_p95_ms"]
    return [
        "| measure | value | target | |",
        "| --- | ---: | ---: | --- |",
        f"| /help p95, idle | {r['help_idle_p95_ms']:,.0f} ms | | |",
        f"| /help p50 during {r['exporters']} exports of {r['households']:,} households "
        f"| {r['help_during_p50_ms']:,.0f} ms | | |",
        f"| /help p95 during the exports ({r['helps_during']} asked) | {p95:,.0f} ms "
        f"| < 1,000 ms | {check(p95, 1000, below=True)} |",
        f"| the {r['exporters']} exports, all delivered | {r['exports_seconds']:,.1f} s | | |",
        f"| every exporter told at once it is being prepared | {r['all_told_preparing']} | | |",
    ]


def congestion_rows(r: dict[str, Any]) -> list[str]:
    return [
        "| helpers | seconds | floor s (needed ÷ 30/s) | ÷ floor | calls made (needed) "
        "| repeats | 429s | stored once | warnings once | targets |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---|---|",
        f"| {r['helpers']} | {r['seconds']} | {r['floor_seconds']} | {r['ratio_to_floor']} "
        f"| {r['flood_limited_calls']} ({r['needed_calls']}) "
        f"| {r['repeats']} | {r['rate_limited']} | {r['stored_once']} "
        f"| {r['warnings_once']} ({r['group_posts']} posts, {r['warning_rows']} rows) "
        f"| ÷ floor ≤ 1.5: {check(r['ratio_to_floor'] or 99, 1.5, below=True)} |",
    ]


def run_province(results: dict[str, Any], tables: list[str], *, keep: bool) -> None:
    server = os.environ.get(TEST_DB_ENV, "")
    if not server.startswith("postgresql"):
        _log(
            f"7. province (1,000,000 households): skipped, it needs PostgreSQL: set {TEST_DB_ENV} "
            "to a PostgreSQL URL (its database is left alone; the run makes its own beside it)"
        )
        results["province"] = {"skipped": f"{TEST_DB_ENV} is not a PostgreSQL URL"}
        return
    _log("7. province on PostgreSQL: 100,000 and 1,000,000 households, four weeks")
    results["province"] = province.measure(server, _log, keep=keep)
    tables += ["", "Province (PostgreSQL)", "", *province.rows(results["province"])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench")
    parser.add_argument(
        "--only",
        default="throughput,answer,limited,fanout,scale,exports,congestion,dingtalk,province",
    )
    parser.add_argument(
        "--keep-province", action="store_true", help="keep the 1M-household database afterwards"
    )
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--sizes", default="10000,100000", help="data-scale household counts")
    args = parser.parse_args(argv)
    # A bot process stopped at the end of a run drops its open requests: not news.
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    parts = set(args.only.split(","))
    started = time.monotonic()
    results: dict[str, Any] = {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
    }
    tables: list[str] = []
    with tempfile.TemporaryDirectory(prefix="fangfanpin-bench-") as tmp:
        directory = Path(tmp)
        step: Callable[[str], None] = _log
        if "throughput" in parts:
            step("1. conversation throughput")
            asyncio.run(run_throughput(directory, results))
            tables += ["", "Conversation throughput", "", *throughput_rows(results["throughput"])]
        if "answer" in parts:
            step("1a. the answer path against the one-message echo bot (several rounds)")
            results["answer_path"] = asyncio.run(
                answer_path.measure(directory, os.environ.get(TEST_DB_ENV), reset_database, _log)
            )
            tables += [
                "",
                "The answer path against the one-message echo bot (200 people at once)",
                "",
                *answer_path.rows(results["answer_path"]),
            ]
        if "limited" in parts:
            step(f"1b. conversation throughput under the flood limit ({LIMIT}/s)")
            asyncio.run(run_limited(directory, results))
            tables += [
                "",
                f"Under the flood limit ({LIMIT} a second)",
                "",
                *limited_rows(results["throughput_limited"]),
            ]
        if "fanout" in parts:
            step("2. fan-out of the weekly reminders")
            results["fanout"] = asyncio.run(fanout.measure(directory))
            _log("  the duplicate window: kills during a fan-out")
            results["fanout_window"] = asyncio.run(fanout.duplicate_window(directory))
            tables += ["", "Fan-out", "", *fanout_rows(results["fanout"])]
            tables += ["", *window_rows(results["fanout_window"])]
        if "scale" in parts:
            step("3. data scale (SQLite)")
            sizes = [int(s) for s in args.sizes.split(",")]
            results["scale"] = {str(n): scale.measure(n, directory, _log) for n in sizes}
            if len(sizes) == 2:
                small, large = (results["scale"][str(n)] for n in sizes)
                tables += ["", "Data scale (SQLite)", "", *scale_rows(small, large)]
            server = os.environ.get(TEST_DB_ENV)
            if server:
                step("3b. data scale (PostgreSQL)")
                results["scale_postgresql"] = {
                    str(n): scale.measure(
                        n, directory, _log, database_url=server, reset=reset_database
                    )
                    for n in sizes
                }
                if len(sizes) == 2:
                    small, large = (results["scale_postgresql"][str(n)] for n in sizes)
                    tables += ["", "Data scale (PostgreSQL)", "", *scale_rows(small, large)]
        if "congestion" in parts:
            step("5. 100 helpers under the real flood limit, pressing again, 5 kills")
            results["congestion"] = asyncio.run(congestion.run(directory))
            tables += ["", "Congestion", "", *congestion_rows(results["congestion"])]
        if "exports" in parts:
            step("4. /help during five concurrent exports of a 10,000-household township")
            results["exports"] = asyncio.run(exports.measure(directory))
            tables += ["", "Exports", "", *export_rows(results["exports"])]
        if "dingtalk" in parts:
            step("6. DingTalk: metered calls of a week's check-ins and jobs")
            results["dingtalk"] = asyncio.run(dingtalk_calls.measure(directory))
            tables += ["", "DingTalk metered calls", "", *dingtalk_calls.rows(results["dingtalk"])]
        if "province" in parts:
            run_province(results, tables, keep=args.keep_province)
    results["seconds"] = round(time.monotonic() - started, 1)
    results["table"] = "\n".join(tables).strip()
    args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    m = results["machine"]
    _log("")
    _log(
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory']}; Python {m['python']}, "
        f"SQLite {m['sqlite']}"
    )
    _log(results["table"])
    _log(f"\n{results['seconds']:.0f} s in all; written to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
