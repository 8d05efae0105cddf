"""Household members (issue 31 part 2): the roster's members file (recognised by its
与户主关系 / relation column), all or nothing with named row errors and no ID number repeated;
the household's count becomes its members living in it; the ledger's members sheet masks ID
numbers."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.reports.ledger import build, collect, to_bytes
from monitoring.members import Presence, born_on, living
from monitoring.weeks import Week
from storage.ledger_lines import Scope
from storage.models import AuditEntry, Household
from storage.models_members import Member
from storage.roster import import_roster
from storage.roster_format import RosterError
from tests.small_town import SHANGHAI, at

HEADER = "户编号,姓名,与户主关系,身份证号,劳动能力,健康状况,在校情况,参保情况\n"
ROWS = (
    "H3,赵长生,户主,110105198001010016,普通劳动力,健康,,已参加城乡居民医保\n"
    "H3,钱秀兰,配偶,110105198202020026,普通劳动力,长期慢性病,,已参加城乡居民医保\n"
    "H3,赵小明,之子,11010520180303003X,无劳动力,健康,小学,已参加城乡居民医保\n"
)


def members_file(tmp_path: Path, text: str, name: str = "members.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def import_file(town: sessionmaker[Session], path: Path) -> None:
    with town() as s, s.begin():
        import_roster(s, [path], now=at("2026-11-20T08:00"), actor="test")


def test_the_domain() -> None:
    assert born_on("11010520180303003X") == date(2018, 3, 3)
    assert born_on("1101052018") is None and born_on(None) is None
    assert living(["living", Presence.AWAY, "dead", "living"]) == 2


def test_a_members_file_is_recognised_and_sets_the_households_count(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    import_file(town, members_file(tmp_path, HEADER + ROWS))
    with town() as s:
        household = s.scalars(select(Household).where(Household.number == "H3")).one()
        assert household.members == 3  # was 4 in the households file: 3 live in it
        rows = s.scalars(select(Member).where(Member.household_id == household.id)).all()
        assert [(m.name, m.relation, m.presence) for m in rows] == [
            ("赵长生", "户主", "living"),
            ("钱秀兰", "配偶", "living"),
            ("赵小明", "之子", "living"),
        ]
        assert rows[2].born_on == date(2018, 3, 3) and rows[2].schooling == "小学"
        audited = s.scalars(
            select(AuditEntry).where(AuditEntry.entity == "member", AuditEntry.action == "create")
        ).all()
        assert len(audited) == 3 and all("1101" not in (a.new_value or "") for a in audited)
    # English headers, one member's facts changed: found again by ID number, audited
    english = "household_no,name,relation,id_number,labour,health,schooling,insurance\n"
    changed = ROWS.replace("长期慢性病", "大病")
    import_file(town, members_file(tmp_path, english + changed, "members-en.csv"))
    with town() as s:
        assert len(s.scalars(select(Member)).all()) == 3
        [health] = s.scalars(select(AuditEntry).where(AuditEntry.field == "health")).all()
        assert (health.old_value, health.new_value) == ("长期慢性病", "大病")

    # The ledger's members sheet: every member, the ID number masked
    with town() as s:
        data = collect(s, Week.parse("2026-W48"), Scope(), SHANGHAI)
    with town() as s:
        from bot.i18n import load_translations

        zh = load_translations("zh_CN").get(None)
    book = openpyxl.load_workbook(io.BytesIO(to_bytes(build(data, zh, SHANGHAI))))
    rows = list(book["家庭成员"].iter_rows(values_only=True))
    assert rows[0][:6] == ("村", "户编号", "户主", "姓名", "与户主关系", "身份证号")
    assert rows[3][3:6] == ("赵小明", "之子", "**************003X")
    assert not any("110105" in str(cell) for row in rows for cell in row)


def test_bad_rows_are_named_and_nothing_is_imported(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    bad = (
        "H9,孙某,户主,110105198001010016,,,,\n"  # no such household
        "H3,赵长生,户主,110105198001010017,,,,\n"  # check character wrong
        "H3,钱秀兰,配偶,110105198202020026,,,,\n"
        "H3,钱秀兰二,之女,110105198202020026,,,,\n"  # the same ID number twice
        "H3,,之子,,,,,\n"  # no name
    )
    with pytest.raises(RosterError) as refused:
        import_file(town, members_file(tmp_path, HEADER + bad))
    found = {(e.row, e.reason) for e in refused.value.errors}
    assert (2, "no household {number}") in found
    assert (3, "身份证号 is not a valid ID number") in found
    assert (5, "身份证号 is the same as in row {row}") in found
    assert (6, "{column} is empty") in found
    # no ID number in any problem
    for error in refused.value.errors:
        assert not any("1101" in v for v in error.params.values())
    with town() as s:
        assert s.scalars(select(Member)).all() == []
        assert s.scalars(select(Household.members).where(Household.number == "H3")).one() == 4
