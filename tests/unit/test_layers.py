"""Dependencies point one way: platforms -> bot (the core) -> conversations, scheduler ->
storage -> monitoring; conversations/ knows no platform; the core knows the platforms only by
name (bot/plugins.py); a platform never imports another platform nor the CLI; nothing in bot/
imports the sandbox but the CLI's `sandbox` command; no module grows past about 400 lines."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PLATFORM_SDKS = {"telegram", "dingtalk_stream"}
FORBIDDEN = {
    "monitoring": {
        *PLATFORM_SDKS,
        "sqlalchemy",
        "alembic",
        "storage",
        "conversations",
        "scheduler",
        "bot",
        "sandbox",
        "platforms",
    },
    "storage": {*PLATFORM_SDKS, "conversations", "scheduler", "bot", "sandbox", "platforms"},
    # platform-neutral: events in, replies out (conversations/engine)
    "conversations": {*PLATFORM_SDKS, "bot", "scheduler", "sandbox", "platforms"},
    "scheduler": {*PLATFORM_SDKS, "bot", "conversations", "sandbox", "platforms"},
    # the core: a platform only through the plugin table (bot/plugins.py, by name)
    "bot": {*PLATFORM_SDKS, "platforms"},
    "sandbox": {"platforms"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_only_downwards(package: str) -> None:
    bad = {}
    for path in sorted((ROOT / package).rglob("*.py")):
        hits = imported_roots(path) & FORBIDDEN[package]
        if hits:
            bad[str(path.relative_to(ROOT))] = sorted(hits)
    assert bad == {}


# About 400 lines at most: a module longer than that mixes concerns (split it by feature).
LONGEST = 420


def test_no_module_of_the_product_is_over_about_400_lines() -> None:
    long = {
        str(path.relative_to(ROOT)): n
        for package in (
            "monitoring",
            "storage",
            "conversations",
            "scheduler",
            "bot",
            "platforms",
            "sandbox",
        )
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
        and (n := len(path.read_text(encoding="utf-8").splitlines())) > LONGEST
    }
    assert long == {}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


PLATFORMS = sorted(p.name for p in (ROOT / "platforms").iterdir() if (p / "__init__.py").exists())


@pytest.mark.parametrize("platform", PLATFORMS)
def test_a_platform_never_imports_another_platform_nor_the_cli(platform: str) -> None:
    assert len(PLATFORMS) >= 2, "the check would pass vacuously"
    others = [f"platforms.{p}" for p in PLATFORMS if p != platform]
    bad = {
        str(path.relative_to(ROOT)): sorted(
            m
            for m in imported_modules(path)
            if m.startswith(tuple(others))
            or m in ("bot.cli", "bot.sandbox_run", "sandbox")
            or m.startswith("sandbox.")
        )
        for path in (ROOT / "platforms" / platform).rglob("*.py")
    }
    assert {k: v for k, v in bad.items() if v} == {}


def test_every_platform_in_the_table_has_its_plugin() -> None:
    from bot.plugins import PLATFORMS as TABLE
    from bot.plugins import plugin

    assert sorted(TABLE) == PLATFORMS
    for name in TABLE:
        found = plugin(name)
        assert callable(found.serve) and callable(found.transport)


def test_only_the_sandbox_command_of_the_bot_knows_the_sandbox() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if "sandbox" in imported_roots(path)
    )
    assert users == ["bot/sandbox_run.py"]


def test_below_the_handlers_nobody_reads_the_clock() -> None:
    offenders = []
    for package in ("monitoring", "storage"):
        for path in (ROOT / package).rglob("*.py"):
            text = path.read_text(encoding="utf-8")
            if any(
                call in text for call in ("datetime.now(", "utcnow(", "date.today(", "time.time(")
            ):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_the_known_commands_are_the_commands_the_dispatch_takes() -> None:
    from conversations.dispatch import FLOW_OF
    from conversations.people.menu import KNOWN_COMMANDS

    assert set(FLOW_OF) == set(KNOWN_COMMANDS)


def test_telegram_feeds_every_update_to_the_one_dispatch() -> None:
    """One entry handler (as aiogram's feed_update), no handler groups deciding the order."""
    from telegram.ext import TypeHandler

    from bot.settings import load_settings
    from platforms.telegram.adapter import feed
    from platforms.telegram.app import build_application

    app = build_application(load_settings(telegram_token="1:" + "x" * 30))
    handlers = [h for group in app.handlers.values() for h in group]
    assert len(handlers) == 1 and isinstance(handlers[0], TypeHandler)
    assert handlers[0].callback is feed
