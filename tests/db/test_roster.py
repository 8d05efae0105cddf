"""Roster import through the CLI: all or nothing, bad rows named, re-import updates in place."""

from __future__ import annotations

import csv
import shutil
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from storage.models import AuditEntry, HelperAssignment, Household, Person, Township, Village
from tests.conftest import EXAMPLES

HH_HEADER = [
    "乡镇",
    "村",
    "户编号",
    "户主姓名",
    "身份证号",
    "家庭人口",
    "监测类型",
    "上年人均纯收入",
    "帮扶责任人",
    "帮扶责任人电话",
]
HH_HEADER_EN = [
    "township",
    "village",
    "household_no",
    "head_name",
    "id_number",
    "members",
    "category",
    "last_year_income_per_capita",
    "helper_name",
    "helper_phone",
]
STAFF_HEADER = ["姓名", "电话", "角色", "乡镇", "村"]
GOOD = [
    "龙溪镇",
    "青山村",
    "T001",
    "张大山",
    "",
    "3",
    "脱贫不稳定户",
    "5200",
    "李建国",
    "13800138001",
]


def write_csv(
    path: Path, header: list[str], rows: list[list[str]], encoding: str = "utf-8"
) -> Path:
    with path.open("w", newline="", encoding=encoding) as f:
        writer = csv.writer(f)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def counts(factory: sessionmaker[Session]) -> dict[str, int]:
    with factory() as s:
        return {
            model.__name__: s.scalar(select(func.count()).select_from(model)) or 0
            for model in (Township, Village, Household, Person, HelperAssignment, AuditEntry)
        }


def run_import(*files: Path) -> int:
    return main(["roster", "import", *map(str, files)])


def test_sample_roster_imports_and_reimport_changes_nothing(
    env_database: str, session_factory: sessionmaker[Session], capsys: pytest.CaptureFixture[str]
) -> None:
    files = sorted(EXAMPLES.glob("*.csv"))
    assert run_import(*files) == 0
    first = counts(session_factory)
    assert first["Township"] == 1 and first["Village"] == 3
    assert first["Household"] == 30 and first["HelperAssignment"] == 30
    assert first["Person"] == 15  # 8 helpers, 3 village heads, 2 township staff, 2 unit staff
    out = capsys.readouterr().out
    assert "新增 30 户" in out

    assert run_import(*files) == 0
    assert counts(session_factory) == first  # no duplicates, no audit rows
    assert "未变 30 户" in capsys.readouterr().out


