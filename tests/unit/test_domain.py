"""Pure domain helpers: weeks, phones, ID numbers, masking, roles and categories."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.idcard import check_character, normalize_id_number
from monitoring.people import (
    Category,
    Role,
    mask_id_number,
    mask_name,
    parse_category,
    parse_role,
)
from monitoring.phones import InvalidPhone, mask_phone, normalize_mobile
from monitoring.weeks import Week, week_of

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_week_is_seen_in_the_township_time_zone() -> None:
    # Sunday 2026-11-29 17:00 UTC is already Monday 01:00 in Shanghai: the next week.
    now = datetime(2026, 11, 29, 17, 0, tzinfo=UTC)
    assert week_of(now, SHANGHAI) == Week(2026, 49)
    assert week_of(now, ZoneInfo("UTC")) == Week(2026, 48)
    assert str(Week(2026, 49)) == "2026-W49"
    assert Week(2026, 49).monday == date(2026, 11, 30)
    assert Week(2026, 49).starts_at(SHANGHAI) == datetime(2026, 11, 30, tzinfo=SHANGHAI)


def test_week_parse_and_year_boundaries() -> None:
    assert Week.parse("2026-W01") == Week(2026, 1)
    assert Week.parse("2026w9") == Week(2026, 9)
    assert Week(2026, 53).next() == Week(2027, 1)  # 2026 has 53 ISO weeks
    assert Week(2027, 1).previous() == Week(2026, 53)
    for bad in ("2026-W54", "2025-W53", "week 3", ""):
        with pytest.raises(ValueError):
            Week.parse(bad)
    with pytest.raises(ValueError):
        week_of(datetime(2026, 1, 1), SHANGHAI)  # naive


@given(
    st.datetimes(
        min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(UTC)
    )
)
def test_every_moment_lies_inside_its_week(now: datetime) -> None:
    week = week_of(now, SHANGHAI)
    assert week.starts_at(SHANGHAI) <= now < week.ends_at(SHANGHAI)
    assert week.ends_at(SHANGHAI) - week.starts_at(SHANGHAI) == timedelta(days=7)
    assert Week.parse(str(week)) == week


@pytest.mark.parametrize(
    "raw",
    [
        "13800138000",
        "+8613800138000",
        "8613800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138-0013-8000",
        "(+86) 13800138000",
    ],
)
def test_mobile_numbers_normalise_to_e164(raw: str) -> None:
    assert normalize_mobile(raw) == "+8613800138000"


@pytest.mark.parametrize(
    "raw", ["", "12345", "010-12345678", "+14155552671", "1380013800", "abc", "+85291234567"]
)
def test_non_mainland_mobile_numbers_are_refused(raw: str) -> None:
    with pytest.raises(InvalidPhone):
        normalize_mobile(raw)


def test_masks_hide_what_groups_must_not_see() -> None:
    assert mask_phone("+8613812345678") == "138****5678"
    assert mask_name("张三丰") == "张**"
    assert mask_name("欧") == "欧"
    assert mask_name("Zhangsan") == "Z*******"
    assert mask_name("  Zhang   San ") == "Z********"
    assert mask_name("阿依古丽·买买提") == "阿" + "*" * 7
    assert mask_id_number("500118197511021743") == "**************1743"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id_numbers_with_their_check_character_are_valid(first17: str) -> None:
    full = first17 + check_character(first17)
    assert normalize_id_number(full.lower()) == full
    wrong = first17 + ("0" if full[-1] != "0" else "1")
    with pytest.raises(ValueError):
        normalize_id_number(wrong)


def test_roster_words_for_roles_and_categories() -> None:
    assert parse_role("村干部") is Role.VILLAGE_HEAD
    assert parse_role(" Township_Staff ") is Role.TOWNSHIP_STAFF
    assert parse_category("边缘易致贫户") is Category.MARGINAL
    assert parse_category("突发严重困难户") is Category.SUDDEN_HARDSHIP
    with pytest.raises(ValueError):
        parse_role("会计")
    with pytest.raises(ValueError):
        parse_category("poor")


def test_the_privacy_check_of_the_suite_catches_a_leak() -> None:
    from tests.privacy import leaks

    def call(chat_id: int, text: str, method: str = "sendMessage") -> dict[str, object]:
        return {"method": method, "params": {"chat_id": chat_id, "text": text}}

    assert leaks([call(-100, "户主：徐**（身份证 **************1743）")]) == []
    assert leaks([call(501, "身份证 500118197511021743，电话 13800138001")]) == []  # private
    assert len(leaks([call(-100, "身份证 500118197511021743")])) == 1
    assert len(leaks([call(-100, "电话 +8613800138001")])) == 1
    assert len(leaks([call(-100, "电话 13800138001")])) == 1
    assert len(leaks([call(-100, "x", "sendDocument")])) == 1
    assert leaks([call(-100, "户数 12，2026-11-30T10:00:00+08:00")]) == []
