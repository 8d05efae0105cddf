"""Household members at a visit (issue 31 part 2, second half): a household whose members are
recorded is asked about their changes instead of a count (one tap for 没有变化); a birth and a
departure recorded at a visit change the members, the per-capita divisor and the audit, and
the national system's list says them in words; the schooling guarantee follows the members'
birth dates; /history shows the members briefly, the ID numbers masked. A household without
members sees no new step, and is asked about a school-age child again from 1 September."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from conversations.checkin.start import checkin
from conversations.engine.replies import Edit, Say
from conversations.engine.services import Services
from conversations.reports.history import history
from storage.models import AuditEntry, CheckIn, Household
from storage.models_members import Member
from storage.roster import import_roster
from tests.flows.conftest import Runner
from tests.flows.test_national import screen
from tests.small_town import STAFF, B, at

MEMBERS = (
    "户编号,姓名,与户主关系,身份证号,劳动能力,健康状况,在校情况,参保情况\n"
    "H3,赵长生,户主,110105198001010016,普通劳动力,健康,,已参加城乡居民医保\n"
    "H3,钱秀兰,配偶,110105198202020026,普通劳动力,长期慢性病,,已参加城乡居民医保\n"
    "H3,赵小明,之子,11010520180303003X,无劳动力,健康,小学,已参加城乡居民医保\n"
)
NO_NOTE_NO_PHOTO = ("ci:a:note:skip", "ci:a:photo:skip")


def with_members(town: sessionmaker[Session], tmp_path: Path) -> None:
    path = tmp_path / "members.csv"
    path.write_text(MEMBERS, encoding="utf-8")
    with town() as s, s.begin():
        import_roster(s, [path], now=at("2026-11-02T08:00"), actor="roster:members.csv")


def member_id(town: sessionmaker[Session], name: str) -> int:
    with town() as s:
        return s.scalars(select(Member.id).where(Member.name == name)).one()


async def answer(run: Runner, user: int, *steps: str) -> Say | Edit:
    """Each step a button's data (`ci:…`) pressed, or a text typed; what the last showed."""
    shown: Say | Edit | None = None
    for step in steps:
        if step.startswith("ci:"):
            replies = await run.answer(user, button=step, message_text="…")
        else:
            replies = await run.answer(user, text=step)
        shown = ([r for r in replies if isinstance(r, Say)] or replies)[0]  # type: ignore[assignment]
    assert shown is not None
    return shown


def labels(shown: Say | Edit) -> list[str]:
    return [b.label for row in shown.keyboard for b in row]


async def test_a_visit_records_a_birth_and_a_departure(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    with_members(town, tmp_path)
    services.clock = lambda: at("2026-11-24T10:00")
    await run.text(checkin, B, "/checkin")
    # the members' changes instead of the count: one tap for no change
    asked = await answer(run, B, "ci:a:visit_method:home")
    assert "共同生活的：赵长生、钱秀兰、赵小明" in asked.text and "几口人" not in asked.text
    assert labels(asked) == ["有变化", "没有变化"]
    what = await answer(run, B, "ci:a:member_changed:1")
    assert labels(what) == ["新出生", "去世", "外出/迁出"]  # no one away: no return
    name = await answer(run, B, "ci:a:member_change:born")
    assert "新生儿姓名" in name.text
    relation = await answer(run, B, "赵小宝")
    assert "之子" in labels(relation) and "之外孙女" in labels(relation)
    born = await answer(run, B, "ci:a:member_relation:son")
    assert "出生日期" in born.text
    # bad dates change nothing: asked again with why
    assert "晚于本次走访" in (await answer(run, B, "2026-12-01")).text
    assert "超过一年" in (await answer(run, B, "2024-10-03")).text
    assert "请输入出生日期" in (await answer(run, B, "十月三日")).text
    more = await answer(run, B, "2026年10月3日")
    assert "还有其他变化" in more.text
    second = await answer(run, B, "ci:a:member_more:1")
    assert "第 2 项变化" in second.text
    who = await answer(run, B, "ci:a:member_change:left")
    # the newborn is not offered yet (recorded at confirm); the members are, by name
    assert labels(who) == ["赵长生（户主）", "钱秀兰（配偶）", "赵小明（之子）"]
    leaving = member_id(town, "赵长生")
    again = await answer(run, B, f"ci:a:member_left:{leaving}")
    assert "还有其他变化" in again.text
    income = await answer(run, B, "ci:a:member_more:0")
    assert "收入" in income.text
    # 赵小明 is 8 on 31 August 2026: the schooling guarantee is asked, not whether there
    # is a school-age child
    asked_school = await answer(run, B, "ci:a:income_changed:0", "否", "是", "是")
    assert "失学辍学" in asked_school.text
    summary = await answer(run, B, "否", "是", "是", "是", "是", *NO_NOTE_NO_PHOTO)
    assert (
        "成员变化：新出生 赵小宝（之子）、外出/迁出 赵长生（户主）；共同生活 3 人" in summary.text
    )
    assert "义务教育阶段适龄儿童：有（按成员出生日期）" in summary.text
    # the edit list offers the members' changes, not the count nor the school-age child
    edits = await answer(run, B, "ci:edit")
    assert "成员变化" in labels(edits) and "共同生活人口" not in labels(edits)
    assert all("适龄" not in label for label in labels(edits))
    await answer(run, B, "ci:sum")
    saved = await answer(run, B, "ci:ok")
    assert "已保存" in saved.text

    with town() as s:
        household = s.scalars(select(Household).where(Household.number == "H3")).one()
        assert household.members == 3  # 赵长生 left, 赵小宝 was born: the divisor follows
        row = s.scalars(select(CheckIn).where(CheckIn.household_id == household.id)).one()
        assert row.members == 3 and row.income["members"] == 3
        assert row.education_ok is True
        members = s.scalars(
            select(Member).where(Member.household_id == household.id).order_by(Member.id)
        ).all()
        assert [(m.name, m.relation, m.presence) for m in members] == [
            ("赵长生", "户主", "away"),
            ("钱秀兰", "配偶", "living"),
            ("赵小明", "之子", "living"),
            ("赵小宝", "之子", "living"),
        ]
        assert str(members[3].born_on) == "2026-10-03" and members[3].id_number is None
        audited = s.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_key == "H3", AuditEntry.action == "member")
            .order_by(AuditEntry.id)
        ).all()
        assert [(a.field, a.old_value, a.new_value) for a in audited] == [
            ("born", None, f"#{members[3].id} 赵小宝 之子 2026-10-03"),
            ("left", "living", f"#{leaving} 赵长生 户主"),
        ]
        assert all(a.actor == audited[0].actor.split()[0] for a in audited)
        assert audited[0].actor.startswith("person:")  # recorded through the bot

    # the national system's list: each change in words, under 家庭成员
    shown = await screen(run, STAFF)
    assert "【家庭成员】" in shown.text
    assert "新增成员（出生）：赵小宝（之子），2026年10月3日出生；身份证号待补录" in shown.text
    assert "成员外出/迁出：赵长生（户主）" in shown.text
    assert "家庭人口：3 → 3" not in shown.text  # the roster said 3 living before

    # /history: the members briefly, ID numbers masked, the one away last
    [told] = await run.text(history, B, "/history H3")
    assert isinstance(told, Say)
    assert "家庭成员（共同生活 3 人）：" in told.text
    assert "赵小明（之子），8岁，无劳动力，健康，小学，身份证 **************003X" in told.text
    assert "赵小宝（之子），不满1岁，身份证号待补录" in told.text
    assert "赵长生（户主），46岁" in told.text and "不在户内共同生活" in told.text
    assert "110105198001010016" not in told.text
    assert told.text.index("赵小宝") < told.text.index("赵长生（户主）")


