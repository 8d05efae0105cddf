"""Income as the county counts it, through the check-in (issue 31, done-when): a visit that
records a change in wage income and a hospital bill paid after insurance shows the rolling
per-capita figure with its parts, and assesses with it: the worked example of
docs/policy.md ("Income: a worked example"), exactly."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.start import checkin
from conversations.engine.replies import Edit, Say
from conversations.engine.services import Services
from conversations.reports.ledger import build, collect, to_bytes
from monitoring.weeks import Week
from storage.ledger_lines import Scope
from storage.models import AuditEntry, CheckIn, Household, OutboxMessage
from storage.models_income import IncomeStatement
from storage.roster import import_roster
from storage.roster_format import RosterError
from tests.flows.conftest import Runner
from tests.small_town import SHANGHAI, B, at

HEADER = (
    "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,"
    "帮扶责任人电话,工资性收入,经营性净收入,财产性收入,转移性收入\n"
)
# H3, helper 乙 (B): 4 members, last year 24,000 + 6,000 + 0 + 3,600 = 33,600 (8,400 each)
H3 = "龙溪镇,青山村,H3,赵长生,,4,脱贫不稳定户,8400,乙,13800000002,24000,6000,0,3600\n"
EXAMPLE = (
    "（工资性 18,000 + 经营性 6,000 + 财产性 0 + 转移性 3,600 − 合规自付 5,000 = 22,600 元，"
    "÷ 4 人）"
)


def with_income_by_source(town: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "income.csv"
    path.write_text(HEADER + H3, encoding="utf-8")
    with town() as s, s.begin():
        import_roster(s, [path], now=at("2026-11-02T08:00"), actor="test")


async def answer(run: Runner, *steps: str) -> Say | Edit:
    """Each step a button's data (`ci:…`) pressed, or a text typed; what the last one
    showed (a new message, or the pressed one changed in place)."""
    shown: Say | Edit | None = None
    for step in steps:
        if step.startswith("ci:"):
            replies = await run.answer(B, button=step, message_text="…")
        else:
            replies = await run.answer(B, text=step)
        said = [r for r in replies if isinstance(r, Say)]
        edited = [r for r in replies if isinstance(r, Edit)]
        shown = (said or edited)[0]
    assert shown is not None
    return shown


GUARANTEES_OK = ("是", "是", "否", "是", "是", "是", "是")  # food … water; no school child
NO_NOTE_NO_PHOTO = ("ci:a:note:skip", "ci:a:photo:skip")


async def test_a_change_in_wage_income_and_a_hospital_bill_paid_after_insurance(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_income_by_source(town, tmp_path)
    services.clock = lambda: at("2026-11-24T10:00")
    [first] = await run.text(checkin, B, "/checkin")  # 乙 has one household: it starts
    assert isinstance(first, Say) and "【H3 赵长生】" in first.text
    asked = await answer(run, "ci:a:visit_method:home", "4")
    # one tap for no change; a change asks which income and its new figure over 12 months
    assert [b.label for b in asked.keyboard[0]] == ["有变化", "没有变化"]
    which = await answer(run, "ci:a:income_changed:1")
    assert "哪项收入有变化" in which.text
    assert "工资性收入" in [b.label for row in which.keyboard for b in row]
    amount = await answer(run, "ci:a:income_source:wage")
    assert "现在按近12个月算，工资性收入共多少元" in amount.text
    rigid = await answer(run, "1.8万", "ci:a:income_more:0")
    # the expenditure is what the household paid itself, not the hospital's bill
    assert "自己承担" in rigid.text and "医保报销和救助后自付" in rigid.text
    paid = await answer(run, "ci:a:rigid_expense:1", "ci:a:expense_cause:illness")
    assert "不是医院总费用" in paid.text and "合规自付" in paid.text
    summary = await answer(run, "5000", "否", *GUARANTEES_OK, *NO_NOTE_NO_PHOTO)
    assert "请核对" in summary.text
    assert "收入变化：有变化（工资性收入 18,000 元）" in summary.text
    assert "• 近12个月人均纯收入：5,650 元" in summary.text and EXAMPLE in summary.text

    saved = await answer(run, "ci:ok")
    assert "已保存" in saved.text and "🟡" in saved.text
    assert "近12个月人均纯收入：5,650 元" in saved.text and EXAMPLE in saved.text
    assert "人均纯收入 5,650 元，低于监测线 6,000 元" in saved.text
    with town() as s:
        household = s.scalars(select(Household).where(Household.number == "H3")).one()
        row = s.scalars(select(CheckIn).where(CheckIn.household_id == household.id)).one()
        assert (row.level, row.per_capita_income) == ("watch", Decimal("5650.00"))
        assert row.income == {
            "method": "sources",
            "gross": "27600.00",
            "deduction": "5000.00",
            "members": 4,
            "per_capita": "5650.00",
            "wage": "18000.00",
            "business": "6000.00",
            "property": "0.00",
            "transfer": "3600.00",
        }
        statements = s.scalars(
            select(IncomeStatement)
            .where(IncomeStatement.household_id == household.id)
            .order_by(IncomeStatement.id)
        ).all()
        # the roster's four, then the visit's one change, from the visit's day
        assert [(st.source, st.amount, str(st.valid_from)) for st in statements] == [
            ("wage", Decimal("24000.00"), "2026-11-02"),
            ("business", Decimal("6000.00"), "2026-11-02"),
            ("property", Decimal("0.00"), "2026-11-02"),
            ("transfer", Decimal("3600.00"), "2026-11-02"),
            ("wage", Decimal("18000.00"), "2026-11-24"),
        ]
        assert statements[-1].checkin_id == row.id
        audited = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_key == "H3", AuditEntry.field == "income_wage")
            .order_by(AuditEntry.id)
        ).all()
        assert [(a.old_value, a.new_value) for a in audited] == [
            (None, "24000"),
            ("24000", "18000"),
        ]
        # WATCH: nothing to the groups (and a group never gets an amount)
        assert s.scalars(select(OutboxMessage)).all() == []

    # The ledger shows the parts: a column per source, the 合规自付, members, per capita.
    with town() as s:
        data = collect(s, Week.parse("2026-W48"), Scope(), SHANGHAI)
    zh = services.translations.get(None)
    book = openpyxl.load_workbook(io.BytesIO(to_bytes(build(data, zh, SHANGHAI))))
    sheet = book["第48周走访"]
    rows = list(sheet.iter_rows(values_only=True))
    line = dict(zip(rows[0], next(r for r in rows[1:] if "H3" in r), strict=True))
    assert (line["工资性收入（元）"], line["经营性净收入（元）"]) == (18000, 6000)
    assert (line["财产性收入（元）"], line["转移性收入（元）"]) == (0, 3600)
    assert (line["计入的家庭收入（元）"], line["扣除的合规自付（元）"]) == (27600, 5000)
    assert (line["家庭人口"], line["人均纯收入（元）"]) == (4, 5650)

    # 12 January 2027, nothing changed: the bill paid in November is within the 12 months
    # before, so the figure stays 5,650 (a calendar year's single figure would forget it).
    services.clock = lambda: at("2027-01-12T10:00")
    await run.text(checkin, B, "/checkin")
    january = await answer(
        run,
        "ci:a:visit_method:home",
        "4",
        "ci:a:income_changed:0",
        "否",
        *GUARANTEES_OK[:2],
        *GUARANTEES_OK[3:],
        *NO_NOTE_NO_PHOTO,
    )
    assert "收入变化：没有变化" in january.text and EXAMPLE in january.text
    saved = await answer(run, "ci:ok")
    assert "近12个月人均纯收入：5,650 元" in saved.text and "🟡" in saved.text


def test_the_roster_gives_all_four_sources_or_none_and_a_bad_file_changes_nothing(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "income.csv"
    bad = (
        "龙溪镇,青山村,H3,赵长生,,4,脱贫不稳定户,8400,乙,13800000002,24000,,0,3600\n"
        "龙溪镇,青山村,H1,王大山,,3,脱贫不稳定户,7000,甲,13800000001,很多,0,0,0\n"
    )
    path.write_text(HEADER + bad, encoding="utf-8")
    with town() as s, s.begin(), pytest.raises(RosterError) as refused:
        import_roster(s, [path], now=at("2026-11-02T08:00"), actor="test")
    reasons = [(e.row, e.reason, e.params) for e in refused.value.errors]
    assert reasons[0][0] == 2 and "all four" in reasons[0][1]
    assert reasons[0][2] == {"columns": "经营性净收入"}
    assert reasons[1][0] == 3 and reasons[1][2] == {"column": "工资性收入", "value": "很多"}
    with town() as s:
        assert s.scalars(select(IncomeStatement)).all() == []
    # English headers, and the same figures again: stated once, nothing audited twice
    english = HEADER.replace(
        "工资性收入,经营性净收入,财产性收入,转移性收入",
        "wage_income,business_income,property_income,transfer_income",
    )
    path.write_text(english + H3, encoding="utf-8")
    for _ in range(2):
        with town() as s, s.begin():
            import_roster(s, [path], now=at("2026-11-02T08:00"), actor="test")
    with town() as s:
        assert len(s.scalars(select(IncomeStatement)).all()) == 4