def test_updated_file_updates_in_place_with_audit(
    env_database: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    staff = tmp_path / "staff.csv"
    shutil.copy(EXAMPLES / "staff.csv", staff)
    households = write_csv(tmp_path / "hh.csv", HH_HEADER, [GOOD])
    assert run_import(households, staff) == 0
    before = counts(session_factory)

    changed = [*GOOD]
    changed[5] = "4"  # members
    changed[8:10] = ["王秀英", "138 0013 8002"]  # another helper, phone with spaces
    write_csv(households, HH_HEADER, [changed])
    assert run_import(households, staff) == 0

    after = counts(session_factory)
    assert after["Household"] == before["Household"] == 1
    with session_factory() as s:
        household = s.scalars(select(Household)).one()
        assert household.members == 4
        helper = s.get(Person, s.get(HelperAssignment, household.id).helper_id)  # type: ignore[union-attr]
        assert helper is not None and helper.name == "王秀英"
        rows = s.execute(
            select(AuditEntry.field, AuditEntry.old_value, AuditEntry.new_value)
            .where(AuditEntry.entity_key == "T001", AuditEntry.action != "create")
            .order_by(AuditEntry.id)
        ).all()
    assert [tuple(r) for r in rows] == [
        ("helper", None, "+8613800138001"),
        ("members", "3", "4"),
        ("helper", "+8613800138001", "+8613800138002"),
    ]


@pytest.mark.parametrize(
    ("row_change", "reason"),
    [
        ({2: ""}, "户编号”为空"),
        ({5: "0"}, "家庭人口应为 1 到 30 的整数"),
        ({5: "31"}, "家庭人口应为 1 到 30 的整数"),
        ({5: "2.5"}, "家庭人口应为 1 到 30 的整数"),
        ({5: "三"}, "家庭人口应为 1 到 30 的整数"),
        ({6: "贫困户"}, "未知的监测类型"),
        ({7: "-5"}, "上年人均纯收入应为"),
        ({7: "abc"}, "上年人均纯收入应为"),
        ({9: "12345"}, "不是大陆手机号"),
        ({9: "+1 415 555 2671"}, "不是大陆手机号"),
        ({9: "010-12345678"}, "不是大陆手机号"),
        ({4: "500118197511021744"}, "身份证号无效"),
        ({8: "别人"}, "帮扶责任人电话属于 李建国"),
        ({8: "李建国13800138001"}, "帮扶责任人 李建国13800138001 含有数字"),
        ({2: "13800138000"}, "户编号 138****8000 形似身份证号或手机号"),
        ({2: "500118198507029464"}, "户编号 500***********9464 形似身份证号或手机号"),
        ({1: "青山村 电话13700137000"}, "村 青山村 电话137****7000 形似身份证号或手机号"),
        ({0: "龙溪镇+86 137-0013-7000"}, "乡镇 龙溪镇+86**********7000 形似身份证号或手机号"),
    ],
)
def test_a_bad_row_changes_nothing_and_is_named(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    row_change: dict[int, str],
    reason: str,
) -> None:
    assert run_import(EXAMPLES / "staff.csv") == 0
    before = counts(session_factory)
    bad = [*GOOD]
    for index, value in row_change.items():
        bad[index] = value
    good2 = [*GOOD]
    good2[2] = "T002"
    path = write_csv(tmp_path / "households.csv", HH_HEADER, [good2, bad])

    assert run_import(path) == 1
    err = capsys.readouterr().err
    assert "数据未作任何改动" in err
    assert "households.csv 第 3 行" in err and reason in err
    assert counts(session_factory) == before


def test_duplicates_and_role_rules_are_reported_across_files(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    hh = write_csv(tmp_path / "hh.csv", HH_HEADER, [GOOD, GOOD])
    staff = write_csv(
        tmp_path / "people.csv",
        STAFF_HEADER,
        [
            ["甲", "13700000001", "村干部", "龙溪镇", ""],
            ["乙", "13700000002", "乡镇干部", "龙溪镇", "青山村"],
            ["丙", "13700000003", "会计", "龙溪镇", "青山村"],
            ["丁", "13700000004", "帮扶责任人", "龙溪镇", "青山村"],
            ["戊", "137-0000-0004", "帮扶责任人", "龙溪镇", "青山村"],
            ["己", "13700000006", "县级干部", "龙溪镇", "青山村"],
        ],
    )
    assert run_import(hh, staff) == 1
    err = capsys.readouterr().err
    assert "hh.csv 第 3 行: 户编号 T001 重复（首次出现在 hh.csv 第 2 行）" in err
    assert "people.csv 第 2 行: 村干部必须填写“村”" in err
    assert "people.csv 第 3 行: 乡镇干部、县级干部和部门干部不填“村”" in err
    assert "people.csv 第 7 行: 乡镇干部、县级干部和部门干部不填“村”" in err
    assert "people.csv 第 4 行: 未知的角色 会计" in err
    assert "people.csv 第 6 行: 电话 +8613700000004 已登记给 丁" in err
    assert counts(session_factory)["Household"] == 0
    assert counts(session_factory)["Person"] == 0


def test_staff_places_shaped_like_an_id_or_mobile_number_refuse_the_file(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staff = write_csv(
        tmp_path / "people.csv",
        STAFF_HEADER,
        [
            ["甲", "13700000001", "村干部", "龙溪镇", "青山村"],
            ["乙", "13700000002", "村干部", "龙溪镇", "13700137000"],
            ["丙", "13700000003", "乡镇干部", "110105491231002", ""],
        ],
    )
    assert run_import(staff) == 1
    err = capsys.readouterr().err
    assert "people.csv 第 3 行: 村 137****7000 形似身份证号或手机号" in err
    assert "people.csv 第 4 行: 乡镇 110********1002 形似身份证号或手机号" in err
    assert "13700137000" not in err and "110105491231002" not in err
    assert counts(session_factory)["Person"] == 0


def test_xlsx_with_english_headers_and_two_sheets(
    env_database: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "households"
    sheet.append(HH_HEADER_EN)
    sheet.append(
        [
            "龙溪镇",
            "青山村",
            "X1",
            "张大山",
            "500118197511021743",
            3,
            "marginal",
            5200.5,
            "李建国",
            13800138001,
        ]
    )
    staff = book.create_sheet("staff")
    staff.append(["name", "phone", "role", "township", "village"])
    staff.append(["李建国", "+86 138 0013 8001", "helper", "龙溪镇", "青山村"])
    staff.append(["杨振华", "18700187001", "township_staff", "龙溪镇", None])
    path = tmp_path / "roster.xlsx"
    book.save(path)

    assert run_import(path) == 0
    with session_factory() as s:
        household = s.scalars(select(Household)).one()
        assert (household.category, household.members) == ("marginal", 3)
        assert str(household.last_year_income_per_capita) == "5200.50"
        assert household.id_number == "500118197511021743"
        roles = {name: role for name, role in s.execute(select(Person.name, Person.role))}
    assert roles == {"李建国": "helper", "杨振华": "township_staff"}


def test_xlsx_id_number_stored_as_a_number_is_refused(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HH_HEADER)
    sheet.append(
        [
            "龙溪镇",
            "青山村",
            "X1",
            "张大山",
            500118197511021743,
            3,
            "marginal",
            5200,
            "李建国",
            "13800138001",
        ]
    )
    path = tmp_path / "roster.xlsx"
    book.save(path)
    assert run_import(path) == 1
    assert "身份证号以数字格式保存" in capsys.readouterr().err


def test_gbk_csv_full_width_digits_and_unknown_header(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    row = [*GOOD]
    row[5] = "３"  # full-width digit
    gbk = write_csv(tmp_path / "gbk.csv", HH_HEADER, [row], encoding="gb18030")
    assert run_import(gbk) == 0
    with session_factory() as s:
        assert s.scalars(select(Household.members)).one() == 3

    odd = write_csv(tmp_path / "odd.csv", ["名字", "年龄"], [["甲", "3"]])
    assert run_import(odd) == 1
    assert "odd.csv 第 1 行: 无法识别表头" in capsys.readouterr().err
    assert run_import(tmp_path / "missing.csv") == 1
    assert "找不到文件" in capsys.readouterr().err


def test_missing_column_is_named(
    env_database: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    header = [h for h in HH_HEADER if h != "家庭人口"]
    row = [v for i, v in enumerate(GOOD) if i != 5]
    assert run_import(write_csv(tmp_path / "h.csv", header, [row])) == 1
    assert "缺少列：家庭人口/members" in capsys.readouterr().err


def _workbook_with_sheet(path: Path, sheet_xml: bytes) -> Path:
    """A valid workbook whose first sheet's XML is replaced by `sheet_xml`."""
    import openpyxl

    book = openpyxl.Workbook()
    book.active.append(HH_HEADER)
    book.active.append(GOOD)
    good = path.with_name("good.xlsx")
    book.save(good)
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = sheet_xml
            target.writestr(item, data)
    return path


BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    + b"".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10 if i > 1 else "&lol;" * 10}">'.encode()
        for i in range(1, 10)
    )
    + b']><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row>'
    b"</sheetData></worksheet>"
)


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (
            lambda d: write_csv(d / "big.csv", HH_HEADER, [[*GOOD[:3], "张" * 140_000, *GOOD[4:]]]),
            "不是可读取的 CSV 文件",
        ),
        (
            lambda d: _workbook_with_sheet(d / "broken.xlsx", b"<worksheet><sheetData><row>"),
            "XLSX",
        ),
        (
            lambda d: _workbook_with_sheet(
                d / "cut.xlsx",
                b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b'<sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>x</t></is></c></row>'
                b'<row r="2"><c r="A2" t="inlineStr"><is><t>y</t>',
            ),
            "XLSX",
        ),
        (lambda d: _workbook_with_sheet(d / "bomb.xlsx", BOMB), "XLSX"),
    ],
    ids=["csv-field-over-128k", "broken-sheet-xml", "sheet-xml-cut-short", "xml-bomb"],
)
def test_a_malformed_file_gets_its_problem_and_exit_1_never_a_traceback(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Any,
    reason: str,
) -> None:
    before = counts(session_factory)
    assert run_import(make(tmp_path)) == 1
    err = capsys.readouterr().err
    assert "数据未作任何改动" in err and reason in err, err
    assert "Traceback" not in err
    assert counts(session_factory) == before


FACTS_HEADER = [*HH_HEADER, "纳入日期", "风险类型", "劳动能力", "村民小组"]


def test_the_optional_facts_are_kept_and_an_empty_cell_keeps_what_is_stored(
    env_database: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    rows = [
        [*GOOD, "2024年3月15日", "因病、因学", "整户无劳动力", "三组"],
        [*GOOD[:2], "T002", *GOOD[3:], "2023/9/1", "illness; 缺劳动力", "弱劳动力", ""],
    ]
    assert run_import(write_csv(tmp_path / "households.csv", FACTS_HEADER, rows)) == 0
    with session_factory() as s:
        found = {
            h.number: (str(h.identified_on), h.risk_types, h.has_labour, h.villager_group)
            for h in s.scalars(select(Household))
        }
    assert found == {
        "T001": ("2024-03-15", ["illness", "schooling"], False, "三组"),
        "T002": ("2023-09-01", ["illness", "labour"], True, None),
    }
    # The same file without the columns (or with empty cells) changes none of them.
    assert run_import(write_csv(tmp_path / "plain.csv", HH_HEADER, [GOOD])) == 0
    blank = [[*GOOD, "", "", "", ""]]
    assert run_import(write_csv(tmp_path / "blank.csv", FACTS_HEADER, blank)) == 0
    with session_factory() as s:
        household = s.scalars(select(Household).where(Household.number == "T001")).one()
        assert (str(household.identified_on), household.has_labour) == ("2024-03-15", False)


def test_the_national_system_code_is_kept_and_an_overlong_one_refused(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    header = [*HH_HEADER, "系统户编号"]
    assert run_import(write_csv(tmp_path / "codes.csv", header, [[*GOOD, "5001180010010001"]])) == 0
    assert run_import(write_csv(tmp_path / "blank.csv", header, [[*GOOD, ""]])) == 0  # kept
    with session_factory() as s:
        assert s.scalars(select(Household.national_code)).one() == "5001180010010001"
    before = counts(session_factory)
    assert run_import(write_csv(tmp_path / "long.csv", header, [[*GOOD, "9" * 41]])) == 1
    assert "系统户编号超过 40 个字符" in capsys.readouterr().err
    assert counts(session_factory) == before


def test_xlsx_date_cell_of_identification(
    env_database: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    from datetime import datetime

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(FACTS_HEADER)
    sheet.append([*GOOD[:5], 3, GOOD[6], 5200, GOOD[8], GOOD[9], datetime(2022, 6, 30), "因灾"])
    path = tmp_path / "roster.xlsx"
    book.save(path)
    assert run_import(path) == 0
    with session_factory() as s:
        household = s.scalars(select(Household)).one()
        assert (str(household.identified_on), household.risk_types) == ("2022-06-30", ["disaster"])


@pytest.mark.parametrize(
    ("facts", "reason"),
    [
        (["2099-01-01", "", "", ""], "纳入日期 2099-01-01 不是 2015 年至今的日期"),
        (["2024-02-30", "", "", ""], "纳入日期 2024-02-30"),
        (["", "因穷", "", ""], "未知的风险类型 因穷"),
        (["", "", "一般", ""], "无法识别的劳动能力 一般"),
        (["", "", "", "组" * 51], "村民小组超过 50 个字"),
    ],
)
def test_a_bad_fact_is_named_and_changes_nothing(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    facts: list[str],
    reason: str,
) -> None:
    before = counts(session_factory)
    path = write_csv(tmp_path / "households.csv", FACTS_HEADER, [[*GOOD, *facts]])
    assert run_import(path) == 1
    err = capsys.readouterr().err
    assert "households.csv 第 2 行" in err and reason in err
    assert counts(session_factory) == before


def test_xlsx_whose_dimension_tag_claims_fewer_rows_imports_every_row(
    env_database: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """Some spreadsheet tools write a `<dimension>` smaller than the sheet; openpyxl's
    read-only mode trusts it unless told otherwise."""
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HH_HEADER)
    for n in range(1, 6):
        sheet.append([*GOOD[:2], f"T00{n}", *GOOD[3:]])
    full = tmp_path / "full.xlsx"
    book.save(full)
    path = tmp_path / "cut-tag.xlsx"
    with zipfile.ZipFile(full) as source, zipfile.ZipFile(path, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b'<dimension ref="A1:J6" />' in data
                data = data.replace(b'<dimension ref="A1:J6" />', b'<dimension ref="A1:J2" />')
            target.writestr(item, data)

    assert run_import(path) == 0
    with session_factory() as s:
        numbers = sorted(s.scalars(select(Household.number)))
    assert numbers == ["T001", "T002", "T003", "T004", "T005"]


UNIT_HEADER = [*STAFF_HEADER, "单位"]


def test_unit_staff_are_imported_with_their_unit(
    env_database: str, session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    staff = write_csv(
        tmp_path / "people.csv",
        UNIT_HEADER,
        [
            ["钱民政", "13600000001", "部门干部", "龙溪镇", "", "镇民政办"],
            ["孙社保", "13600000002", "unit_staff", "龙溪镇", "", " 镇社保所 "],
            ["甲", "13700000001", "村干部", "龙溪镇", "青山村", ""],
        ],
    )
    assert run_import(staff) == 0
    with session_factory() as s:
        people = {p.name: (p.role, p.unit, p.village_id) for p in s.scalars(select(Person))}
    assert people["钱民政"] == ("unit_staff", "镇民政办", None)
    assert people["孙社保"] == ("unit_staff", "镇社保所", None)
    assert people["甲"][:2] == ("village_head", None)


def test_a_unit_only_for_unit_staff_and_always_for_them_or_nothing_is_imported(
    env_database: str,
    session_factory: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    staff = write_csv(
        tmp_path / "people.csv",
        UNIT_HEADER,
        [
            ["钱民政", "13600000001", "部门干部", "龙溪镇", "", "镇民政办"],
            ["孙社保", "13600000002", "部门干部", "龙溪镇", "", ""],
            ["甲", "13700000001", "帮扶责任人", "龙溪镇", "青山村", "镇民政办"],
            ["乙", "13600000003", "部门干部", "龙溪镇", "青山村", "镇社保所"],
            ["丙", "13600000004", "部门干部", "龙溪镇", "", "13700137000"],
        ],
    )
    assert run_import(staff) == 1
    err = capsys.readouterr().err
    assert "people.csv 第 3 行: 部门干部必须填写“单位”" in err
    assert "people.csv 第 4 行: 只有部门干部填写“单位”" in err
    assert "people.csv 第 5 行: 乡镇干部、县级干部和部门干部不填“村”" in err
    assert "people.csv 第 6 行: 单位 13700137000 不是单位名称" in err
    assert counts(session_factory)["Person"] == 0
