"""The answer path against the strictest baseline (issue 32): 200 people at once, fangfanpin
on each database against a bare python-telegram-bot bot that answers every update with one
message and nothing else (`bench/echo.py --strict`), run in turns several times in the same
session (the machine's load changes between runs: a ratio is taken between neighbours), and
reported as the median ratio with its spread. Target: at least 0.5 on PostgreSQL."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import throughput

HELPERS = 200
ROUNDS = 3
TARGET = 0.5


async def measure(
    directory: Path,
    databases: list[str | None],
    reset: Callable[[str], None],
    log: Callable[[str], None],
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    """For each database (None: SQLite), `rounds` pairs of runs: the strict echo bot, then
    fangfanpin; the ratio of each pair, their median, lowest and highest."""
    found: dict[str, Any] = {}
    for url in databases:
        name = "postgresql" if url else "sqlite"
        pairs = []
        for i in range(rounds):
            log(f"  round {i + 1} of {rounds}, {name}: the one-message echo bot, then fangfanpin")
            strict = await throughput.measure("echo-strict", HELPERS, directory)
            ours = await throughput.measure(
                "fangfanpin", HELPERS, directory, database_url=url, reset=reset
            )
            base = strict["updates_per_s"]
            pairs.append(
                {
                    "strict_updates_per_s": base,
                    "updates_per_s": ours["updates_per_s"],
                    "ratio": round(ours["updates_per_s"] / base, 3) if base else 0.0,
                    "stored_checkins": ours.get("stored_checkins"),
                    "polls_per_update": ours.get("polls_per_update"),
                    "fetched_per_update": ours.get("fetched_per_update"),
                    "strict_fetched_per_update": strict.get("fetched_per_update"),
                    "cpu_ms_per_update": ours.get("cpu_ms_per_update"),
                    "strict_cpu_ms_per_update": strict.get("cpu_ms_per_update"),
                }
            )
        ratios = [p["ratio"] for p in pairs]
        found[name] = {
            "runs": pairs,
            "median": round(statistics.median(ratios), 3),
            "lowest": min(ratios),
            "highest": max(ratios),
        }
    return found


def rows(found: dict[str, Any]) -> list[str]:
    table = [
        "| database | runs | one-message echo updates/s | fangfanpin updates/s "
        "| ratio: median (lowest–highest) | target |",
        "|---|---:|---|---|---|---|",
    ]
    for name, r in found.items():
        strict = ", ".join(str(p["strict_updates_per_s"]) for p in r["runs"])
        ours = ", ".join(str(p["updates_per_s"]) for p in r["runs"])
        ok = "ok" if r["median"] >= TARGET else "MISS"
        target = f"≥ {TARGET}: {ok}" if name == "postgresql" else "—"
        stored = [p["stored_checkins"] for p in r["runs"]]
        if any(s != HELPERS for s in stored):
            target += f"; STORED {stored} of {HELPERS}"
        table.append(
            f"| {name} | {len(r['runs'])} | {strict} | {ours} "
            f"| {r['median']} ({r['lowest']}–{r['highest']}) | {target} |"
        )
    return table
