"""The policy file: lines per year and region, how expenditure counts, and every error naming
the file, the key and the value."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from bot.settings import SHIPPED_POLICY, SettingsError, load_policy, load_settings
from monitoring.policy import DEFAULT_POLICY, Expenditure, PolicyError, parse_policy
from monitoring.risk import Level, Situation, assess

FILE = """
income_drop = 0.25
expenditure = "last_12_months"
region = "县甲"

[townships]
"乙镇" = "省甲"

[lines.2020]
red_line = 4800
watch_line = 6000

[lines.2025]
red_line = 7200
watch_line = 9000
income_drop = 0.4

[regions."省甲".lines.2025]
red_line = 6400
watch_line = 8000

[regions."县甲"]
within = "省甲"

[regions."县甲".lines.2026]
red_line = 6800
watch_line = 8500
"""


LINES = "[lines.2026]\nred_line = 4800\nwatch_line = 6000\n"


def situation(per_capita: int) -> Situation:
    return Situation(
        members=1,
        expected_income=Decimal(per_capita),
        rigid_expenditure_this_year=Decimal(0),
        last_year_income_per_capita=Decimal(per_capita),
        last_year_members=1,
        guarantees={},
    )


def test_the_shipped_file_is_the_seed_plans_2020_lines() -> None:
    shipped = load_policy(None)
    assert shipped.lines == DEFAULT_POLICY.lines
    assert shipped.expenditure is Expenditure.CALENDAR_YEAR
    assert load_settings().policy.lines == DEFAULT_POLICY.lines
    assert str(SHIPPED_POLICY).endswith("bot/policy.toml")


def test_two_years_and_a_county_override_change_assessments() -> None:
    policy = parse_policy(FILE, "test.toml")
    assert policy.expenditure is Expenditure.LAST_12_MONTHS
    # 7,000 yuan a head: GREEN by 2020's lines, WATCH in the province in 2025 (watch line
    # 8,000), RED in the general table of 2025 (red line 7,200).
    assert assess(situation(7000), policy.lines_for(2020)).level is Level.GREEN
    county_2025 = policy.lines_for(2025)  # the county has none for 2025: its province's
    assert (county_2025.region, county_2025.watch_line) == ("省甲", Decimal(8000))
    assert assess(situation(7000), county_2025).level is Level.WATCH
    assert assess(situation(7000), policy.lines_for(2025, "乙镇")).level is Level.WATCH
    general = parse_policy(FILE.replace('region = "县甲"', ""), "t").lines_for(2025)
    assert general.region is None and general.income_drop == Decimal("0.4")
    assert assess(situation(7000), general).level is Level.RED
    # 2026: the county's own line.
    county_2026 = policy.lines_for(2026)
    assert (county_2026.region, county_2026.red_line) == ("县甲", Decimal(6800))
    assert assess(situation(6700), county_2026).level is Level.RED
    assert county_2026.income_drop == Decimal("0.25")  # the file's default share


def test_a_year_without_lines_uses_the_latest_earlier_one_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    policy = parse_policy(FILE, "test.toml")
    with caplog.at_level(logging.INFO, logger="monitoring.policy"):
        choice = policy.choose(2027, "乙镇")
    assert (choice.lines.year, choice.lines.region, choice.exact) == (2025, "省甲", False)
    assert "no policy lines for 2027: using those of 2025" in caplog.text
    assert policy.choose(2026).exact and not policy.choose(2021).exact
    assert policy.choose(2021).lines.year == 2020
    assert DEFAULT_POLICY.choose(2019).lines.year == 2020  # before the first: the first


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[lines.2026]\nred_line = 9000\nwatch_line = 8000\n", "lines.2026.red_line = 9000"),
        ("[lines.2026]\nred_line = 'abc'\nwatch_line = 8000\n", "lines.2026.red_line = 'abc'"),
        ("[lines.2026]\nwatch_line = 8000\n", "lines.2026.red_line is missing"),
        ("[lines.26]\nred_line = 4800\nwatch_line = 6000\n", "lines.26: the key should be a year"),
        (
            "[lines.2026]\nred_line = 4800\nwatch_line = 6000\nincome_drop = 30\n",
            "income_drop = 30",
        ),
        ("[lines.2026]\nred_line = 4800\nwatch_line = 6000\nredline = 3\n", "lines.2026.redline"),
        (
            "expenditure = 'monthly'\n[lines.2026]\nred_line = 4800\nwatch_line = 6000\n",
            "'monthly'",
        ),
        ("region = 'x'\n[lines.2026]\nred_line = 4800\nwatch_line = 6000\n", "region = 'x'"),
        ("cadence = 1\n", "cadence: unknown key"),
        ("", "[lines.YEAR] is missing"),
        ("[lines.2026\n", "not a TOML file"),
        (
            "[lines.2026]\nred_line = 4800\nwatch_line = 6000\n[regions.a]\nwithin = 'b'\n",
            "regions.a.within = 'b'",
        ),
        # Implausible lines: yuan per person per year, 1,000 to 100,000.
        (
            "[lines.2026]\nred_line = 0.001\nwatch_line = 6000\n",
            "lines.2026.red_line = 0.001: yuan per person per year, 1,000 to 100,000",
        ),
        ("[lines.2026]\nred_line = 4800\nwatch_line = 6e7\n", "lines.2026.watch_line = 60000000.0"),
        ("[lines.2026]\nred_line = 999\nwatch_line = 6000\n", "lines.2026.red_line = 999"),
        # Values of the wrong type: a line, never a traceback.
        ("region = [1]\n" + LINES, "region = [1]: give a region's name"),
        (LINES + "[townships.x]\na = 1\n", "townships.x = {'a': 1}: give a region's name"),
        ("visits = [1]\n" + LINES, "visits = [1]: use"),
        ("expenditure = {a = 1}\n" + LINES, "expenditure = {'a': 1}: use"),
        ("notice_days = [5]\n" + LINES, "notice_days = [5]"),
        ("plan_days = 0\n" + LINES, "plan_days = 0: whole days, 1 to 30"),
        ("plan_days = true\n" + LINES, "plan_days = True"),
        ("lead_check_days = 0\n" + LINES, "lead_check_days = 0: whole days, 1 to 30"),
        (LINES + "[regions.a]\nwithin = {b = 1}\n", "regions.a.within = {'b': 1}"),
        ("[lines.2026]\nred_line = 4800\nwatch_line = 6000\nsource = 1\n", "source = 1"),
        # Hostile files: nested thousands deep, a number of 5,000 digits, a huge value.
        ("x = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
        ("x = " + "9" * 5000 + "\n", "not a TOML file"),
        ("region = '" + "x" * 100_000 + "'\n" + LINES, "region = 'xxxxxx"),
    ],
)
def test_a_bad_file_names_the_file_the_key_and_the_value(text: str, message: str) -> None:
    with pytest.raises(PolicyError) as raised:
        parse_policy(text, "/etc/fangfanpin/policy.toml")
    assert str(raised.value).startswith("/etc/fangfanpin/policy.toml: ")
    assert message in str(raised.value)
    assert "\n" not in str(raised.value) and len(str(raised.value)) < 300  # one short line


def test_a_bad_policy_file_stops_the_settings_with_its_reason(tmp_path: object) -> None:
    from pathlib import Path

    bad = Path(str(tmp_path)) / "policy.toml"
    bad.write_text("[lines.2026]\nred_line = 9000\nwatch_line = 8000\n", encoding="utf-8")
    with pytest.raises(SettingsError) as raised:
        load_settings(policy_file=str(bad))
    assert str(raised.value).startswith("FANGFANPIN_POLICY_FILE: ")
    assert "lines.2026.red_line = 9000" in str(raised.value)
    with pytest.raises(SettingsError, match="can not be read"):
        load_settings(policy_file=str(bad) + ".missing")


def _fifo(directory: Path) -> str:
    path = directory / "policy.fifo"
    os.mkfifo(path)  # reading it would wait for a writer for ever
    return str(path)


def _written(name: str, text: str) -> Callable[[Path], str]:
    def make(directory: Path) -> str:
        path = directory / name
        path.write_text(text, encoding="utf-8")
        return str(path)

    return make


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs a POSIX system")
@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda d: "/dev/zero", "/dev/zero: not a regular file"),
        (_fifo, "policy.fifo: not a regular file"),
        (lambda d: str(d), "not a regular file"),  # a directory
        (_written("big.toml", "# " + "x" * (1 << 20) + "\n" + LINES), "over 1024 KiB"),
        (_written("region.toml", "region = [1]\n" + LINES), "region = [1]: give a region's"),
        (_written("deep.toml", "x = " + "[" * 100_000 + "]" * 100_000), "nested too deeply"),
        (_written("low.toml", LINES.replace("4800", "0.001")), "red_line = 0.001: yuan per"),
    ],
    ids=["dev-zero", "fifo", "directory", "over-1-MiB", "region-list", "deep", "red-0.001"],
)
def test_a_hostile_policy_file_stops_the_cli_with_one_line(
    tmp_path: Path, make: Callable[[Path], str], reason: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env["FANGFANPIN_POLICY_FILE"] = make(tmp_path)
    env["FANGFANPIN_DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite'}"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "current"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2, done.stderr
    [line] = done.stderr.strip().splitlines()
    assert line.startswith("fangfanpin: configuration error: FANGFANPIN_POLICY_FILE: ")
    assert reason in line and len(line) < 300


def test_plan_days_defaults_to_three_and_may_be_set() -> None:
    assert parse_policy(LINES, "f").plan_days == 3
    assert parse_policy("plan_days = 7\n" + LINES, "f").plan_days == 7
