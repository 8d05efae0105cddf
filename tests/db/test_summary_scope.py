"""/summary's numbers for several townships at once (a county): the same counts as its
townships' own summaries added up, nothing of a township outside it; and a past week's
numbers from each household's latest check-in up to that week."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.confirm import confirm_draft
from monitoring.cadence import Cadence, period_of
from monitoring.weeks import Week, week_of
from storage.checkins import CheckIns
from storage.drafts import Drafts
from storage.models import Household, Township
from storage.roster import import_roster
from storage.summary import WeekSummary, week_summary
from tests.small_town import SHANGHAI, at, green_checkin

FORTNIGHT = Cadence.FORTNIGHTLY
WEEK = Week(2026, 49)
NOW = at("2026-12-02T10:00")  # the Wednesday of WEEK


def _province(factory: sessionmaker[Session], tmp_path: Path) -> dict[str, int]:
    households = tmp_path / "households.csv"
    households.write_text(
        "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话\n"
        "龙溪镇,青山村,H1,王大山,,3,脱贫不稳定户,7000,甲,13800000001\n"
        "龙溪镇,石桥村,H2,李春花,,2,边缘易致贫户,7000,甲,13800000001\n"
        "临江镇,河口村,H3,赵长生,,4,脱贫不稳定户,7000,乙,13800000002\n"
        "临江镇,河口村,H4,刘桂芳,,1,边缘易致贫户,7000,乙,13800000002\n"
        "白云镇,山后村,H5,陈小梅,,2,脱贫不稳定户,7000,丙,13800000003\n",
        encoding="utf-8",
    )
    with factory() as s, s.begin():
        import_roster(s, [households], now=at("2026-11-01T08:00"), actor="test")
    with factory() as s:
        return {name: tid for tid, name in s.execute(select(Township.id, Township.name))}


def _summary(factory: sessionmaker[Session], **scope: object) -> WeekSummary:
    with factory() as s:
        return week_summary(s, WEEK, now=NOW, tz=SHANGHAI, **scope)  # type: ignore[arg-type]


def test_a_countys_summary_adds_up_its_townships_and_nothing_else(
    session_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    ids = _province(session_factory, tmp_path)
    monday = at("2026-11-30T10:00")
    green_checkin(session_factory, "H1", monday)
    green_checkin(session_factory, "H3", monday, food=False)  # red: a warning opens
    green_checkin(session_factory, "H5", monday, food=False)  # red, outside the county

    county = _summary(session_factory, townships=[ids["龙溪镇"], ids["临江镇"]])
    one = _summary(session_factory, township_id=ids["龙溪镇"])
    two = _summary(session_factory, township_id=ids["临江镇"])

    assert {v.name for v in county.villages} == {"青山村", "石桥村", "河口村"}
    assert (county.total.monitored, county.total.done, county.total.red) == (4, 2, 1)
    for key in ("monitored", "done", "missed", "red", "watch"):
        assert getattr(county.total, key) == getattr(one.total, key) + getattr(two.total, key)
    assert [r.number for r in county.open_red] == ["H3"]  # not 白云镇's H5
    assert county.uncovered == one.uncovered + two.uncovered == 1
    everything = _summary(session_factory)
    assert everything.total.monitored == 5 and everything.total.red == 2


def _income_checkin(
    factory: sessionmaker[Session], number: str, when: datetime, income: int
) -> None:
    """A check-in saying the household of 3 now expects `income` yuan a year."""
    with factory() as s, s.begin():
        household = s.scalars(select(Household).where(Household.number == number)).one()
        repo = CheckIns(s)
        helper_id = repo.helper_of(household.id)
        assert helper_id is not None
        draft = repo.start_draft(helper_id, household.id, week_of(when, SHANGHAI), now=when)
        answers = {**ANSWERS, "members": 3, "income_changed": True, "expected_income": income}
        Drafts(s).save(draft, now=when, answers=answers)
        s.flush()
        confirm_draft(s, draft, entered_by=helper_id, now=when)


ANSWERS: dict[str, object] = {
    "visit_method": "home",
    "rigid_expense": False,
    "food": True,
    "clothing": True,
    "school_child": False,
    "medical": True,
    "treatment": True,
    "housing": True,
    "water": True,
    "note": None,
    "photo": None,
}


def test_a_past_weeks_summary_reads_each_households_latest_checkin_up_to_that_week(
    town: sessionmaker[Session],
) -> None:
    """Visited and watch come from the latest check-in up to the week (one probe per
    household on PostgreSQL): a later check-in changes the later week only, and a visit in
    the first week of a fortnight counts for the whole fortnight."""
    _income_checkin(town, "H1", at("2026-11-24T10:00"), 16_000)  # 2026-W48: watch
    _income_checkin(town, "H1", at("2026-12-01T10:00"), 60_000)  # 2026-W49: green
    green_checkin(town, "H2", at("2026-11-17T10:00"))  # 2026-W47 only
    now = at("2026-12-02T10:00")
    with town() as s:
        w48 = week_summary(s, Week(2026, 48), now=now, tz=SHANGHAI)
        w49 = week_summary(s, Week(2026, 49), now=now, tz=SHANGHAI)
        # 2026-W47 and W48 make one fortnight (the epoch's pairs): H2 counts in W48 too
        fortnight = week_summary(s, Week(2026, 48), now=now, tz=SHANGHAI, cadence=FORTNIGHT)
    assert (w48.total.done, w48.total.watch) == (1, 1)
    assert (w49.total.done, w49.total.watch) == (1, 0)
    assert period_of(Week(2026, 48), FORTNIGHT) == (Week(2026, 47), Week(2026, 48))
    assert fortnight.total.done == 2
