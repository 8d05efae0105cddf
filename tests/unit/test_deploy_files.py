"""deploy/: the settings examples name every variable there is, and load as written; the
systemd units pass `systemd-analyze verify` without a warning."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.plugins import own_settings
from bot.settings import PREFIX, Settings, load_settings
from platforms.dingtalk.settings import OWN_PREFIX, DingTalkSettings

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
EXAMPLES = ("common.env.example", "telegram.env.example", "dingtalk.env.example")
# Bot identities (issue 32, part 1): one process per identity, the townships it serves.
IDENTITY = {"FANGFANPIN_IDENTITY", "FANGFANPIN_TOWNSHIPS"}
ASSIGNMENT = re.compile(r"(#?)(FANGFANPIN_[A-Z_]+)=(.*)")


def read(name: str) -> tuple[dict[str, str], set[str]]:
    """The file's assignments, and every variable it names (commented out or not)."""
    active: dict[str, str] = {}
    named: set[str] = set()
    for number, line in enumerate((DEPLOY / name).read_text(encoding="utf-8").splitlines(), 1):
        if not line or (line.startswith("#") and not ASSIGNMENT.fullmatch(line)):
            continue
        found = ASSIGNMENT.fullmatch(line)
        assert found, f"{name}:{number}: not VARIABLE=value: {line!r}"
        comment, variable, value = found.groups()
        assert " #" not in value, f"{name}:{number}: systemd keeps a # after a value"
        named.add(variable)
        if not comment:
            active[variable] = value
    return active, named


def test_the_examples_explain_every_variable_and_only_real_ones() -> None:
    known = {PREFIX + f.upper() for f in Settings.model_fields}
    known |= {OWN_PREFIX + f.upper() for f in DingTalkSettings.model_fields}
    named = set().union(*(read(name)[1] for name in EXAMPLES))
    assert named - known - IDENTITY == set()
    assert known - named == set()
    assert read("telegram.env.example")[1] & read("dingtalk.env.example")[1] >= IDENTITY


@pytest.mark.parametrize("platform", ["telegram", "dingtalk"])
def test_common_and_a_platforms_example_make_a_bot_that_can_run(
    platform: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for variable in os.environ:
        if variable.startswith(PREFIX):
            monkeypatch.delenv(variable)
    values = read("common.env.example")[0] | read(f"{platform}.env.example")[0]
    values.pop("FANGFANPIN_POLICY_FILE")  # /etc/fangfanpin/policy.toml: not on this machine
    for variable, value in values.items():
        monkeypatch.setenv(variable, value)
    settings = load_settings(_env_file=None)
    assert settings.platform == platform
    assert settings.database_url == "postgresql+psycopg:///fangfanpin"
    own_settings(platform, complete=True)  # the platform's credentials are all there


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="no systemd-analyze")
def test_the_units_verify_without_a_warning(tmp_path: Path) -> None:
    installed = Path(sys.executable).with_name("fangfanpin")  # as /opt/fangfanpin/venv/bin/
    names = {
        "fangfanpin@.service": "fangfanpin@county-a.service",
        "fangfanpin-backup.service": "fangfanpin-backup.service",
        "fangfanpin-backup.timer": "fangfanpin-backup.timer",
    }
    for source, target in names.items():
        text = (DEPLOY / source).read_text(encoding="utf-8")
        assert "/opt/fangfanpin/venv/bin/fangfanpin " in text or source.endswith(".timer")
        text = text.replace("/opt/fangfanpin/venv/bin/fangfanpin", str(installed))
        (tmp_path / target).write_text(text, encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", *(f"./{name}" for name in names.values())],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "", done.stderr  # an unknown key or a bad value is only a warning
