"""Dependencies point one way: bot, sandbox -> conversations, scheduler -> storage ->
monitoring; nothing in bot/ imports the sandbox but the CLI's `sandbox` command."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = {
    "monitoring": {
        "telegram",
        "sqlalchemy",
        "alembic",
        "storage",
        "conversations",
        "scheduler",
        "bot",
        "sandbox",
    },
    "storage": {"telegram", "conversations", "scheduler", "bot", "sandbox"},
    "conversations": {"bot", "scheduler", "sandbox"},
    "scheduler": {"bot", "conversations", "telegram", "sandbox"},
    "sandbox": {"bot"},
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


# Modules of conversations/ still written against python-telegram-bot, to be ported to the
# neutral engine (conversations/engine). The list may only shrink: a new module is neutral.
NOT_YET_NEUTRAL = {
    "base.py",
    "checkin.py",
    "proposal_texts.py",
    "proposals.py",
}


def test_conversations_are_platform_neutral_but_for_those_not_yet_ported() -> None:
    with_telegram = {
        str(path.relative_to(ROOT / "conversations"))
        for path in (ROOT / "conversations").rglob("*.py")
        if "telegram" in imported_roots(path)
    }
    assert with_telegram == NOT_YET_NEUTRAL


def test_only_the_cli_of_the_bot_knows_the_sandbox() -> None:
    users = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "bot").rglob("*.py")
        if "sandbox" in imported_roots(path)
    )
    assert users == ["bot/cli.py"]


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


def test_the_known_commands_are_the_commands_the_application_takes() -> None:
    from telegram.ext import CommandHandler

    from bot.app import build_application
    from bot.settings import load_settings
    from conversations.menu import KNOWN_COMMANDS

    app = build_application(load_settings(telegram_token="1:" + "x" * 30))
    taken = {
        command
        for group in app.handlers.values()
        for handler in group
        if isinstance(handler, CommandHandler)
        for command in handler.commands
    }
    assert taken == set(KNOWN_COMMANDS)
