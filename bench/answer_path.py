"""The answer path against the strictest baseline (issue 32): 200 people at once, fangfanpin
against a bare python-telegram-bot bot that answers every update with one message and nothing
else (`bench/echo.py --strict`). Each round runs the strict bot, then fangfanpin in each
configuration: SQLite, PostgreSQL, and PostgreSQL with two worker processes
(FANGFANPIN_WORKERS=2: `platforms/telegram/workers.py`); one more run of the strict bot closes
the last round. This machine's speed wanders by up to a factor of two within minutes (a
shared virtual machine), so each run is compared with the strict bot's runs just before and
just after it (their mean), and the ratios are reported as the median of the rounds with
their spread. Beside the rate, each run's CPU time per update (the bot's processes together):
what an answer costs, whatever the number of processes. Target: at least 0.5 on PostgreSQL."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench import throughput

HELPERS = 200
ROUNDS = 5
TARGET = 0.5


@dataclass(frozen=True)
class Setup:
    name: str
    database_url: str | None  # None: SQLite
    workers: int = 1


def setups(server: str | None) -> list[Setup]:
    found = [Setup("sqlite", None)]
    if server:
        found += [Setup("postgresql", server), Setup("postgresql, 2 workers", server, 2)]
    return found


async def measure(
    directory: Path,
    server: str | None,
    reset: Callable[[str], None],
    log: Callable[[str], None],
    rounds: int = ROUNDS,
) -> dict[str, Any]:
    """`rounds` rounds of the strict echo bot and then fangfanpin in each setup (PostgreSQL
    ones with `server`); per setup its runs, and the median, lowest and highest ratio."""
    runs: dict[str, list[dict[str, Any]]] = {s.name: [] for s in setups(server)}
    echoes: list[dict[str, Any]] = []  # the strict bot's runs: one before each round, one after
    measured: list[tuple[int, dict[str, Any], Setup]] = []  # (its round, fangfanpin's run)
    for i in range(rounds):
        log(f"  round {i + 1} of {rounds}: the one-message echo bot, then fangfanpin")
        echoes.append(await throughput.measure("echo-strict", HELPERS, directory))
        for setup in setups(server):
            ours = await throughput.measure(
                "fangfanpin",
                HELPERS,
                directory,
                database_url=setup.database_url,
                reset=reset,
                workers=setup.workers,
            )
            measured.append((i, ours, setup))
    log("  the one-message echo bot once more (after the last round)")
    echoes.append(await throughput.measure("echo-strict", HELPERS, directory))
    for i, ours, setup in measured:
        strict, after = echoes[i], echoes[i + 1]
        base = round((strict["updates_per_s"] + after["updates_per_s"]) / 2, 1)
        runs[setup.name].append(
            {
                "strict_updates_per_s": base,
                "strict_around": [strict["updates_per_s"], after["updates_per_s"]],
                "updates_per_s": ours["updates_per_s"],
                "ratio": round(ours["updates_per_s"] / base, 3) if base else 0.0,
                "stored_checkins": ours.get("stored_checkins"),
                "cpu_ms_per_update": ours.get("cpu_ms_per_update"),
                "strict_cpu_ms_per_update": strict.get("cpu_ms_per_update"),
                "polls_per_update": ours.get("polls_per_update"),
                "fetched_per_update": ours.get("fetched_per_update"),
            }
        )
    found: dict[str, Any] = {}
    for name, pairs in runs.items():
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
        "| fangfanpin on | runs | one-message echo updates/s (mean of the runs around) "
        "| fangfanpin updates/s "
        "| ratio: median (lowest–highest) | CPU ms per update: echo, fangfanpin | target |",
        "|---|---:|---|---|---|---|---|",
    ]
    for name, r in found.items():
        strict = ", ".join(str(p["strict_updates_per_s"]) for p in r["runs"])
        ours = ", ".join(str(p["updates_per_s"]) for p in r["runs"])
        cpu = [
            (p["strict_cpu_ms_per_update"], p["cpu_ms_per_update"])
            for p in r["runs"]
            if p["cpu_ms_per_update"] is not None
        ]
        cpu_text = "—"
        if cpu:
            echo_ms, ours_ms = (statistics.median(c[k] for c in cpu) for k in (0, 1))
            cpu_text = f"{echo_ms:.2f}, {ours_ms:.2f}"
        ok = "ok" if r["median"] >= TARGET else "MISS"
        target = f"≥ {TARGET}: {ok}" if name.startswith("postgresql") else "—"
        stored = [p["stored_checkins"] for p in r["runs"]]
        if any(s != HELPERS for s in stored):
            target += f"; STORED {stored} of {HELPERS}"
        table.append(
            f"| {name} | {len(r['runs'])} | {strict} | {ours} "
            f"| {r['median']} ({r['lowest']}–{r['highest']}) | {cpu_text} | {target} |"
        )
    return table
