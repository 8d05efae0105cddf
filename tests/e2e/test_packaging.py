"""`pip install` alone gives a bot that speaks Chinese: the wheel carries the catalogs and
they are read without `make`."""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_built_wheel_in_a_fresh_virtualenv_answers_in_chinese(tmp_path: Path) -> None:
    # The wheel, built as pip builds it for `pip install .` (from a copy without compiled
    # catalogs, as a clean clone is).
    source = tmp_path / "src"
    subprocess.run(
        ["git", "clone", "--quiet", "--depth=1", f"file://{ROOT}", str(source)], check=True
    )
    # Uncommitted changes of a working tree are part of what is tested.
    for path in subprocess.run(
        ["git", "ls-files", "--modified", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split():
        target = source / path
        if (ROOT / path).is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes((ROOT / path).read_bytes())
    assert not list(source.glob("bot/locales/*/LC_MESSAGES/*.mo"))
    wheels = tmp_path / "wheels"
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), "."],
        cwd=source,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stderr
    (wheel,) = wheels.glob("fangfanpin-*.whl")

    # A fresh virtualenv; the dependencies come from this one (no download), the project
    # only from the wheel.
    fresh = tmp_path / "venv"
    venv.create(fresh, with_pip=True)
    python = fresh / "bin" / "python"
    site = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    Path(site, "dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    installed = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", str(wheel)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert installed.returncode == 0, installed.stderr

    env = {k: v for k, v in os.environ.items() if not k.startswith("FANGFANPIN_")}
    env["FANGFANPIN_LOCALE"] = "zh_CN"
    probe = subprocess.run(
        [
            str(python),
            "-c",
            "import bot.i18n as i, bot.settings as s\n"
            "t = i.load_translations(s.load_settings(_env_file=None).locale).get()\n"
            "print(i.__file__)\n"
            "print(t._('Helper'))\n"
            "print(i.load_translations('zh_CN').missing_catalogs())",
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert probe.returncode == 0, probe.stderr
    where, helper, missing = probe.stdout.splitlines()
    assert where.startswith(site), where  # the installed copy, not this checkout
    assert helper == "帮扶责任人"
    assert missing == "[]"
