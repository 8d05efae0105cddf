"""What counts as private in a typed or imported value: an ID-shaped or a mobile-shaped
number, however it is written; and what does not (document numbers, household numbers,
dates)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from monitoring.shapes import looks_private

WORDS = st.characters(whitelist_categories=("L", "P", "Zs"))  # no digit of any kind
PRIVATE = (
    "500118198507029464",  # an 18-character ID number
    "50011819850702946X",
    "50011819850702946x",
    "500118198507029465",  # a wrong check character: still an ID number
    "500118850702946",  # the old 15-digit one
    "500118 19850702 9464",
    "13800138000",
    "12345 13800138000",
    "8613800138000",
    "+8613800138000",
    "+86 138-0013-8000",
    "138 0013 8000",
    "(138) 0013.8000",
    "１３８００１３８０００",  # full-width digits
    "青山村 电话13700137000",
    "TEL13700137000",
    "2015-01-02 =HYPERLINK(x) 13800138000 500118197511021743",
    "永农发〔2026〕12号 500118197511021743",
)
NOT_PRIVATE = (
    "",
    "永农发〔2026〕12号",
    "2026-12-01 永农发〔2026〕12号",
    "永政发〔2026〕1380013800号",  # ten digits
    "LX01012",
    "H1",
    "P000001",
    "青山村",
    "12800138000",  # 12x is no mobile prefix
    "0871-65123456",  # a landline
    "20261201",
    "1234567890123456",  # sixteen digits: neither shape
    "12345678901234",
)


@pytest.mark.parametrize("text", PRIVATE)
def test_an_id_or_mobile_shaped_value_is_private(text: str) -> None:
    assert looks_private(text)


@pytest.mark.parametrize("text", NOT_PRIVATE)
def test_document_and_household_numbers_are_not(text: str) -> None:
    assert not looks_private(text)


@given(
    st.text(WORDS, max_size=20),
    st.from_regex(r"1[3-9]\d{9}", fullmatch=True),
    st.text(WORDS, max_size=20),
)
def test_a_mobile_number_anywhere_in_words_is_found(before: str, number: str, after: str) -> None:
    assert looks_private(before + number + after)


@given(st.text(WORDS, max_size=40))
def test_text_without_digits_is_never_private(text: str) -> None:
    assert not looks_private(text)
