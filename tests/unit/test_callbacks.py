"""Button data is read back only when it could have been made: a forged number too long for
any id is refused (found in review: `hm:s:99999999999999999999` crashed `/measure`'s button
with an OverflowError on SQLite and an out-of-range error on PostgreSQL)."""

from __future__ import annotations

import pytest

from conversations.engine.callbacks import Action

START = Action("hm", "s", "household")


def test_data_made_is_read_back() -> None:
    assert START.read(START.data(household=123456789)) == {"household": "123456789"}


@pytest.mark.parametrize(
    "data",
    ["hm:s:99999999999999999999", "hm:s:2147483648", "hm:s:", "hm:s:1:2", "hm:x:1", "hm:s:a b"],
)
def test_forged_data_is_not_read(data: str) -> None:
    assert START.read(data) is None
