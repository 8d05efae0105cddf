"""Bot identities on one database (issue 32): the township claims, who a process resolves and
links, whose outbox rows a worker takes, whose jobs run where. In process, on SQLite and
PostgreSQL (the end-to-end run with three real processes is tests/e2e/test_identities.py)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.i18n import load_translations
from bot.identity import IdentityRefused, claim
from bot.settings import Settings, load_settings
from conversations.checkin.start import checkin
from conversations.engine.replies import Say
from conversations.engine.services import Services
from conversations.people.registration import contact
from scheduler.jobs import reminders
from storage.bindings import Bindings
from storage.db import make_session_factory
from storage.identities import Identities, Serving
from storage.models import OutboxMessage, Person, Township
from storage.models_runs import JobRun
from storage.outbox import Outbox
from storage.repositories import People
from storage.roster import import_roster
from storage.updates import Updates
from tests.flows.conftest import SHANGHAI, Runner
from tests.small_town import at

# Two counties' townships: 甲镇 and 乙镇 are county A's bot's, 丙镇 county B's.
HOUSEHOLDS = (
    "乡镇,村,户编号,户主姓名,身份证号,家庭人口,监测类型,上年人均纯收入,帮扶责任人,帮扶责任人电话\n"
    "甲镇,一村,J1,王一,,3,脱贫不稳定户,7000,甲帮扶,13800000011\n"
    "乙镇,二村,Y1,李二,,3,脱贫不稳定户,7000,乙帮扶,13800000012\n"
    "丙镇,三村,B1,赵三,,3,脱贫不稳定户,7000,丙帮扶,13800000013\n"
)
STAFF = "姓名,电话,角色,乡镇,村\n丙镇干部,18700000013,乡镇干部,丙镇,\n"
HELPERS = {"甲镇": 13800000011, "乙镇": 13800000012, "丙镇": 13800000013}
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=UTC)


def settings(identity: str, townships: str, platform: str = "telegram") -> Settings:
    return load_settings(identity=identity, townships=townships, platform=platform, _env_file=None)


@pytest.fixture
def counties(session_factory: sessionmaker[Session], tmp_path: Path) -> dict[str, int]:
    (tmp_path / "households.csv").write_text(HOUSEHOLDS, encoding="utf-8")
    (tmp_path / "staff.csv").write_text(STAFF, encoding="utf-8")
    with session_factory() as s, s.begin():
        import_roster(
            s, [tmp_path / "households.csv", tmp_path / "staff.csv"], now=NOW, actor="test"
        )
        return {name: tid for tid, name in s.execute(select(Township.id, Township.name))}


def services_of(db: Engine, serving: Serving) -> Services:
    return Services(
        session_factory=make_session_factory(db, serving.info()),
        translations=load_translations("zh_CN"),
        tz=SHANGHAI,
        clock=lambda: NOW,
        serving=serving,
    )


def link(db: Engine, serving: Serving, phone: int, user_id: int) -> None:
    with make_session_factory(db, serving.info())() as s, s.begin():
        person = People(s).by_phone(f"+86{phone}")
        assert person is not None
        People(s).link_account(person, user_id, now=NOW, actor="test")


# ------------------------------------------------------------------------------- claims


def test_a_township_is_claimed_by_one_identity(db: Engine, counties: dict[str, int]) -> None:
    a = claim(settings("county-a", "甲镇,乙镇"), db, NOW)
    assert a == Serving("county-a", frozenset({counties["甲镇"], counties["乙镇"]}))
    claim(settings("county-b", "丙镇", "dingtalk"), db, NOW)
    with pytest.raises(IdentityRefused) as refused:
        claim(settings("county-c", "丙镇，甲镇"), db, NOW)  # full-width comma too
    assert refused.value.params == {"me": "county-c", "township": "甲镇", "other": "county-a"}
    with pytest.raises(IdentityRefused) as every:  # every township: none is free
        claim(settings("county-c", ""), db, NOW)
    assert every.value.params["other"] == "county-a"
    with pytest.raises(IdentityRefused) as unknown:
        claim(settings("county-c", "丁镇"), db, NOW)
    assert unknown.value.params == {"name": "丁镇"}
    # the same name may change its own list: county A gives up 乙镇, and county C takes it
    claim(settings("county-a", "甲镇"), db, NOW)
    claim(settings("county-c", "乙镇"), db, NOW)
    with Session(db) as s:
        listing = Identities(s).listing()
        served = Identities(s).serving(counties["丙镇"])
    assert listing == [
        ("county-a", "telegram", None, ["甲镇"]),
        ("county-b", "dingtalk", None, ["丙镇"]),
        ("county-c", "telegram", None, ["乙镇"]),
    ]
    assert served is not None and served.identity == "county-b"


def test_every_township_leaves_none_to_another_until_released(
    db: Engine, counties: dict[str, int]
) -> None:
    claim(settings("default", ""), db, NOW)  # today's single bot
    with pytest.raises(IdentityRefused):
        claim(settings("county-b", "丙镇"), db, NOW)
    with Session(db) as s:  # the refused claim recorded nothing
        assert [c.identity for c in Identities(s).claims()] == ["default"]
    claim(settings("default", "甲镇,乙镇"), db, NOW)  # restarted with its townships
    claim(settings("county-b", "丙镇"), db, NOW)
    with Session(db) as s, s.begin():
        assert Identities(s).release("default")
    claim(settings("county-a", "甲镇"), db, NOW)


def test_an_identity_name_is_checked() -> None:
    from bot.settings import SettingsError

    with pytest.raises(SettingsError, match="FANGFANPIN_IDENTITY"):
        load_settings(identity="县 A", _env_file=None)


# ------------------------------------------------------------------- people and the outbox


async def test_a_person_of_another_identitys_township_is_told_which_bot_and_not_linked(
    db: Engine, counties: dict[str, int]
) -> None:
    claim(settings("county-a", "甲镇,乙镇"), db, NOW)
    claim(settings("county-b", "丙镇"), db, NOW)
    with Session(db) as s, s.begin():
        Identities(s).set_handle("county-b", "@county_b_bot")
    a = Serving("county-a", frozenset({counties["甲镇"], counties["乙镇"]}))
    run = Runner(services_of(db, a))
    replies = await run.contact(contact, 7013, "+86" + str(HELPERS["丙镇"]), 7013)
    assert len(replies) == 1 and isinstance(replies[0], Say)
    assert "@county_b_bot" in replies[0].text and "赵三" not in replies[0].text
    assert "丙帮扶" not in replies[0].text  # not even their name
    with Session(db) as s:
        person = People(s).by_phone("+86" + str(HELPERS["丙镇"]))
        assert person is not None and person.platform_user_id is None
    # the same contact at county B's bot links them there
    b = Serving("county-b", frozenset({counties["丙镇"]}))
    replies = await Runner(services_of(db, b)).contact(
        contact, 7013, "+86" + str(HELPERS["丙镇"]), 7013
    )
    assert "丙帮扶" in replies[0].text  # type: ignore[union-attr]
    with Session(db) as s:
        person = People(s).by_phone("+86" + str(HELPERS["丙镇"]))
        assert person is not None and person.identity == "county-b"
    # ... and county A's bot does not know them ( /checkin: not registered here)
    [not_here] = await run.text(checkin, 7013, "/checkin")
    assert isinstance(not_here, Say) and "/start" in not_here.text and "赵三" not in not_here.text


def test_each_row_belongs_to_the_bot_that_reaches_its_chat_and_a_worker_takes_only_its_own(
    db: Engine, counties: dict[str, int]
) -> None:
    a = Serving("county-a", frozenset({counties["甲镇"], counties["乙镇"]}))
    b = Serving("county-b", frozenset({counties["丙镇"]}))
    link(db, a, HELPERS["甲镇"], 7011)
    link(db, b, HELPERS["丙镇"], 7013)
    with make_session_factory(db, b.info())() as s, s.begin():
        staff = People(s).by_phone("+8618700000013")
        assert staff is not None
        Bindings(s).bind(
            chat_id=-7000, title="丙镇群", township_id=counties["丙镇"], village_id=None,
            by=staff, now=NOW,
        )  # fmt: skip
    # queued from a session of neither (the CLI's `jobs run`): each row by its chat
    with Session(db) as s, s.begin():
        outbox = Outbox(s)
        for key, chat in (("a", 7011), ("b", 7013), ("g", -7000)):
            outbox.enqueue(key=key, kind="notice", chat_id=chat, now=NOW, payload={"text": "x"})
        outbox.enqueue_many(
            [{"key": "many-a", "kind": "notice", "chat_id": 7011, "payload": {"text": "x"}}],
            now=NOW,
        )
    with Session(db) as s:
        rows = {r.key: r.identity for r in s.scalars(select(OutboxMessage))}
        assert rows == {"a": "county-a", "b": "county-b", "g": "county-b", "many-a": "county-a"}
        stale = NOW - NOW  # a zero timedelta
        due_a = Outbox(s).due(NOW, stale_after=stale, identity="county-a")
        due_b = Outbox(s).due(NOW, stale_after=stale, identity="county-b")
    assert sorted(chat for _, chat in due_a) == [7011, 7011]
    assert sorted(chat for _, chat in due_b) == [-7000, 7013]
    # a group binding is its bot's: the other bot's sessions do not see it (nor break it)
    with make_session_factory(db, a.info())() as s:
        assert Bindings(s).of_chat(-7000) is None
    with make_session_factory(db, b.info())() as s:
        assert Bindings(s).of_chat(-7000) is not None


def test_two_bots_number_their_updates_each_their_own(db: Engine) -> None:
    for identity in ("county-a", "county-b"):
        with make_session_factory(db, Serving(identity).info())() as s, s.begin():
            assert not Updates(s).was_handled(1000)
            Updates(s).record(1000, now=NOW)
    with make_session_factory(db, Serving("county-c").info())() as s:
        assert not Updates(s).was_handled(1000)


async def test_each_identity_runs_its_jobs_for_its_own_townships(
    db: Engine, counties: dict[str, int]
) -> None:
    from bot.schedule import JobScheduler, WakeSender, job_specs

    a = Serving("county-a", frozenset({counties["甲镇"], counties["乙镇"]}))
    b = Serving("county-b", frozenset({counties["丙镇"]}))
    for serving, township in ((a, "甲镇"), (a, "乙镇"), (b, "丙镇")):
        link(db, serving, HELPERS[township], 7000 + HELPERS[township] % 100)
    monday = at("2026-11-30T09:00")
    spec = job_specs(load_settings(_env_file=None))
    for serving in (a, b):
        services = services_of(db, serving)
        jobs = JobScheduler(spec, services.tx, WakeSender(lambda: None), SHANGHAI, lambda: monday)
        assert await jobs.run("reminders", monday)
        assert not await jobs.run("reminders", monday)  # once per identity and time
    with Session(db) as s:
        runs = sorted(s.scalars(select(JobRun.identity).where(JobRun.job == "reminders")))
        sent = {
            (r.identity, r.chat_id)
            for r in s.scalars(select(OutboxMessage).where(OutboxMessage.kind == "reminder"))
        }
        linked = {p.phone: p.identity for p in s.scalars(select(Person)) if p.identity}
    assert runs == ["county-a", "county-b"]
    assert sent == {("county-a", 7011), ("county-a", 7012), ("county-b", 7013)}
    assert set(linked.values()) == {"county-a", "county-b"}
    # a job's scope is the session's: county B's run alone queues only 丙镇's helper
    services = services_of(db, b)
    with Session(db) as s, s.begin():
        for row in s.scalars(select(OutboxMessage)):
            s.delete(row)
    assert await reminders(monday, services.tx, WakeSender(lambda: None), tz=SHANGHAI) == 1


# --------------------------------------------------------------------------------- the CLI


def test_the_cli_lists_releases_and_runs_jobs_for_an_identitys_townships(
    env_database: str,
    db: Engine,
    counties: dict[str, int],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from bot.cli import main

    monkeypatch.delenv("FANGFANPIN_TELEGRAM_TOKEN", raising=False)
    claim(settings("county-a", "甲镇,乙镇"), db, NOW)
    claim(settings("county-b", "丙镇", "dingtalk"), db, NOW)
    assert main(["identities"]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "county-a\ttelegram\t-\t乙镇、甲镇",
        "county-b\tdingtalk\t-\t丙镇",
    ]
    a = Serving("county-a", frozenset({counties["甲镇"], counties["乙镇"]}))
    b = Serving("county-b", frozenset({counties["丙镇"]}))
    link(db, a, HELPERS["甲镇"], 7011)
    link(db, b, HELPERS["丙镇"], 7013)
    # county B's env: its township's helper only (its token unset: its bot sends it)
    monkeypatch.setenv("FANGFANPIN_IDENTITY", "county-b")
    monkeypatch.setenv("FANGFANPIN_TOWNSHIPS", "丙镇")
    assert main(["jobs", "run", "reminders", "--at", "2026-11-30T09:00"]) == 0
    with Session(db) as s:
        queued = [(r.identity, r.chat_id) for r in s.scalars(select(OutboxMessage))]
    assert queued == [("county-b", 7013)]
    monkeypatch.setenv("FANGFANPIN_TOWNSHIPS", "丁镇")  # a typo: one line, nothing run
    assert main(["jobs", "run", "reminders", "--at", "2026-11-30T09:00"]) == 2
    assert "丁镇" in capsys.readouterr().err
    monkeypatch.delenv("FANGFANPIN_IDENTITY")
    monkeypatch.delenv("FANGFANPIN_TOWNSHIPS")
    assert main(["jobs", "run", "reminders", "--at", "2026-11-30T09:00"]) == 0  # every one
    with Session(db) as s:
        queued = sorted((r.identity, r.chat_id) for r in s.scalars(select(OutboxMessage)))
    assert queued == [("county-a", 7011), ("county-b", 7013)]
    assert main(["identities", "release", "county-a"]) == 0
    assert "county-a" in capsys.readouterr().out
    assert main(["identities", "release", "county-a"]) == 2
    assert main(["identities"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "county-b\tdingtalk\t-\t丙镇"
