"""DingTalk's string ids get integers of their own, outside Telegram's range: stable, per
kind (a group's negative, as Telegram's groups are), read back; and each platform's outbox
worker takes only its own chats, so one database can serve both."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session, sessionmaker

from storage.outbox import Outbox
from storage.platform_ids import TELEGRAM_LIMIT, Kind, Platform, PlatformIds

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_ids_are_stable_per_kind_and_outside_telegrams_range(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        ids = PlatformIds(s)
        assert ids.known(Kind.USER, "manager4220") is None
        person = ids.number(Kind.USER, "manager4220", now=NOW)
        group = ids.number(Kind.GROUP, "cidABC==", now=NOW)
        card = ids.number(Kind.MESSAGE, "ffp-card-1", now=NOW)
        same_text_other_kind = ids.number(Kind.GROUP, "manager4220", now=NOW)
    assert person >= TELEGRAM_LIMIT and card >= TELEGRAM_LIMIT and group <= -TELEGRAM_LIMIT
    assert len({person, group, card, same_text_other_kind}) == 4
    assert {Platform.of(n) for n in (person, group, card)} == {Platform.DINGTALK}
    assert (
        Platform.of(2**52) is Platform.TELEGRAM and Platform.of(-1001234567890) is Platform.TELEGRAM
    )
    with session_factory() as s, s.begin():
        ids = PlatformIds(s)
        assert ids.number(Kind.USER, "manager4220", now=NOW) == person  # the same, every time
        assert ids.known(Kind.GROUP, "cidABC==") == group
        assert ids.external(person) == (Kind.USER, "manager4220")
        assert ids.external(group) == (Kind.GROUP, "cidABC==")
        assert ids.external(12345) is None  # a Telegram id


def test_each_platforms_outbox_worker_takes_only_its_chats(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        dingtalk_user = PlatformIds(s).number(Kind.USER, "u1", now=NOW)
        outbox = Outbox(s)
        outbox.enqueue(key="a", kind="notice", chat_id=501, now=NOW, payload={"text": "x"})
        outbox.enqueue(
            key="b", kind="notice", chat_id=dingtalk_user, now=NOW, payload={"text": "x"}
        )
        outbox.enqueue(
            key="c", kind="notice", chat_id=-1001234567890, now=NOW, payload={"text": "x"}
        )
    with session_factory() as s:
        outbox = Outbox(s)
        stale = timedelta(minutes=2)
        telegram = outbox.due(NOW, stale_after=stale, platform=Platform.TELEGRAM)
        dingtalk = outbox.due(NOW, stale_after=stale, platform=Platform.DINGTALK)
        both = outbox.due(NOW, stale_after=stale)
    assert [chat for _, chat in telegram] == [501, -1001234567890]
    assert [chat for _, chat in dingtalk] == [dingtalk_user]
    assert len(both) == 3


def test_two_transactions_asking_for_the_same_new_id_get_the_same_one(
    session_factory: sessionmaker[Session],
) -> None:
    """A card's press while the outbox records that card: both want the card's integer at
    once; the second waits for the first and gets the same number (no unique violation)."""
    import threading

    first = session_factory()
    first.begin()
    mine = PlatformIds(first).number(Kind.MESSAGE, "ffp-card-race", now=NOW)  # not committed
    theirs: list[int] = []

    def other() -> None:
        with session_factory() as s, s.begin():
            theirs.append(PlatformIds(s).number(Kind.MESSAGE, "ffp-card-race", now=NOW))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join(0.5)  # it waits for the first transaction
    first.commit()
    first.close()
    thread.join(10)
    assert theirs == [mine]


def test_the_months_api_calls_add_up_and_the_summary_warns_near_the_quota(
    session_factory: sessionmaker[Session],
) -> None:
    from bot.i18n import load_translations
    from conversations.reports.summary import quota_text
    from storage.api_usage import ApiUsages

    with session_factory() as s, s.begin():
        usage = ApiUsages(s)
        usage.add("dingtalk", "2026-12", 17)
        usage.add("dingtalk", "2026-12", 25)
        usage.add("dingtalk", "2026-11", 3)
        usage.add("dingtalk", "2026-12", 0)
    with session_factory() as s:
        assert ApiUsages(s).of("dingtalk", "2026-12") == 42
        assert ApiUsages(s).of("dingtalk", "2027-01") == 0
    t = load_translations("zh_CN").get()
    assert quota_text(42, t) == "本月钉钉接口调用 42 次（标准版每月 5,000 次）。"
    assert not quota_text(3_999, t).startswith("⚠️")
    near = quota_text(4_000, t)  # 80 % of the standard plan's 5,000 since 2025-11-19
    assert near.startswith("⚠️ 本月钉钉接口调用 4,000 次") and "升级" in near


def test_each_identitys_calls_count_against_its_own_quota(
    session_factory: sessionmaker[Session],
) -> None:
    """Two DingTalk apps (two counties) on one database: each its organisation's quota."""
    from storage.api_usage import ApiUsages
    from storage.db import make_session_factory
    from storage.identities import Serving

    bind = session_factory.kw["bind"]
    county_a = make_session_factory(bind, Serving("county-a").info())
    county_b = make_session_factory(bind, Serving("county-b").info())
    for factory, calls in ((county_a, 100), (county_b, 7), (county_a, 1)):
        with factory() as s, s.begin():
            ApiUsages(s).add("dingtalk", "2026-12", calls)
    with county_b() as s, s.begin():
        ApiUsages(s).exhausted("dingtalk", "2026-12", NOW)
    with county_a() as s:
        assert ApiUsages(s).of("dingtalk", "2026-12") == 101
        assert ApiUsages(s).exhausted_since("dingtalk", "2026-12") is None
    with county_b() as s:
        assert ApiUsages(s).of("dingtalk", "2026-12") == 7
        assert ApiUsages(s).exhausted_since("dingtalk", "2026-12") == NOW
    with session_factory() as s:  # the single bot of an upgraded database: `default`
        assert ApiUsages(s).of("dingtalk", "2026-12") == 0


def test_a_card_keeps_the_chat_it_went_to_and_its_buttons(
    session_factory: sessionmaker[Session],
) -> None:
    with session_factory() as s, s.begin():
        ids = PlatformIds(s)
        group = ids.number(Kind.GROUP, "cidABC==", now=NOW)
        card = ids.card("ffp-card-2", chat_id=group, buttons={"al"}, now=NOW)
        older = ids.number(Kind.MESSAGE, "ffp-card-0", now=NOW)  # sent before 0018
    with session_factory() as s, s.begin():
        ids = PlatformIds(s)
        found = ids.card_of("ffp-card-2")
        assert found is not None and found.number == card
        assert (found.chat_id, found.buttons) == (group, frozenset({"al"}))
        assert ids.card_of("ffp-card-0") is None and ids.card_of("ffp-nowhere") is None
        ids.set_buttons(card, set())
        ids.set_buttons(older, {"ci"})  # no owner recorded: nothing to change
    with session_factory() as s:
        ids = PlatformIds(s)
        found = ids.card_of("ffp-card-2")
        assert found is not None and found.buttons == frozenset()
        assert ids.card_of("ffp-card-0") is None
