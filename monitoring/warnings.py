"""Red warnings: when one opens, widens and closes, and who may act on one. Pure decisions;
`storage` reads the facts and writes what is decided here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from monitoring.people import Role
from monitoring.risk import Level


class WarningStep(StrEnum):
    OPEN = "open"  # the household turned RED: a new warning
    WIDEN = "widen"  # still RED, with a red reason the open warning did not have
    CLOSE = "close"  # enough GREEN check-ins in a row
    NONE = "none"


@dataclass(frozen=True)
class WarningDecision:
    step: WarningStep
    red_codes: tuple[str, ...] = ()  # the warning's reasons after the step (open, widen)


def after_checkin(
    level: Level,
    red_codes: list[str],
    open_warning_codes: list[str] | None,
    recent_levels: list[str],
    *,
    close_after_green: int,
) -> WarningDecision:
    """What a confirmed check-in does to the household's warning. `open_warning_codes`: the
    reasons of the open warning (None: no warning open); `recent_levels`: the levels of the
    household's latest current check-ins, newest first, this one included.

    Warnings fire on a change of state (the policy: "raise a red warning at once"): turning
    RED opens one, a new red reason widens it, the same reasons again send nothing; WATCH
    changes nothing; `close_after_green` GREEN check-ins in a row close it."""
    red = sorted(set(red_codes))
    if level is Level.RED:
        if open_warning_codes is None:
            return WarningDecision(WarningStep.OPEN, tuple(red))
        new = [code for code in red if code not in open_warning_codes]
        if new:
            return WarningDecision(WarningStep.WIDEN, tuple(sorted({*open_warning_codes, *new})))
        return WarningDecision(WarningStep.NONE)
    if open_warning_codes is not None and level is Level.GREEN:
        latest = recent_levels[:close_after_green]
        if len(latest) >= close_after_green and all(lv == Level.GREEN.value for lv in latest):
            return WarningDecision(WarningStep.CLOSE)
    return WarningDecision(WarningStep.NONE)


@dataclass(frozen=True)
class Actor:
    """Who presses: the facts a permission needs."""

    person_id: int
    role: Role
    township_id: int
    village_id: int | None


def may_act_on_warning(actor: Actor, township_id: int, village_id: int) -> bool:
    """Acknowledge or resolve: the village head of the household's village, or township
    staff of its township."""
    if actor.role is Role.TOWNSHIP_STAFF:
        return actor.township_id == township_id
    return actor.role is Role.VILLAGE_HEAD and actor.village_id == village_id


def reads_the_details(actor: Actor, township_id: int, village_id: int) -> bool:
    """Who is told a warning's reasons in full, in a private chat, with its buttons: those
    who may act on it. Groups are semi-public: they are told the problem area in general
    words only (never a health condition or an income figure)."""
    return may_act_on_warning(actor, township_id, village_id)


def may_record_measure(
    actor: Actor, township_id: int, village_id: int, helper_id: int | None
) -> bool:
    """Also the household's own helper may record what was done."""
    return may_act_on_warning(actor, township_id, village_id) or (
        helper_id is not None and helper_id == actor.person_id
    )


def may_see_household(
    actor: Actor, township_id: int, village_id: int, helper_id: int | None
) -> bool:
    """A household's history: its helper, the village head of its village, township staff of
    its township."""
    return may_record_measure(actor, township_id, village_id, helper_id)
