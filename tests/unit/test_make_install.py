"""`make run` installs the bot without the test tools (a production machine gets no pytest,
mypy or selenium); `make test` and `make lint` add them."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def planned(target: str, venv: Path) -> str:
    """The commands `make TARGET` would run on a machine without .venv (dry run)."""
    done = subprocess.run(
        ["make", "--dry-run", "--always-make", target, f"VENV={venv}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@pytest.mark.skipif(shutil.which("make") is None, reason="no make on this machine")
def test_run_installs_the_bot_without_test_tools(tmp_path: Path) -> None:
    run = planned("run", tmp_path / "venv")
    assert "pip install --quiet -e .\n" in run
    assert "[dev]" not in run
    for target in ("test", "lint"):
        steps = planned(target, tmp_path / "venv")
        assert "pip install --quiet -e '.[dev]'" in steps
        assert steps.index("-e .\n") < steps.index("-e '.[dev]'")
