"""Which audited changes are for the national system, and their order (monitoring/national.py)."""

from __future__ import annotations

from monitoring.national import (
    Change,
    Kind,
    Screen,
    kind_of,
    may_enter,
    measure_id,
    recorded_in_the_bot,
    to_enter,
)


def test_each_audited_change_has_its_kind_or_none() -> None:
    assert kind_of("create", None, "proposal 3") is Kind.TAKEN_IN
    assert kind_of("update", "identified_on", "2026-11-28") is Kind.TAKEN_IN
    assert kind_of("update", "status", "eliminated") is Kind.ELIMINATED
    assert kind_of("update", "status", "ended") is None  # the natural_end row says it
    assert kind_of("natural_end", None, "moved 2026-11-21") is Kind.NATURAL_END
    assert kind_of("update", "members", "4") is Kind.MEMBERS
    assert kind_of("update", "expected_income", "18000") is Kind.INCOME
    assert kind_of("measure_status", "measure#7", "done") is Kind.MEASURE_STATUS
    for action, field in (("update", "has_school_child"), ("assign", "helper"), ("refer", None)):
        assert kind_of(action, field, "x") is None
    assert kind_of("national_entered", "national", "1 up to #9") is None  # the tick itself
    assert recorded_in_the_bot("person:12")
    assert not any(map(recorded_in_the_bot, ("roster:households.csv", "sandbox", "test")))


def test_a_households_changes_go_in_the_order_of_the_systems_screens() -> None:
    changes = [
        Change(9, Kind.ELIMINATED, "status", "monitored", "eliminated"),
        Change(4, Kind.MEASURE, "measure", None, "#7 relief / 镇民政办 / pending / 2026-12-05"),
        Change(5, Kind.MEMBERS, "members", "3", "4"),
        Change(6, Kind.MEASURE_STATUS, "measure#7", "pending", "done"),
        Change(2, Kind.BASIC, "category", "marginal", "unstable"),
    ]
    ordered = to_enter(changes)
    assert [c.audit_id for c in ordered] == [2, 5, 4, 6, 9]
    assert [c.screen for c in ordered] == sorted(c.screen for c in ordered)
    assert [measure_id(c) for c in ordered[2:4]] == [7, 7]
    # Taken in: its basic facts are shown with it, not again as changes.
    taken = to_enter([*changes, Change(3, Kind.TAKEN_IN, "identified_on", None, "2026-11-28")])
    assert [c.audit_id for c in taken][:2] == [3, 5] and taken[0].screen is Screen.BASIC


def test_only_the_township_staff_of_the_households_township_tick() -> None:
    assert may_enter("township_staff", 1, 1)
    assert not may_enter("township_staff", 1, 2)
    assert not may_enter("village_head", 1, 1)
