"""A household's help team (帮扶小组, "1+4+1"): named in the roster by name or mobile number,
it may check in for the household besides its first helper, is reminded on the period's
last weekend, and the ledger says who visited."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.start import checkin, household_pressed
from conversations.engine.replies import Say
from monitoring.team import may_check_in, members_of, team_reminded
from monitoring.weeks import Week
from scheduler.jobs import reminders
from storage.models import AuditEntry, Household, OutboxMessage, Person
from storage.payloads import Reminder, parse
from storage.roster import import_roster
from storage.roster_format import RosterError
from storage.team import team_of
from tests.db.test_cadence import NOTHING_TO_WAKE, tx_of
from tests.flows.conftest import Runner
from tests.small_town import HEAD, SHANGHAI, STAFF, A, B, C, at

HEADER = (
    "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,"
    "帮扶责任人电话,帮扶小组\n"
)
ROWS = [
    "龙溪镇,青山村,H1,王大山,,3,脱贫不稳定户,7000,甲,13800000001,",
    "龙溪镇,青山村,H2,李春花,,2,边缘易致贫户,7000,甲,13800000001,",
    "龙溪镇,青山村,H3,赵长生,,4,脱贫不稳定户,7000,乙,13800000002,{team}",
    "龙溪镇,石桥村,H4,刘桂芳,,1,边缘易致贫户,7000,丙,13800000003,",
]


def roster(tmp_path: Path, team: str) -> Path:
    path = tmp_path / "team.csv"
    path.write_text(HEADER + "\n".join(ROWS).format(team=team) + "\n", encoding="utf-8")
    return path


def import_team(town: sessionmaker[Session], tmp_path: Path, team: str) -> None:
    with town() as s, s.begin():
        import_roster(s, [roster(tmp_path, team)], now=at("2026-11-20T08:00"), actor="test")


def team_names(town: sessionmaker[Session], number: str) -> set[str]:
    with town() as s:
        household = s.scalars(select(Household).where(Household.number == number)).one()
        ids = team_of(s, household.id)
        return set(s.scalars(select(Person.name).where(Person.id.in_(ids))))


def test_the_domain_rules() -> None:
    assert members_of(" 村长甲、13800000001，村长甲; 乙 ") == ["村长甲", "13800000001", "乙"]
    assert may_check_in(7, 7, ()) and may_check_in(8, 7, {8}) and not may_check_in(9, 7, {8})
    last = Week.parse("2026-W48")  # 23–29 November
    assert team_reminded(date(2026, 11, 28), last) and team_reminded(date(2026, 11, 29), last)
    assert not team_reminded(date(2026, 11, 26), last)  # Thursday: the helper only
    assert not team_reminded(date(2026, 11, 21), last)  # the week before


def test_the_roster_names_a_team_by_name_or_number_and_nothing_is_kept_twice(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    # the village head by name, helper 甲 by number, the first helper himself (ignored)
    import_team(town, tmp_path, "村长甲、13800000001、乙")
    assert team_names(town, "H3") == {"村长甲", "甲"}
    assert team_names(town, "H1") == set()  # an empty cell: no team
    import_team(town, tmp_path, "")  # an empty cell keeps the stored team
    assert team_names(town, "H3") == {"村长甲", "甲"}
    import_team(town, tmp_path, "无")  # 无 clears it
    assert team_names(town, "H3") == set()
    with town() as s:
        changes = s.scalars(
            select(AuditEntry.new_value)
            .where(AuditEntry.field == "team", AuditEntry.entity_key == "H3")
            .order_by(AuditEntry.id)
        ).all()
    assert changes == ["村长甲、甲", None]  # set, then cleared; the re-import changed nothing


@pytest.mark.parametrize(
    ("team", "problem"),
    [
        ("张三", "帮扶小组：龙溪镇花名册中没有名为 张三 的人员"),
        ("13912345678", "帮扶小组：花名册中没有手机号为 +861******5678 的人员"),
        ("1381234", "帮扶小组：138**** 不是大陆手机号"),
        ("、".join(f"人{i}" for i in range(9)), "帮扶小组超过 8 人"),
    ],
)
def test_a_team_member_who_is_not_in_the_roster_refuses_the_file_naming_the_row(
    town: sessionmaker[Session], tmp_path: Path, team: str, problem: str
) -> None:
    from bot.i18n import load_translations

    with pytest.raises(RosterError) as info, town() as s, s.begin():
        import_roster(s, [roster(tmp_path, team)], now=at("2026-11-20T08:00"), actor="test")
    t = load_translations("zh_CN").get(None)
    [error] = info.value.errors
    assert error.row == 4  # the header is row 1: H3 is row 4
    assert t._(error.reason).format(**error.params) == problem
    assert team_names(town, "H3") == set()  # nothing written


async def test_a_team_member_checks_in_and_others_may_not(
    run: Runner, town: sessionmaker[Session], tmp_path: Path
) -> None:
    import_team(town, tmp_path, "村长甲、13800000001")
    with town() as s:
        h3 = s.scalars(select(Household.id).where(Household.number == "H3")).one()
    # 甲 sees his own two and the team's H3; the village head sees H3 (one: it starts at once)
    [listing] = await run.text(checkin, A, "/checkin")
    assert isinstance(listing, Say)
    assert [row[0].label.split(" ", 1)[1] for row in listing.keyboard] == [
        "H1 王大山",
        "H2 李春花",
        "H3 赵长生",
    ]
    [first, *_] = await run.text(checkin, HEAD, "/checkin")
    assert "H3" in first.text and "走访方式" in first.text  # type: ignore[attr-defined]
    # 丙 is on no team of H3: the button is refused
    [refused] = await run.event(household_pressed, C, C, button=f"ci:hh:{h3}")
    assert "不是您负责的农户" in refused.text  # type: ignore[attr-defined]
    # a township staff member on no team is told so
    [none] = await run.text(checkin, STAFF, "/checkin")
    assert "帮扶小组" in none.text  # type: ignore[attr-defined]


async def test_the_team_is_reminded_on_the_last_weekend_only(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    import_team(town, tmp_path, "村长甲")
    tx = tx_of(town)
    await reminders(at("2026-11-26T09:00"), tx, NOTHING_TO_WAKE, tz=SHANGHAI)  # Thursday
    await reminders(at("2026-11-28T18:00"), tx, NOTHING_TO_WAKE, tz=SHANGHAI)  # Saturday
    with town() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder")).all()
        sent = {(r.key.split(":")[1], r.chat_id): r.payload for r in rows}
    thursday = {chat for day, chat in sent if day == "2026-11-26"}
    saturday = {chat for day, chat in sent if day == "2026-11-28"}
    assert thursday == {A, B, C}  # the first helpers only
    assert saturday == {A, B, C, HEAD}  # and the team, on the last weekend
    reminder = parse("reminder", sent[("2026-11-28", HEAD)])
    assert isinstance(reminder, Reminder)
    assert [number for _, number, _ in reminder.households] == ["H3"]


def test_a_team_member_may_be_a_helper_a_later_row_creates(
    town: sessionmaker[Session], tmp_path: Path
) -> None:
    """Found in review: the team was written row by row, so a new helper named on an earlier
    row's team was dropped without a word."""
    path = tmp_path / "later.csv"
    path.write_text(
        HEADER
        + "龙溪镇,青山村,H1,王大山,,3,脱贫不稳定户,7000,甲,13800000001,新人\n"
        + "龙溪镇,青山村,H9,钱多多,,2,边缘易致贫户,7000,新人,13800000099,\n",
        encoding="utf-8",
    )
    with town() as s, s.begin():
        import_roster(s, [path], now=at("2026-11-20T08:00"), actor="test")
    assert team_names(town, "H1") == {"新人"}
