"""When a red warning opens, widens and closes, and who may act on it: the domain's rules."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from monitoring.people import Role
from monitoring.risk import Level
from monitoring.warnings import (
    Actor,
    WarningStep,
    after_checkin,
    may_act_on_warning,
    may_record_measure,
)

CODES = ["guarantee_food", "guarantee_housing", "income_below_red_line"]


def test_red_opens_widens_and_repeats_nothing() -> None:
    opened = after_checkin(Level.RED, ["guarantee_food"], None, [], close_after_green=2)
    assert opened.step is WarningStep.OPEN and opened.red_codes == ("guarantee_food",)
    same = after_checkin(Level.RED, ["guarantee_food"], ["guarantee_food"], [], close_after_green=2)
    assert same.step is WarningStep.NONE
    wider = after_checkin(
        Level.RED, ["guarantee_housing"], ["guarantee_food"], [], close_after_green=2
    )
    assert wider.step is WarningStep.WIDEN
    assert wider.red_codes == ("guarantee_food", "guarantee_housing")


def test_green_twice_in_a_row_closes_and_watch_never_does() -> None:
    open_codes = ["guarantee_food"]
    one = after_checkin(Level.GREEN, [], open_codes, ["green", "red"], close_after_green=2)
    assert one.step is WarningStep.NONE
    two = after_checkin(Level.GREEN, [], open_codes, ["green", "green"], close_after_green=2)
    assert two.step is WarningStep.CLOSE
    watch = after_checkin(Level.WATCH, [], open_codes, ["watch", "green"], close_after_green=2)
    assert watch.step is WarningStep.NONE
    nothing_open = after_checkin(Level.GREEN, [], None, ["green", "green"], close_after_green=2)
    assert nothing_open.step is WarningStep.NONE


@given(
    level=st.sampled_from(list(Level)),
    red=st.lists(st.sampled_from(CODES), unique=True),
    open_codes=st.none() | st.lists(st.sampled_from(CODES), unique=True, min_size=1),
    recent=st.lists(st.sampled_from(["red", "watch", "green"]), max_size=4),
)
def test_a_warning_opens_only_when_none_is_open_and_never_loses_a_reason(
    level: Level, red: list[str], open_codes: list[str] | None, recent: list[str]
) -> None:
    decision = after_checkin(level, red, open_codes, recent, close_after_green=2)
    if decision.step is WarningStep.OPEN:
        assert open_codes is None and level is Level.RED
    if decision.step is WarningStep.WIDEN:
        assert open_codes is not None and set(open_codes) < set(decision.red_codes)
    if decision.step is WarningStep.CLOSE:
        assert open_codes is not None and level is Level.GREEN


def test_who_may_act_on_a_warning() -> None:
    head = Actor(1, Role.VILLAGE_HEAD, township_id=10, village_id=100)
    other_head = Actor(2, Role.VILLAGE_HEAD, township_id=10, village_id=101)
    staff = Actor(3, Role.TOWNSHIP_STAFF, township_id=10, village_id=None)
    other_staff = Actor(4, Role.TOWNSHIP_STAFF, township_id=11, village_id=None)
    helper = Actor(5, Role.HELPER, township_id=10, village_id=100)
    assert may_act_on_warning(head, 10, 100) and may_act_on_warning(staff, 10, 100)
    assert not may_act_on_warning(other_head, 10, 100)
    assert not may_act_on_warning(other_staff, 10, 100)
    assert not may_act_on_warning(helper, 10, 100)
    assert may_record_measure(helper, 10, 100, helper_id=5)
    assert not may_record_measure(helper, 10, 100, helper_id=6)