async def test_the_last_member_living_in_the_household_can_not_leave(
    run: Runner, services: Services, town: sessionmaker[Session], tmp_path: Path
) -> None:
    path = tmp_path / "members.csv"
    path.write_text(MEMBERS.splitlines()[0] + "\n" + MEMBERS.splitlines()[1] + "\n", "utf-8")
    with town() as s, s.begin():
        import_roster(s, [path], now=at("2026-11-02T08:00"), actor="roster:members.csv")
    services.clock = lambda: at("2026-11-24T10:00")
    await run.text(checkin, B, "/checkin")
    await answer(run, B, "ci:a:visit_method:home", "ci:a:member_changed:1")
    who = await answer(run, B, "ci:a:member_change:died")
    refused = await answer(run, B, f"ci:a:member_died:{member_id(town, '赵长生')}")
    assert "自然消除" in refused.text
    assert labels(refused) == labels(who)  # asked again; nothing recorded
    await answer(run, B, "ci:a:member_change:born")  # not the question asked: nothing
    with town() as s:
        assert s.scalars(select(Member.presence)).all() == ["living"]


async def test_a_household_without_members_is_asked_about_a_school_age_child_each_september(
    run: Runner, services: Services, town: sessionmaker[Session]
) -> None:
    async def after_clothing(when: str, *, confirm: str | None = None) -> str:
        """A visit of H3 (no members recorded: the count is asked as before); what is asked
        after clothing. With `confirm`, answered to the end and saved."""
        services.clock = lambda: at(when)
        await run.text(checkin, B, "/checkin")
        count = await answer(run, B, "ci:a:visit_method:home")
        assert "几口人" in count.text  # no new step
        asked = await answer(run, B, "4", "ci:a:income_changed:0", "否", "是", "是")
        if confirm is not None:
            rest = ("否",) if "义务教育" in asked.text else ()
            await answer(run, B, *rest, "是", "是", "是", "是", *NO_NOTE_NO_PHOTO, "ci:ok")
        return asked.text

    first = await after_clothing("2026-11-24T10:00", confirm="yes")
    assert "家里有义务教育阶段（约 6 到 15 岁）的孩子吗" in first  # never asked: asked
    with town() as s:
        h3 = s.scalars(select(Household).where(Household.number == "H3")).one()
        assert (h3.has_school_child, str(h3.school_child_asked_on)) == (False, "2026-11-24")
    # in the same school year: not asked again (up to 31 August)
    assert "基本医疗保险" in await after_clothing("2027-08-31T10:00", confirm="yes")
    # the first visit on or after 1 September: asked again, and then not again that year
    assert "义务教育阶段" in await after_clothing("2027-09-01T10:00", confirm="yes")
    assert "基本医疗保险" in await after_clothing("2027-09-08T10:00", confirm="yes")
