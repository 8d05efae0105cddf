"""The ledger's households sheet: each household's latest check-in up to the exported week
(not a later one, not another household's), found per household in the same query."""

from __future__ import annotations

from sqlalchemy.orm import Session, sessionmaker

from monitoring.weeks import Week
from storage import ledger
from storage.ledger_lines import Scope
from tests.small_town import at, green_checkin


def test_each_household_shows_its_latest_checkin_up_to_the_week(
    town: sessionmaker[Session],
) -> None:
    green_checkin(town, "H1", at("2026-11-17T10:00"), food=False)  # 2026-W47, red
    green_checkin(town, "H1", at("2026-12-01T10:00"))  # 2026-W49: after the week exported
    green_checkin(town, "H2", at("2026-11-10T10:00"))  # 2026-W46
    green_checkin(town, "H2", at("2026-11-24T10:00"), food=False)  # 2026-W48, red
    with town() as s:
        lines = {line.number: line for line in ledger.households(s, Week(2026, 48), Scope())}
    assert (lines["H1"].last_week, lines["H1"].level) == ("2026-W47", "red")
    assert (lines["H2"].last_week, lines["H2"].level) == ("2026-W48", "red")
    assert lines["H2"].last_visit_at == at("2026-11-24T10:00")
    assert (lines["H3"].last_week, lines["H3"].level, lines["H3"].last_visit_at) == (
        None,
        None,
        None,
    )
    assert sorted(lines) == ["H1", "H2", "H3", "H4"]  # one line each
