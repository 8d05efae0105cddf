"""The province run (PostgreSQL only): 100,000 and then 1,000,000 households with four weeks
of check-ins, generated with COPY into a database of its own (`<test database>_province`,
created and dropped here; the test database itself is never touched), and the operations a
province's bots run on it: a township's /summary, a county's (ten townships, 100,000
households) cold and warm, the missed-visits job for the whole province, one township's
XLSX export, and the bot's memory. Growth from 100k to 1M per operation; the plans of any
that grows faster than the households it covers are written to bench/province-plans.txt."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy import make_url, text

from storage.db import make_engine

HERE = Path(__file__).resolve().parent
SIZES = (100_000, 1_000_000)
HISTORY_WEEKS = 4
PLANS_FILE = HERE / "province-plans.txt"

# operation: (name in the table, target ms or None, which of the two households it covers
# grow from 100k to 1M: "province" ×10, "fixed" ×1 (the same township or county))
OPERATIONS: dict[str, tuple[str, float | None, str]] = {
    "summary_township": ("/summary, one township (10,000 households), warm", 200, "fixed"),
    "summary_county_cold": ("/summary, a county (10 townships), first run", 1_000, "fixed"),
    "summary_county": ("/summary, a county (10 townships), warm", None, "fixed"),
    "missed_visits": ("missed-visits job, whole province", 60_000, "province"),
    "export_township": ("XLSX export, one township", 15_000, "fixed"),
}
MEMORY_TARGET_MB = 500
NOISE = 1.5  # growth past the data's own × this is "faster than linear" (the machine is shared)


def province_url(server_url: str) -> str:
    """The province's own database beside the given one (never the given one itself)."""
    given = make_url(server_url)
    if given.get_backend_name() != "postgresql":
        raise ValueError("the province run needs PostgreSQL")
    return given.set(database=f"{given.database}_province").render_as_string(hide_password=False)


def _maintenance(url: str, statement: str) -> None:
    server = make_engine(
        make_url(url).set(database="postgres").render_as_string(hide_password=False),
        isolation_level="AUTOCOMMIT",
    )
    try:
        with server.connect() as conn:
            conn.execute(text(statement))
    finally:
        server.dispose()


def recreate(url: str) -> None:
    name = make_url(url).database
    _maintenance(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _maintenance(url, f'CREATE DATABASE "{name}"')


def drop(url: str) -> None:
    _maintenance(url, f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def measure_size(households: int, url: str, log: Callable[[str], None]) -> dict[str, Any]:
    """Generate `households` into a fresh database at `url`, and time everything on it."""
    from bench.generate import generate

    recreate(url)
    engine = make_engine(url)
    generated = generate(engine, households, history_weeks=HISTORY_WEEKS)
    with engine.connect() as conn:
        size = conn.execute(text("SELECT pg_database_size(current_database())")).scalar()
    engine.dispose()
    log(
        f"  generated {households:,} households in {generated.seconds:.0f} s "
        f"({(size or 0) / 2**30:.1f} GB): "
        + ", ".join(f"{k} {v:,}" for k, v in generated.rows.items() if v > 1000)
    )
    done = subprocess.run(
        [sys.executable, "-m", "bench.province_worker", url],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"province worker failed:\n{done.stderr[-3000:]}")
    results: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    first = results["summary_county"]["first_ms"]
    results["summary_county_cold"] = {"first_ms": first, "median_ms": first}
    results["generated"] = {
        "seconds": generated.seconds,
        "rows": generated.rows,
        "database_gb": (size or 0) / 2**30,
    }
    return results


def measure(server_url: str, log: Callable[[str], None], *, keep: bool = False) -> dict[str, Any]:
    url = province_url(server_url)
    try:
        runs = {str(n): measure_size(n, url, log) for n in SIZES}
    finally:
        if not keep:
            drop(url)
    small, large = (runs[str(n)] for n in SIZES)
    grown = faster_than_linear(small, large)
    if grown:
        write_plans(grown, small, large)
        log(f"  plans of {', '.join(grown)} written to {PLANS_FILE.relative_to(HERE.parent)}")
    return {"runs": runs, "faster_than_linear": grown}


def growth(small: dict[str, Any], large: dict[str, Any], key: str) -> float:
    a, b = small[key]["median_ms"], large[key]["median_ms"]
    return b / a if a else float("nan")


def _expected(key: str) -> float:
    return SIZES[1] / SIZES[0] if OPERATIONS[key][2] == "province" else 1.0


def faster_than_linear(small: dict[str, Any], large: dict[str, Any]) -> list[str]:
    return [key for key in OPERATIONS if growth(small, large, key) > _expected(key) * NOISE]


def write_plans(keys: list[str], small: dict[str, Any], large: dict[str, Any]) -> None:
    lines = [
        "Query plans (EXPLAIN (ANALYZE, BUFFERS)) of the province run's operations that grew",
        "faster than the households they cover, from 100,000 to 1,000,000 households.",
    ]
    for key in keys:
        plan_key = "summary_county" if key == "summary_county_cold" else key
        for label, run in (("100k", small), ("1M", large)):
            for item in run["plans"].get(plan_key, []):
                lines += ["", f"== {key} at {label}: {item['ms']:.0f} ms", item["statement"]]
                lines += ["", item["plan"]]
    PLANS_FILE.write_text("\n".join(lines) + "\n", encoding="utf-8")


def _ok(value: float, target: float) -> str:
    return "ok" if value < target else "MISS"


def rows(result: dict[str, Any]) -> list[str]:
    runs = result["runs"]
    small, large = (runs[str(n)] for n in SIZES)
    table = [
        "| operation | 100k: median (first) ms | 1M: median (first) ms | growth (its data) "
        "| target at 1M |",
        "|---|---:|---:|---:|---|",
    ]
    for key, (name, target, _) in OPERATIONS.items():
        a, b = small[key], large[key]
        g = growth(small, large, key)
        verdict = f"< {target:,.0f} ms: {_ok(b['median_ms'], target)}" if target else "—"
        linear = "ok" if g <= _expected(key) * NOISE else "MISS"
        verdict += f"; growth ≤ linear: {linear}"
        table.append(
            f"| {name} | {a['median_ms']:,.0f} ({a['first_ms']:,.0f}) "
            f"| {b['median_ms']:,.0f} ({b['first_ms']:,.0f}) "
            f"| ×{g:.1f} (×{_expected(key):.0f}) | {verdict} |"
        )
    table.append(
        f"| peak memory of the bot's process (each operation, the job once) "
        f"| {small['peak_rss_mb']:.0f} MB | {large['peak_rss_mb']:.0f} MB | | "
        f"< {MEMORY_TARGET_MB} MB: {_ok(large['peak_rss_mb'], MEMORY_TARGET_MB)} |"
    )
    table.append(
        f"| the same after the job's two more runs | {small['peak_rss_after_repeats_mb']:.0f} MB "
        f"| {large['peak_rss_after_repeats_mb']:.0f} MB | | |"
    )
    gen_a, gen_b = small["generated"], large["generated"]
    table.append(
        f"| generating the data (COPY) | {gen_a['seconds']:,.0f} s ({gen_a['database_gb']:.1f} GB) "
        f"| {gen_b['seconds']:,.0f} s ({gen_b['database_gb']:.1f} GB) | | < 600 s: "
        f"{_ok(gen_b['seconds'], 600)} |"
    )
    return table
