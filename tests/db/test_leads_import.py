"""A department's list of leads from the command line: matched by ID number to the monitored
(a visit for the helper) and to villages, the rest to the township's staff; a bad row refuses
the whole file naming the row; the feedback sheet read back (full ID, every outcome, 0600)."""

from __future__ import annotations

import csv
import stat
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from bot.cli import main
from monitoring.idcard import check_character
from monitoring.leads import Outcome
from storage.leads import Leads
from storage.models import AuditEntry, Household, OutboxMessage
from storage.models_leads import Lead
from tests.small_town import HEAD, STAFF, A

HEADER = ["姓名", "身份证号", "村", "事由", "金额", "日期"]


def id_number(n: int) -> str:
    first = f"5001181985{n:07d}"
    return first + check_character(first)


def department_list(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        writer = csv.writer(f)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def twenty_rows() -> list[list[str]]:
    """Row 1 (file row 2) is H1's head (monitored); rows 2-10 name 青山村 or 石桥村; the rest
    no village."""
    rows = [["王大山", id_number(1), "", "因病住院，自付医疗费用较高", "35000", "2026-11-20"]]
    for n in range(2, 11):
        village = "青山村" if n % 2 else "石桥村"
        rows.append(
            [f"张{'一二三四五六七八九十'[n - 1]}", id_number(n), village, "大病住院", "", ""]
        )
    for n in range(11, 21):
        rows.append([f"李{'一二三四五六七八九十'[n - 11]}", id_number(n), "", "残疾", "1200", ""])
    return rows


def counts(factory: sessionmaker[Session]) -> tuple[int, int, int]:
    with factory() as s:
        return (
            s.scalar(select(func.count()).select_from(Lead)) or 0,
            s.scalar(select(func.count()).select_from(AuditEntry)) or 0,
            s.scalar(select(func.count()).select_from(OutboxMessage)) or 0,
        )


@pytest.fixture
def h1_has_an_id(town: sessionmaker[Session]) -> sessionmaker[Session]:
    with town() as s, s.begin():
        s.execute(update(Household).where(Household.number == "H1").values(id_number=id_number(1)))
    return town


def test_a_list_of_twenty_imports_with_matches_and_again_adds_nothing(
    env_database: str,
    h1_has_an_id: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    town = h1_has_an_id
    path = department_list(tmp_path / "医保局-11月.csv", twenty_rows())
    assert main(["leads", "import", str(path), "--source", "医保局"]) == 0
    out = capsys.readouterr().out
    assert "20" in out and id_number(5) not in out
    with town() as s:
        leads = s.scalars(select(Lead).order_by(Lead.source_row)).all()
        assert len(leads) == 20
        first = leads[0]
        assert first.outcome == Outcome.MONITORED.value and first.household_id is not None
        assert first.received_on == date(2026, 11, 20) and first.risk_types == ["illness"]
        assert sum(1 for lead in leads if lead.village_id is not None) == 10
        assert all(lead.outcome is None for lead in leads[1:])
        assert first.check_by == date(2026, 11, 25)  # received + lead_check_days (5)
        notices = {m.chat_id: m.key for m in s.scalars(select(OutboxMessage))}
    # H1's helper is told to visit; the village head and the staff have new leads to check.
    assert notices[A] == f"lead:{first.id}:visit:{_person_id(town, A)}"
    assert set(notices) == {A, HEAD, STAFF}
    before = counts(town)
    assert main(["leads", "import", str(path), "--source", "医保局"]) == 0
    assert counts(town) == before


def _person_id(town: sessionmaker[Session], user_id: int) -> int:
    from storage.repositories import People

    with town() as s:
        person = People(s).by_user_id(user_id)
        assert person is not None
        return person.id


@pytest.mark.parametrize(
    ("row", "change", "reason"),
    [
        (6, {1: id_number(6)[:-1] + ("0" if id_number(6)[-1] != "0" else "1")}, "身份证号"),
        (9, {2: "白云村"}, "白云村"),
        (12, {0: ""}, "姓名"),
        (15, {1: id_number(3)}, "第 4 行"),
    ],
)
def test_a_bad_row_refuses_the_file_names_the_row_and_writes_nothing(
    env_database: str,
    town: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    row: int,
    change: dict[int, str],
    reason: str,
) -> None:
    rows = twenty_rows()
    for index, value in change.items():
        rows[row - 2][index] = value
    path = department_list(tmp_path / "list.csv", rows)
    before = counts(town)
    assert main(["leads", "import", str(path), "--source", "医保局"]) == 1
    err = capsys.readouterr().err
    assert f"list.csv 第 {row} 行" in err and reason in err
    assert id_number(6) not in err  # a bad ID number is shown masked
    assert counts(town) == before


def test_the_feedback_sheet_has_every_lead_its_outcome_and_full_id(
    env_database: str,
    h1_has_an_id: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    town = h1_has_an_id
    path = department_list(tmp_path / "list.csv", twenty_rows())
    assert main(["leads", "import", str(path), "--source", "医保局"]) == 0
    from datetime import UTC, datetime

    now = datetime.now(UTC)
    with town() as s, s.begin():
        leads = Leads(s)
        rows = s.scalars(select(Lead).order_by(Lead.source_row)).all()
        leads.record_outcome(rows[1], Outcome.EXCLUDED, "收入稳定", today=now.date(), now=now)
        leads.record_outcome(rows[2], Outcome.NOT_FOUND, None, today=now.date(), now=now)
    target = tmp_path / "feedback.xlsx"
    assert main(["leads", "export", "--source", "医保局", "-o", str(target)]) == 0
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    sheet = load_workbook(target).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert len(values) == 21
    header, *lines = values
    assert "身份证号" in header and "结果" in header
    assert [line[1] for line in lines] == [id_number(n) for n in range(1, 21)]
    outcome = header.index("结果")
    assert lines[0][outcome] == "已是监测对象"
    assert lines[1][outcome] == "不纳入" and "收入稳定" in lines[1]
    assert lines[2][outcome] == "查无此人"
    assert lines[3][outcome] == "未核实"


def test_an_xlsx_list_with_date_cells_imports(
    env_database: str,
    town: sessionmaker[Session],
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER)
    sheet.append(
        ["陈一", id_number(31), "石桥村", "残疾，护理费用高", 2400, datetime(2026, 11, 18)]
    )
    sheet.append(["陈二", id_number(32), None, "因学", None, None])
    path = tmp_path / "残联.xlsx"
    book.save(path)
    assert main(["leads", "import", str(path), "--source", "残联"]) == 0
    with town() as s:
        leads = s.scalars(select(Lead).order_by(Lead.source_row)).all()
        assert [(lead.name, lead.source_row) for lead in leads] == [("陈一", 2), ("陈二", 3)]
        assert leads[0].received_on == date(2026, 11, 18) and leads[0].risk_types == ["disability"]
        assert leads[0].village_id is not None and leads[1].village_id is None
        assert leads[1].risk_types == ["schooling"] and leads[0].source_file == "残联.xlsx"
