"""ID-shaped and mobile-shaped values: found wherever they are in a text, masked in place, and
nothing else touched (household numbers, dates, amounts, chat ids)."""

from __future__ import annotations

import pytest

from monitoring.shapes import looks_private, mask_private


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("500118198507029464", "500***********9464"),
        ("户编号 11010519491231002x 已报", "户编号 110***********002x 已报"),
        ("110105491231002", "110********1002"),  # a 15-digit ID number of the old kind
        ("13800138000", "138****8000"),
        ("青山村 电话13700137000", "青山村 电话137****7000"),
        ("+86 138-0013-8000", "+86**********8000"),
        ("138 0013 8000；", "138******8000；"),
        ("H13800138000", "H138****8000"),
        ("１３８００１３８０００", "１３８****８０００"),  # full-width digits, as typed
    ],
)
def test_private_values_are_found_and_masked(text: str, masked: str) -> None:
    assert looks_private(text)
    assert mask_private(text) == (masked, 1)


@pytest.mark.parametrize(
    "text",
    [
        "LX01001",
        "青山村",
        "第48周（11月23日—29日）",
        "2026-11-23 10:00",
        "4,500 元",
        "-1001381234567",  # a Telegram group's id
        "12345678901234567890",  # too long to be either
        "1234567890123456",  # 16 digits: neither
        "12800138000",  # 12x is no mobile prefix
    ],
)
def test_other_values_are_left_alone(text: str) -> None:
    assert not looks_private(text)
    assert mask_private(text) == (text, 0)


def test_every_value_in_a_text_is_masked_and_counted() -> None:
    text = "500118198507029464 和 13700137000"
    assert mask_private(text) == ("500***********9464 和 137****7000", 2)
